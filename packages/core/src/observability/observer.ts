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
import type { Context, Link } from '@opentelemetry/api';
import type { EntityOperationEvent, HistoryEvent } from '../history.js';
import { isTerminal } from '../status.js';
import type { ActivityWorkItem, InstanceRecord, LockedInstance, OrchestrationCommit, Storage, StoredMessage } from '../storage/types.js';
import { IsolatedEmitter } from './emitter.js';
import { Metrics } from './metrics.js';
import { loadOtel } from './otel.js';
import type { TelemetryOptions } from './telemetry-options.js';
import { onlyTraceTags, parseTraceparent, traceTagsOf } from './trace-context.js';
import { Tracing } from './tracing.js';
import type { Span } from './tracing.js';
import type { ClientTelemetry } from './client-telemetry.js';

type EpisodeCommit = Pick<OrchestrationCommit, 'instance' | 'history' | 'messages' | 'activities'>;
type StoredTrace = NonNullable<ReturnType<typeof traceTagsOf>>;

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

  episode(locked: LockedInstance): EpisodeWatch {
    return new EpisodeWatch(this, locked, this.now());
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

  /** Watches one activity attempt with no span: events and metrics only, with no wait before it runs. */
  activityUntraced(item: ActivityWorkItem): ActivityWatch {
    return new ActivityWatch(this, item, this.now(), undefined);
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

/** One orchestration episode: its span, the instance's start and end, retries, timers, events, queue lag. */
export class EpisodeWatch {
  readonly #span: Span | undefined;
  #stored: StoredTrace | undefined;
  #newTags: Record<string, string> | undefined;
  #replayed = 0;

  constructor(
    private readonly observer: Observer,
    private readonly locked: LockedInstance,
    private readonly startedAt: number,
  ) {
    const { tracing } = observer;
    if (!tracing.active) return;
    const { instance } = locked;
    this.#stored = observer.storedTrace(instance);
    if (!this.#stored && instance.status === 'Pending') {
      // Started without a trace context (another process, an entity): the trace begins here, from a start span at its creation.
      const start = tracing.start(`start ${instance.name}`, 'producer', { 'reprise.orchestrator': instance.name, 'reprise.instance_id': instance.instanceId }, undefined, { startTime: instance.createdAt });
      this.#newTags = tracing.orchestrationTags(start);
      tracing.end(start);
      this.#stored = traceTagsOf(this.#newTags);
    }
    const parent = this.#stored && tracing.contextOf(this.#stored.span, this.#stored.state);
    this.#span = tracing.start('episode', 'internal', { 'reprise.instance_id': instance.instanceId, 'reprise.orchestrator': instance.name, 'reprise.episode.new_events': locked.messages.length }, parent);
  }

  /** How the executor was had: live from the cache, or replayed over `replayed` stored events. */
  loaded(cacheHit: boolean, replayed: number): void {
    this.#replayed = replayed;
    this.#span?.setAttributes({ 'reprise.episode.cache_hit': cacheHit, 'reprise.episode.replayed_events': replayed });
  }

  /** Adds the trace context the commit stores: the instance's own, its children's, and the one its entity messages carry. */
  decorate(commit: EpisodeCommit): void {
    const stored = this.#stored;
    if (!stored) return;
    const { tracing } = this.observer;
    // New tags, or the stored ones a rebuilt record (continue-as-new) left out.
    const keep = this.#newTags ?? (traceTagsOf(commit.instance.tags) ? undefined : onlyTraceTags(this.locked.instance.tags));
    if (keep) commit.instance = { ...commit.instance, tags: { ...commit.instance.tags, ...keep } };
    const episode = tracing.traceparentOf(this.#span);
    commit.messages = commit.messages.map((message) => {
      const created = message.createIfMissing;
      if (created?.kind === 'orchestration' && !traceTagsOf(created.tags)) {
        // A sub-orchestration: its orchestration span is a child of this instance's.
        return { ...message, createIfMissing: { ...created, tags: { ...created.tags, ...tracing.orchestrationTags(stored.span) } } };
      }
      if (episode && message.event.EventType === 'EntityOperation') return { ...message, event: { ...message.event, TraceParent: episode } };
      return message;
    });
  }

  /** The commit is stored: what it means is told (never throws: the commit stands whatever a provider does). */
  committed(commit: EpisodeCommit): void {
    try {
      this.#committed(commit);
    } catch (error) {
      this.observer.reportFailure(error);
    }
  }

  #committed(commit: EpisodeCommit): void {
    const { observer, locked } = this;
    const { events, metrics, tracing } = observer;
    const before = locked.instance;
    const after = commit.instance;
    const now = observer.now();
    const orchestrator = { 'reprise.orchestrator': before.name };
    const base = { instanceId: before.instanceId, name: before.name, executionId: after.executionId };
    if (before.status === 'Pending' && after.status !== 'Pending') {
      metrics.add('instancesStarted', 1, orchestrator);
      if (events.wants('instanceStarted')) events.emit('instanceStarted', base);
    }
    for (const event of appended(commit)) {
      if (event.EventType === 'TaskScheduled' && event.Attempt !== undefined && event.Attempt > 1 && events.wants('activityRetrying')) {
        events.emit('activityRetrying', { instanceId: before.instanceId, name: event.Name, attempt: event.Attempt, taskScheduledId: event.EventId });
      }
    }
    const ended = isTerminal(after.status) && !isTerminal(before.status);
    if (ended) this.#ended(after, base, now);
    const lag = queueLag(locked.messages, this.startedAt);
    if (lag !== undefined) metrics.record('queueLag', lag / 1000, { 'reprise.queue': 'orchestration' });
    metrics.record('episodeDuration', (now - this.startedAt) / 1000, orchestrator);
    metrics.record('replayLength', this.#replayed, orchestrator);
    if (tracing.active) {
      if (this.#stored) this.#traceMessages(after);
      observer.remember(before.instanceId, after.tags, this.#stored);
    }
    if (ended) observer.forget(before.instanceId);
    tracing.end(this.#span);
  }

  failed(error: unknown, leaseLost: boolean): void {
    if (leaseLost) this.observer.leaseLost('orchestration', this.locked.instance.instanceId, this.locked.lockToken);
    this.observer.tracing.end(this.#span, leaseLost ? undefined : error);
  }

  #ended(after: InstanceRecord, base: { instanceId: string; name: string; executionId: string }, now: number): void {
    const { events, metrics, tracing } = this.observer;
    const durationMs = Math.max(0, now - after.createdAt);
    const orchestrator = { 'reprise.orchestrator': after.name };
    switch (after.status) {
      case 'Completed':
        metrics.add('instancesCompleted', 1, orchestrator);
        if (events.wants('instanceCompleted')) events.emit('instanceCompleted', { ...base, durationMs });
        break;
      case 'Failed':
        metrics.add('instancesFailed', 1, orchestrator);
        if (events.wants('instanceFailed')) events.emit('instanceFailed', { ...base, durationMs, reason: failureReason(after) });
        break;
      case 'Terminated':
        metrics.add('instancesTerminated', 1, orchestrator);
        if (events.wants('instanceTerminated')) events.emit('instanceTerminated', { ...base, durationMs });
        break;
      case 'Canceled':
        metrics.add('instancesCanceled', 1, orchestrator);
        if (events.wants('instanceCanceled')) events.emit('instanceCanceled', { ...base, durationMs });
        break;
    }
    if (this.#stored) {
      const failed = after.status === 'Failed' ? new Error(failureReason(after)) : undefined;
      tracing.emitOrchestration(after.name, this.#stored, after.createdAt, now, { 'reprise.instance_id': after.instanceId, 'reprise.orchestrator': after.name, 'reprise.status': after.status }, failed);
    }
  }

  /** Timer spans (schedule to fire) and event spans (raise to delivery) for the messages this episode consumed. */
  #traceMessages(after: InstanceRecord): void {
    const { tracing } = this.observer;
    const parent = tracing.contextOf(this.#stored!.span, this.#stored!.state);
    for (const message of this.locked.messages) {
      const event = message.event;
      const target = (event as { TargetExecutionId?: string }).TargetExecutionId;
      if (target !== undefined && target !== this.locked.instance.executionId) continue;
      const scheduledAt = Date.parse(event.Timestamp);
      if (event.EventType === 'TimerFired') {
        const span = tracing.start('timer', 'internal', { 'reprise.instance_id': after.instanceId, 'reprise.timer.id': event.TimerId, 'reprise.timer.fire_at': event.FireAt }, parent, { startTime: scheduledAt });
        tracing.end(span);
      } else if (event.EventType === 'EventRaised') {
        const caller = parseTraceparent(event.TraceParent);
        const links: Link[] = caller ? [{ context: { ...caller, isRemote: true } }] : [];
        const span = tracing.start(`event ${event.Name}`, 'consumer', { 'reprise.instance_id': after.instanceId, 'reprise.event.name': event.Name }, parent, { startTime: scheduledAt, links });
        tracing.end(span);
      }
    }
  }
}

/** One activity attempt: its span (active while the function runs), events and metrics. */
export class ActivityWatch {
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  constructor(
    private readonly observer: Observer,
    private readonly item: ActivityWorkItem,
    private readonly startedAt: number,
    parent: Context | undefined,
  ) {
    const { tracing, events } = observer;
    if (tracing.active) {
      this.#span = tracing.start(`activity ${item.name}`, 'internal', { 'reprise.instance_id': item.instanceId, 'reprise.activity': item.name, 'reprise.activity.attempt': item.deliveries, 'reprise.activity.task_id': item.taskScheduledId }, parent);
      this.#context = this.#span && tracing.active!.api.trace.setSpan(parent ?? tracing.active!.api.context.active(), this.#span);
    }
    if (events.wants('activityStarted')) events.emit('activityStarted', this.#base());
  }

  /** Runs the activity function with its span active, so the user's own instrumentation nests under it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const on = this.observer.tracing.active;
    return on && this.#context ? on.api.context.with(this.#context, fn) : fn();
  }

  completed(): void {
    const durationMs = this.#duration();
    this.#measure(durationMs, 'completed');
    if (this.observer.events.wants('activityCompleted')) this.observer.events.emit('activityCompleted', { ...this.#base(), durationMs });
    this.observer.tracing.end(this.#span);
  }

  failed(error: unknown): void {
    const durationMs = this.#duration();
    this.#measure(durationMs, 'failed');
    const asError = error instanceof Error ? error : new Error(String(error));
    if (this.observer.events.wants('activityFailed')) this.observer.events.emit('activityFailed', { ...this.#base(), durationMs, error: asError });
    this.observer.tracing.end(this.#span, asError);
  }

  /** The runtime stopped mid-run: the item goes back, the span ends with no outcome claimed. */
  abandoned(): void {
    this.#span?.setAttribute('reprise.activity.abandoned', true);
    this.observer.tracing.end(this.#span);
  }

  /** The result was refused: another worker took the item over. */
  leaseLost(): void {
    this.observer.leaseLost('activity', this.item.instanceId, this.item.lockToken);
  }

  #base() {
    const { item } = this;
    return { instanceId: item.instanceId, name: item.name, attempt: item.deliveries, taskScheduledId: item.taskScheduledId };
  }

  #duration(): number {
    return Math.max(0, this.observer.now() - this.startedAt);
  }

  #measure(durationMs: number, outcome: 'completed' | 'failed'): void {
    const attributes = { 'reprise.activity': this.item.name, 'reprise.outcome': outcome };
    this.observer.metrics.record('activityDuration', durationMs / 1000, attributes);
    this.observer.metrics.add('activityAttempts', 1, attributes);
  }
}

function appended(commit: EpisodeCommit): readonly HistoryEvent[] {
  return 'append' in commit.history ? commit.history.append : [];
}

function failureReason(record: InstanceRecord): string {
  try {
    const details = record.output === undefined ? undefined : (JSON.parse(record.output) as { json?: { message?: unknown } });
    return typeof details?.json?.message === 'string' ? details.json.message : 'failed';
  } catch {
    return 'failed';
  }
}

/** The wait of the oldest ready message: a timer is ready at its fire time, anything else when it was sent. */
function queueLag(messages: readonly StoredMessage[], lockedAt: number): number | undefined {
  let oldest: number | undefined;
  for (const message of messages) {
    const ready = message.event.EventType === 'TimerFired' ? Date.parse(message.event.FireAt) : Date.parse(message.event.Timestamp);
    if (Number.isFinite(ready) && (oldest === undefined || ready < oldest)) oldest = ready;
  }
  return oldest === undefined ? undefined : Math.max(0, lockedAt - oldest);
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
