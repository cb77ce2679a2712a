/** One activity attempt as the observer sees it: its span (active while the function runs), events and metrics. */
import type { Context } from '@opentelemetry/api';
import type { ActivityWorkItem } from '../storage/types.js';
import type { Observer } from './observer.js';
import type { Span } from './tracing.js';

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
