/**
 * The client's side of tracing: a `start <name>` span in the caller's
 * context whose child, the instance's orchestration span, is allocated and
 * stored with the instance; `raiseEvent`/`signalEntity` spans whose context
 * travels in the message. Inactive without `@opentelemetry/api`.
 */
import type { TraceContextCarrier } from './otel.js';
import type { Span } from './tracing.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

export interface SpanHandle {
  /** Ends the span, recording `error` when the call failed. */
  end(error?: unknown): void;
}

export interface ClientTelemetry {
  /** Before a start is stored: the trace tags to store with it, and its span. */
  startInstance(name: string, instanceId: string, carrier: TraceContextCarrier | undefined): (SpanHandle & { tags: Record<string, string> | undefined }) | undefined;
  /** Before a message is sent: its span, and the traceparent the message carries. */
  sendMessage(spanName: string, instanceId: string, carrier: TraceContextCarrier | undefined): (SpanHandle & { traceparent: string | undefined }) | undefined;
  /** A start a concurrency group queued (at `position`) or refused. */
  admission(group: string, outcome: { position: number } | { refused: 'limit' | 'queueFull' }): void;
}

export function clientTelemetry(tracing: Tracing, metrics: Metrics): ClientTelemetry {
  const handle = (span: Span | undefined) => ({ end: (error?: unknown) => tracing.end(span, error) });
  return {
    startInstance(name, instanceId, carrier) {
      const parent = tracing.callerContext(carrier);
      if (!parent) return undefined;
      const span = tracing.start(`start ${name}`, 'producer', { 'reprise.orchestrator': name, 'reprise.instance_id': instanceId }, parent);
      return { ...handle(span), tags: tracing.orchestrationTags(span) };
    },
    sendMessage(spanName, instanceId, carrier) {
      const parent = tracing.callerContext(carrier);
      if (!parent) return undefined;
      const span = tracing.start(spanName, 'producer', { 'reprise.instance_id': instanceId }, parent);
      return { ...handle(span), traceparent: tracing.traceparentOf(span) };
    },
    admission(group, outcome) {
      if ('position' in outcome) metrics.record('groupQueueDepth', outcome.position, { 'reprise.group': group });
      else metrics.add('groupRejections', 1, { 'reprise.group': group, 'reprise.reason': outcome.refused });
    },
  };
}
