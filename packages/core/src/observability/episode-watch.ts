/**
 * One orchestration episode as the observer sees it: its span under the
 * instance's stored orchestration span, the instance's start and end (events,
 * counters, the orchestration span), retries scheduled, timer and event
 * spans for the messages it consumed, queue lag and durations.
 */
import type { Link } from '@opentelemetry/api';
import type { HistoryEvent } from '../history.js';
import { isTerminal } from '../status.js';
import type { InstanceRecord, LockedInstance, OrchestrationCommit, StoredMessage } from '../storage/types.js';
import type { Observer, StoredTrace } from './observer.js';
import { onlyTraceTags, parseTraceparent, traceTagsOf } from './trace-context.js';
import type { Span } from './tracing.js';

type EpisodeCommit = Pick<OrchestrationCommit, 'instance' | 'history' | 'messages' | 'activities'>;

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
