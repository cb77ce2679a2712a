/**
 * What the runtime shell reports while it works: lifecycle events, spans and
 * metrics from one place, so the engine files carry one call per fact.
 *
 * Invariants:
 * - Zero cost when unused: with no listener, no `@opentelemetry/api` and no
 *   provider, `episode`/`activity` return undefined or no-op watches and
 *   build no payload.
 * - Facts come from new messages and new commits only, never from replayed
 *   history: an activity finished in an earlier episode is never traced or
 *   announced again, whatever the replay cache holds.
 * - A listener's or exporter's failure never fails the work it describes.
 */
import type { Context } from '@opentelemetry/api';
import type { EntityOperationEvent } from '../history.js';
import type { ActivityWorkItem, InstanceRecord, LockedInstance, Storage } from '../storage/types.js';
import { IsolatedEmitter } from './emitter.js';
import { Metrics } from './metrics.js';
import { loadOtel } from './otel.js';
import type { TelemetryOptions } from './telemetry-options.js';
import { parseTraceparent, traceTagsOf } from './trace-context.js';
import { ActivityWatch } from './activity-watch.js';
import { EpisodeWatch } from './episode-watch.js';
import { Tracing } from './tracing.js';
import type { Span } from './tracing.js';
import type { ClientTelemetry } from './client-telemetry.js';

export type StoredTrace = NonNullable<ReturnType<typeof traceTagsOf>>;

/** Instances whose trace context this process saw last, for the activities it runs (bounded: oldest forgotten). */
const REMEMBERED_TRACES = 10_000;

export class Observer {
  readonly events: IsolatedEmitter;
  readonly tracing: Tracing;
  readonly metrics: Metrics;
  readonly client: ClientTelemetry;
  readonly #traces = new Map<string, StoredTrace | null>();
  readonly #lostTokens = new Set<string>();
  /** The runtime's clock. */
  readonly now: () => number;

  /** Where a listener's or provider's failure goes (the runtime's onError). */
  readonly reportFailure: (error: unknown) => void;

  constructor(telemetry: TelemetryOptions | undefined, now: () => number, onListenerError: (error: unknown) => void) {
    this.reportFailure = onListenerError;
    this.events = new IsolatedEmitter(onListenerError);
    this.tracing = new Tracing(telemetry?.tracerProvider);
    this.metrics = new Metrics(telemetry?.meterProvider);
    this.client = clientTelemetry(this.tracing, this.metrics);
    this.now = now;
  }

  /** Loads `@opentelemetry/api` when installed; until then (and without it) nothing is traced or measured. */
  load(): Promise<void> {
    return loadOtel().then(() => undefined);
  }

  error(error: unknown, instanceId?: string): void {
    if (this.events.wants('error')) this.events.emit('error', { error, ...(instanceId !== undefined && { instanceId }) });
  }

  /** A lease lost, once per lease (a renewal and the refused commit may both notice). */
  leaseLost(kind: 'orchestration' | 'activity', instanceId: string, token: string): void {
    if (this.#lostTokens.has(token)) return;
    this.#lostTokens.add(token);
    if (this.#lostTokens.size > REMEMBERED_TRACES) this.#lostTokens.delete(this.#lostTokens.values().next().value!);
    this.metrics.add('leaseLosses', 1, { 'reprise.kind': kind });
    if (this.events.wants('leaseLost')) this.events.emit('leaseLost', { kind, instanceId });
  }

  scheduleFired(run: { instanceId: string; scheduleId: string; orchestrator: string }, outcome: 'started' | 'busy' | 'failed'): void {
    if (outcome === 'started') {
      this.metrics.add('scheduleFires', 1, { 'reprise.orchestrator': run.orchestrator });
      if (this.events.wants('scheduleFired')) this.events.emit('scheduleFired', run);
    } else {
      this.metrics.add('scheduleSkips', 1, { 'reprise.orchestrator': run.orchestrator, 'reprise.reason': outcome === 'busy' ? 'overlap' : 'error' });
    }
  }

  /**
   * True when nothing would see a watch's facts: no listener, no recording
   * meter, no tracer. Read when an episode or an attempt begins: a listener
   * added meanwhile hears from the next one.
   */
  get quiet(): boolean {
    return !this.events.listening && this.metrics.on === undefined && this.tracing.active === undefined;
  }

  /** Watches one episode; undefined while quiet (a step pays nothing for it). */
  episode(locked: LockedInstance): EpisodeWatch | undefined {
    return this.quiet ? undefined : new EpisodeWatch(this, locked, this.now());
  }

  /** Watches one activity attempt; resolves once its parent span context is known (a store read when this process has not seen the instance). */
  async activity(item: ActivityWorkItem, storage: Storage, hub: string): Promise<ActivityWatch> {
    let parent: Context | undefined;
    if (this.tracing.active) {
      let stored = this.#traces.get(item.instanceId);
      if (stored === undefined) {
        const record = await storage.getInstance(hub, item.instanceId).catch(() => undefined);
        stored = this.remember(item.instanceId, record?.tags);
      }
      parent = stored ? this.tracing.contextOf(stored.span, stored.state) : undefined;
    }
    return new ActivityWatch(this, item, this.now(), parent);
  }

  /** Watches one activity attempt with no span: events and metrics only, with no wait before it runs; undefined while quiet. */
  activityUntraced(item: ActivityWorkItem): ActivityWatch | undefined {
    return this.quiet ? undefined : new ActivityWatch(this, item, this.now(), undefined);
  }

  /** An entity operation's span, under the caller's context carried by the message. */
  entityOperation(instance: InstanceRecord, event: EntityOperationEvent): Span | undefined {
    if (!this.tracing.active) return undefined;
    const caller = parseTraceparent(event.TraceParent);
    return this.tracing.start(`entity ${instance.name} ${event.Operation}`, 'consumer', { 'reprise.instance_id': instance.instanceId, 'reprise.entity': instance.name, 'reprise.operation': event.Operation }, caller ? this.tracing.contextOf(caller) : undefined);
  }

  /** An instance's stored trace context: remembered from its last episode here, else read from its tags. */
  storedTrace(instance: InstanceRecord): StoredTrace | undefined {
    const remembered = this.#traces.get(instance.instanceId);
    // Parsed once per instance: its trace tags never change once written.
    return remembered ?? traceTagsOf(instance.tags);
  }

  remember(instanceId: string, tags: Record<string, string> | undefined, parsed?: StoredTrace): StoredTrace | null {
    const stored = parsed ?? traceTagsOf(tags) ?? null;
    this.#traces.delete(instanceId);
    this.#traces.set(instanceId, stored);
    if (this.#traces.size > REMEMBERED_TRACES) this.#traces.delete(this.#traces.keys().next().value!);
    return stored;
  }

  forget(instanceId: string): void {
    this.#traces.delete(instanceId);
  }
}

/** The client's side: start spans and the tags that store the orchestration span, message spans, admissions. */
function clientTelemetry(tracing: Tracing, metrics: Metrics): ClientTelemetry {
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
