/**
 * Runs one activity work item and commits its result (TaskCompleted or
 * TaskFailed) to the orchestrator's inbox atomically with the item's removal.
 * Activities are at-least-once: a crash before the commit means a rerun.
 */
import { CancellationRequestedError, MaxDeliveriesExceededError, UnknownActivityError, isRepriseError, toFailureDetails } from '../errors.js';
import type { HistoryEvent, ProgressRecord, TaskCompletedEvent } from '../history.js';
import { deserialize, serialize } from '../serializer.js';
import type { ActivityContext, ActivityFunction } from '../definitions.js';
import type { ActivityWorkItem, LockedInstance, LogEntry, Storage } from '../storage/types.js';
import type { ResolvedOptions } from './options.js';
import { ActivityReporter } from './activity-reporter.js';
import type { ActivityLogger } from './activity-reporter.js';
import type { Reservation } from './work-loop.js';
import type { OrchestrationClient } from '../client/public-client.js';
import type { Observer } from '../observability/observer.js';

export interface ActivityDeps {
  storage: Storage;
  options: ResolvedOptions;
  activities: Map<string, ActivityFunction>;
  /** The runtime stopping: the item is handed back, not failed. */
  signal: AbortSignal;
  /** The instance was canceled while the item ran: the activity's signal fires too, and its failure is its result. */
  canceled?: { readonly signal: AbortSignal };
  /** Handed to the activity as `ctx.client`. */
  client?: OrchestrationClient;
  /** Events, spans and metrics of the attempt (absent: none). */
  observer?: Observer;
  /**
   * Commits the result with the instance's next episode when this item may
   * claim a step grace (step-grace.ts); resolves false when it may not or
   * the step commit was refused, and the result then takes `completeActivity`.
   */
  finishStep?(item: ActivityWorkItem, event: HistoryEvent, logs: readonly LogEntry[]): Promise<boolean>;
}

/**
 * What an activity tells the runtime: from a store that does not declare
 * eager dispatch, whether a result was delivered (to wake the orchestration
 * loop). An instance leased to us in the completion is queued by its
 * reservation.
 */
export interface ActivityResult {
  deliveredWithoutEager: boolean;
}

const NOTHING: ActivityResult = { deliveredWithoutEager: false };

/**
 * Runs the item and commits its result. With `reserveInstance` and a store
 * that declares eager dispatch, asks the store to lease the woken instance
 * to us in the same operation when a slot is free for it; the reservation
 * queues it.
 */
export async function runActivity(deps: ActivityDeps, item: ActivityWorkItem, reserveInstance?: () => Reservation<LockedInstance>): Promise<ActivityResult> {
  const { options } = deps;
  const eager = deps.storage.capabilities?.eagerDispatch === true;
  let event: HistoryEvent;
  const startedAt = new Date(options.clock.now()).toISOString();
  // Traced, the watch may read the instance's trace context first; untraced, the activity starts with no wait.
  const watch = deps.observer?.tracing.active ? await deps.observer.activity(item, deps.storage, options.taskHub) : deps.observer?.activityUntraced(item);
  // Stopped while the watch looked up its trace: the activity never began, the item goes back.
  if (deps.signal.aborted) {
    watch?.abandoned();
    await deps.storage.abandonActivity(options.taskHub, item.id, item.lockToken);
    return NOTHING;
  }
  const context = new StepContext(deps, item);
  let failure: unknown;
  try {
    if (item.deliveries > options.maxDeliveries) {
      throw new MaxDeliveriesExceededError(`activity '${item.name}' was delivered ${item.deliveries} times without completing (maxDeliveries ${options.maxDeliveries}); its worker kept stopping before it finished`);
    }
    // Marked canceled before it ran: the orchestrator stopped waiting for it, so it is answered without running.
    if (item.canceled) throw new CancellationRequestedError(`activity '${item.name}' was not run: its orchestration was canceled`);
    const fn = deps.activities.get(item.name);
    if (!fn) throw new UnknownActivityError(`no activity named '${item.name}' is registered with this runtime`);
    const input = deserialize(item.input);
    // With a watch, the function runs inside the activity's span (its own instrumentation nests under it).
    const result = watch ? await watch.run(() => Promise.resolve(fn(input, context))) : await fn(input, context);
    context.finish();
    const payload = serialize(result, `result of activity '${item.name}'`, options.maxPayloadBytes);
    // TargetExecutionId is not part of the event's type, but the inbox reads it (an answer to an older execution is dropped).
    const completed: TaskCompletedEvent & { TargetExecutionId: string } = { EventType: 'TaskCompleted', Timestamp: new Date(options.clock.now()).toISOString(), TaskScheduledId: item.taskScheduledId, TargetExecutionId: item.executionId, StartedAt: startedAt };
    // Set in this order (Progress, then Result): the stored event's fields keep the order they always had.
    const progress = context.progress;
    if (progress) completed.Progress = progress;
    if (payload !== undefined) completed.Result = payload;
    event = completed;
  } catch (error) {
    context.finish();
    if (deps.signal.aborted) {
      // Stopped mid-run: not the activity's failure. Hand the item back for another worker.
      watch?.abandoned();
      await deps.storage.abandonActivity(options.taskHub, item.id, item.lockToken);
      return NOTHING;
    }
    failure = error;
    const details = toFailureDetails(error);
    const progress = context.progress;
    const base = { TaskScheduledId: item.taskScheduledId, TargetExecutionId: item.executionId, StartedAt: startedAt };
    event = {
      EventType: 'TaskFailed',
      Timestamp: new Date(options.clock.now()).toISOString(),
      ...base,
      ...(progress && { Progress: progress }),
      Reason: details.message,
      Details: serialize(details, 'failure details'),
    };
  }
  if (watch) {
    if (failure === undefined) watch.completed();
    else watch.failed(failure);
  }
  const logs = context.logs;
  if (deps.finishStep && (await deps.finishStep(item, event, logs ?? NO_LOGS))) return NOTHING;
  // Reserved just for the completion (not while the activity runs): the slot waits for the commit only.
  const slot = eager ? reserveInstance?.() : undefined;
  try {
    const result = await deps.storage.completeActivity(options.taskHub, {
      workItemId: item.id,
      lockToken: item.lockToken,
      message: { instanceId: item.instanceId, event },
      ...(logs && logs.length > 0 && { logs }),
      ...(slot && slot.slots > 0 && { lockInstance: { leaseMs: options.leaseMs } }),
    });
    slot?.fill(result?.instance ? [result.instance] : []);
    return eager ? NOTHING : { deliveredWithoutEager: true };
  } catch (error) {
    slot?.fill([]);
    // Our lease ran out and another worker took the item: its result wins.
    if (!isRepriseError(error, 'LEASE_LOST')) throw error; // thrown by the adapter, maybe from its own copy of core
    watch?.leaseLost();
    return NOTHING;
  }
}

const NO_LOGS: readonly LogEntry[] = [];

/**
 * An activity's `ctx`. A class, so a step allocates one object: its signal,
 * its reporter (progress and log lines) and the reportProgress function are
 * made on first read, and most activities read none of them.
 */
class StepContext implements ActivityContext {
  readonly instanceId: string;
  readonly name: string;
  readonly attempt: number;
  readonly client?: OrchestrationClient;
  readonly #deps: ActivityDeps;
  readonly #item: ActivityWorkItem;
  #signal: AbortSignal | undefined;
  #reporter: ActivityReporter | undefined;
  #report: ActivityContext['reportProgress'] | undefined;

  constructor(deps: ActivityDeps, item: ActivityWorkItem) {
    this.instanceId = item.instanceId;
    this.name = item.name;
    this.attempt = item.deliveries;
    if (deps.client) this.client = deps.client;
    this.#deps = deps;
    this.#item = item;
  }

  // Combined on first read: AbortSignal.any costs more than most activities, and most never read it.
  get signal(): AbortSignal {
    const { signal, canceled } = this.#deps;
    return (this.#signal ??= canceled ? AbortSignal.any([signal, canceled.signal]) : signal);
  }

  /** A function of its own (not a method), so `const { reportProgress } = ctx` works. */
  get reportProgress(): ActivityContext['reportProgress'] {
    return (this.#report ??= (percent, message) => this.#reporterOf().report(percent, message));
  }

  get log(): ActivityLogger {
    return this.#reporterOf().log;
  }

  /** The activity ended: progress reports still pending resolve (the completion carries the last one). */
  finish(): void {
    this.#reporter?.finish();
  }

  get progress(): ProgressRecord | undefined {
    return this.#reporter?.lastProgress;
  }

  /** The log lines, when the activity logged through `ctx.log`. */
  get logs(): LogEntry[] | undefined {
    return this.#reporter?.logs;
  }

  #reporterOf(): ActivityReporter {
    if (this.#reporter) return this.#reporter;
    const { storage, options } = this.#deps;
    const item = this.#item;
    return (this.#reporter = new ActivityReporter(storage, options.taskHub, item, options.clock, (entry) => options.logger({ ...entry, instanceId: item.instanceId })));
  }
}
