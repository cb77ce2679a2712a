/**
 * OpenTelemetry spans for the runtime shell (never the pure planner).
 *
 * Span tree of one instance, one trace across processes:
 *   start <name> (caller) → orchestration <name> (creation to end)
 *     → episode (one per step) · activity <name> (one per attempt)
 *     · timer (schedule to fire) · event <name> (raise to delivery)
 *     · orchestration <child> (sub-orchestrations)
 *
 * Invariants:
 * - Inactive (every call returns undefined at once) when `@opentelemetry/api`
 *   is not installed; a no-op provider makes non-recording spans only.
 * - The orchestration span's ids are allocated at start and stored with the
 *   instance (trace-context.ts); children in any process parent to them. The
 *   span itself is emitted by whichever process commits the end, with its
 *   creation time as start time and the allocated span id, as the Durable
 *   Task Framework does.
 * - Only new facts are traced: replayed history never makes a span.
 */
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { INSTRUMENTATION_NAME, otelApi } from './otel.js';
import type { Otel, TraceContextCarrier, TracerProviderLike } from './otel.js';
import { allocateSpan, formatTraceparent, parseTraceparent, traceTags } from './trace-context.js';
import type { SpanIds } from './trace-context.js';

export type { Span };

export class Tracing {
  /** Made once: read several times per step. */
  #active: { api: Otel; tracer: Tracer } | undefined;
  constructor(private readonly provider: TracerProviderLike | undefined) {}

  /** The API and tracer, once the API is loaded and a provider is there (given, or registered globally since). */
  get active(): { api: Otel; tracer: Tracer } | undefined {
    const api = otelApi();
    if (!api || (!this.provider && !hasGlobalProvider(api))) return undefined;
    return (this.#active ??= { api, tracer: this.provider ? (this.provider.getTracer(INSTRUMENTATION_NAME) as Tracer) : api.trace.getTracer(INSTRUMENTATION_NAME) });
  }

  /** The context of a caller: the carrier's traceparent when given, else the active context. */
  callerContext(carrier?: TraceContextCarrier): Context | undefined {
    const on = this.active;
    if (!on) return undefined;
    if (!carrier) return on.api.context.active();
    const ids = parseTraceparent(carrier.traceparent);
    return ids ? on.api.trace.setSpanContext(on.api.ROOT_CONTEXT, remote(ids, carrier.tracestate, on.api)) : on.api.context.active();
  }

  /** A span started under a context (`undefined`: the active one). */
  start(name: string, kind: 'internal' | 'producer' | 'consumer' | 'client', attributes: Attributes, parent?: Context, extra: { startTime?: number; links?: Link[] } = {}): Span | undefined {
    const on = this.active;
    if (!on) return undefined;
    const { SpanKind } = on.api;
    const spanKind = kind === 'producer' ? SpanKind.PRODUCER : kind === 'consumer' ? SpanKind.CONSUMER : kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    return on.tracer.startSpan(name, { kind: spanKind, attributes, ...(extra.startTime !== undefined && { startTime: extra.startTime }), ...(extra.links && { links: extra.links }) }, parent ?? on.api.context.active());
  }

  /** The context stored ids stand for, as a remote parent. */
  contextOf(ids: SpanIds, state?: string): Context | undefined {
    const on = this.active;
    return on && on.api.trace.setSpanContext(on.api.ROOT_CONTEXT, remote(ids, state, on.api));
  }

  /** A span's context, as a traceparent to carry in a message (undefined when invalid). */
  traceparentOf(span: Span | undefined): string | undefined {
    const on = this.active;
    if (!on || !span) return undefined;
    const context = span.spanContext();
    return on.api.trace.isSpanContextValid(context) ? formatTraceparent(context) : undefined;
  }

  /** The tags storing a new orchestration span under `parent` (a span, or stored ids); none when the parent is invalid. */
  orchestrationTags(parent: Span | SpanIds | undefined): Record<string, string> | undefined {
    const on = this.active;
    if (!on) return undefined;
    let ids: SpanIds | undefined;
    let state: string | undefined;
    if (parent && 'spanContext' in parent) {
      const context = parent.spanContext();
      if (!on.api.trace.isSpanContextValid(context)) return undefined;
      ids = context;
      state = context.traceState?.serialize();
    } else {
      ids = parent;
    }
    return traceTags(allocateSpan(ids), ids, state || undefined);
  }

  /** Ends a span with an error recorded (status ERROR), or OK-unset when none. */
  end(span: Span | undefined, error?: unknown, endTime?: number): void {
    if (!span) return;
    if (error !== undefined) fail(span, error, this.active?.api);
    span.end(endTime);
  }

  /**
   * Emits an instance's `orchestration <name>` span at its end: started at
   * the instance's creation under the stored parent, with the stored span id
   * (so the episodes and activities already exported are its children).
   */
  emitOrchestration(name: string, stored: { span: SpanIds; parent?: SpanIds; state?: string }, createdAt: number, endTime: number, attributes: Attributes, error?: unknown): void {
    const on = this.active;
    if (!on) return;
    const parent = stored.parent ? this.contextOf(stored.parent, stored.state) : on.api.ROOT_CONTEXT;
    const span = on.tracer.startSpan(`orchestration ${name}`, { kind: on.api.SpanKind.INTERNAL, startTime: createdAt, attributes }, parent);
    adoptSpanId(span, stored.span);
    this.end(span, error, endTime);
  }
}

let noopProvider: unknown;
/** Whether the application registered a tracer provider: the API's global is a proxy over a no-op until it does. */
function hasGlobalProvider(api: Otel): boolean {
  const global = api.trace.getTracerProvider();
  if (!(global instanceof api.ProxyTracerProvider)) return true;
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  return global.getDelegate() !== noopProvider;
}

function remote(ids: SpanIds, state: string | undefined, api: Otel): SpanContext {
  return { traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.traceFlags, isRemote: true, ...(state && { traceState: api.createTraceState(state) }) };
}

function fail(span: Span, error: unknown, api: Otel | undefined): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: api?.SpanStatusCode.ERROR ?? 2, message: exception.message });
}

/**
 * Gives a just-started span the span id allocated for it at start. The API
 * offers no way to choose an id; the SDK's `spanContext()` returns the object
 * its exporters read, so setting the id there is what makes the span the
 * parent of the children other processes exported already. A span that keeps
 * its own id is still exported, its children then under a missing parent.
 */
function adoptSpanId(span: Span, ids: SpanIds): void {
  const context = span.spanContext();
  if (context.traceId !== ids.traceId || Object.isFrozen(context)) return;
  (context as { spanId: string }).spanId = ids.spanId;
}
