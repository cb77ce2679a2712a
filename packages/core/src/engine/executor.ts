/**
 * The replay engine: runs one orchestrator over history events, pure of any
 * I/O. The runtime feeds it recorded history (replaying) and then the new
 * events of an episode, and reads back the new actions and the outcome.
 *
 * Invariants:
 * - Actions get sequence numbers in creation order; a recorded scheduling
 *   event must match the action with its number in kind and name, or the
 *   instance fails with a NonDeterminismError naming expected and actual.
 * - The generator is resumed after each event, so the order of actions
 *   depends only on the order of events.
 * - A live executor can be cached and fed only the next events: feeding
 *   (history + new) at once or in two steps gives identical results.
 * - `patched(id)` is decided once per execution: true when recorded history
 *   holds its marker at the next sequence number, false when the code is
 *   replaying without one there (an old run keeps the old path), true with a
 *   new marker otherwise. The recorded markers are known before any event is
 *   applied (`preview`), since the code asks before the marker's turn comes.
 * - Each action records `previous`: the steps whose results the code was
 *   resumed with since it last scheduled something (all actions scheduled
 *   between two resumptions share it). It is derived from the code's own
 *   progress, so it is the same on every replay, and never compared.
 * - Event waits take a sequence number only in executions whose
 *   ExecutionStarted says so (`EventWaitSteps`): older histories replay with
 *   the numbering they were written with.
 * - When the code moves on from a composite task (Task.any, a failed
 *   Task.all), the steps still pending under it are abandoned unless its
 *   next yield waits for them; abandoned and resumed steps are collected
 *   for the episode's WaitsChanged event while new events apply (never
 *   while replaying), so cached and replayed executors record the same.
 */
import { CancellationRequestedError, InvalidArgumentError, LockingRulesError, NonDeterminismError, toFailureDetails } from '../errors.js';
import type { FailureDetails } from '../errors.js';
import type { HistoryEvent, HistoryEventOf, EventType, Payload, EventRaisedEvent, ParentInstance, WaitsChangedEvent } from '../history.js';
import { deserialize, serialize } from '../serializer.js';
import type { OrchestratorFunction } from '../definitions.js';
import { describeAction, describeScheduledEvent, sameAction } from './actions.js';
import type { Action, StepMeta } from './actions.js';
import { createOrchestrationContext } from './context.js';
import type { ContextHost, EntityLock, OrchestrationContext } from './context.js';
import { CompositeTask, LeafTask, Task, TimerTask, failureToError, pendingSteps } from './task.js';
import { entityInstanceId } from '../entities/entity-id.js';
import type { EntityId } from '../entities/entity-id.js';
import type { ConcurrencyGroup, LogEntry } from '../storage/types.js';
import { logLine } from '../log-line.js';

export type ExecutionOutcome =
  | { status: 'running' }
  | { status: 'completed'; output: Payload }
  /** `error` is what was thrown, for callers that read more than the stored details (a NonDeterminismError's fields). */
  | { status: 'failed'; failure: FailureDetails; error?: unknown }
  | { status: 'continuedAsNew'; input: Payload; carryOver: EventRaisedEvent[] };

export interface ExecutorOptions {
  maxPayloadBytes: number;
  /** Called for each replay-safe log line (never while replaying). */
  onLog?: (entry: LogEntry, instanceId: string) => void;
  /** The group a sub-orchestration starts in, from its orchestrator's definition (may throw InvalidArgumentError). */
  childConcurrency?: (name: string, input: unknown, instanceId: string) => ConcurrencyGroup | undefined;
  /** The group this instance holds a slot in: a child may not wait for its own parent's slot. */
  group?: string;
}

/** What a cancellation request asks of the episode that processes it: mark work items, tell waited-on children. */
export interface CancellationEffects {
  reason: Payload;
  /** Instance ids of sub-orchestrations that were pending when the request arrived. */
  children: string[];
}

type Handler<E extends EventType> = (event: HistoryEventOf<E>) => void;

export class OrchestrationExecutor implements ContextHost {
  readonly instanceId: string;
  name = '';
  parentInstanceId: string | undefined;
  parent: ParentInstance | undefined;
  isReplaying = false;
  currentTime = 0;
  outcome: ExecutionOutcome = { status: 'running' };
  customStatus: Payload;
  customStatusChanged = false;
  readonly logs: LogEntry[] = [];

  #fn: OrchestratorFunction;
  #options: ExecutorOptions;
  #input: unknown;
  #generator: Generator<unknown, unknown, unknown> | undefined;
  #ctx: OrchestrationContext | undefined;
  #awaited: Task<unknown> | undefined;
  #nextId = 0;
  /** Created actions awaiting their scheduling event (replay) or commit (new). */
  #unconfirmed = new Map<number, Action>();
  /** Actions in creation order since the last takeNewActions(). */
  #created: Action[] = [];
  #tasks = new Map<number, LeafTask>();
  #entityTasks = new Map<string, LeafTask>();
  #eventWaiters = new Map<string, LeafTask[]>();
  #bufferedEvents: EventRaisedEvent[] = [];
  #suspended = false;
  #suspendedEvents: HistoryEvent[] = [];
  #continueAsNewInput: { value: Payload } | undefined;
  #heldLocks: string[] | undefined;
  #lockRequestId: string | undefined;
  #pendingLockSet: string[] | undefined;
  /** Steps whose results the code was resumed with since it last scheduled (see the header). */
  #consumed: number[] = [];
  #scheduledSinceConsumed = false;
  #previousOverride: readonly number[] | undefined;
  #keyOverride: string | undefined;
  /** `previous` of actions not yet settled, for retries (forgotten when settled, like #tasks). */
  #previousById = new Map<number, readonly number[]>();
  /** DAG task keys of actions not yet settled, for retries (forgotten when settled). */
  #keyById = new Map<number, string>();
  #subInstances = new Map<number, string>();
  #cancelReason: { value: Payload } | undefined;
  #cancelEffects: CancellationEffects | undefined;
  /** Patch markers of the recorded history by sequence number (see `preview`). */
  #recordedPatches = new Map<number, string>();
  /** Each patch's answer in this execution: asked again, it answers the same. */
  #patches = new Map<string, boolean>();
  /** Whether event waits are numbered steps (from ExecutionStarted). */
  #eventWaitSteps = false;
  /** Pending steps under composites consumed since the last yield: abandoned unless the next yield waits for them. */
  #losers: number[] = [];
  /** Abandoned steps not yet settled: a later yield of one resumes it. */
  #abandoned = new Set<number>();
  /** This episode's changes, for its WaitsChanged event. */
  #waits = { abandoned: new Set<number>(), canceled: [] as number[], resumed: new Set<number>() };

  constructor(instanceId: string, fn: OrchestratorFunction, options: ExecutorOptions) {
    this.instanceId = instanceId;
    this.#fn = fn;
    this.#options = options;
  }

  get isDone(): boolean {
    return this.outcome.status !== 'running';
  }

  /** False until ExecutionStarted was applied (events may arrive before a delayed start). */
  get hasStarted(): boolean {
    return this.#ctx !== undefined;
  }

  get isSuspended(): boolean {
    return this.#suspended;
  }

  /** Entities this orchestration holds locked (instance ids), to release when it ends. */
  get heldLocks(): readonly string[] {
    return this.#heldLocks ?? [];
  }

  get isLocked(): boolean {
    return this.#heldLocks !== undefined;
  }

  get isCancellationRequested(): boolean {
    return this.#cancelReason !== undefined;
  }

  /** The reason of the cancellation request, once there is one. */
  get cancelReason(): Payload {
    return this.#cancelReason?.value;
  }

  /** For `client.explain`: the event names the code waits for now, and events received that nothing has waited for yet. */
  get eventWaits(): { waiting: string[]; buffered: string[] } {
    const waiting = [...this.#eventWaiters].filter(([, waiters]) => waiters.length > 0).map(([name]) => name);
    return { waiting, buffered: this.#bufferedEvents.map((e) => e.Name) };
  }

  /** What the cancellation request applied since the last call asks of the episode (once). */
  takeCancellation(): CancellationEffects | undefined {
    const effects = this.#cancelEffects;
    this.#cancelEffects = undefined;
    return effects;
  }

  /**
   * Learn the patch markers of recorded history before applying it, so
   * `patched()` finds a marker that comes after the event the code resumes
   * on. `apply(events, true)` previews its own events; a caller feeding
   * recorded history event by event previews all of it first.
   */
  preview(events: readonly HistoryEvent[]): void {
    for (const event of events) if (event.EventType === 'PatchMarker') this.#recordedPatches.set(event.EventId, event.PatchId);
  }

  /** Apply events in order. `replaying` marks recorded history. */
  apply(events: readonly HistoryEvent[], replaying: boolean): void {
    if (replaying) this.preview(events);
    this.isReplaying = replaying;
    for (const event of events) {
      if (this.isDone) {
        // Events after continue-as-new in the same episode travel to the new execution like buffered ones.
        if (this.outcome.status === 'continuedAsNew' && event.EventType === 'EventRaised') this.outcome.carryOver.push(event);
        continue;
      }
      const time = Date.parse(event.Timestamp);
      if (time > this.currentTime) this.currentTime = time;
      try {
        this.#dispatch(event);
        this.#resumeIfReady();
      } catch (error) {
        this.#fail(error);
      }
    }
    this.isReplaying = false;
  }

  /** Hand over the actions to record; they become confirmed. */
  takeNewActions(): Action[] {
    // Actions confirmed by recorded history during replay are not new.
    const created = this.#created;
    if (created.length === 0) return [];
    this.#created = [];
    return created.filter((a) => this.#unconfirmed.delete(a.id));
  }

  /** Actions created and not yet recorded in history, in sequence order. */
  get newActions(): readonly Action[] {
    return this.#created.filter((a) => this.#unconfirmed.has(a.id));
  }

  takeLogs(): LogEntry[] {
    return this.logs.length === 0 ? [] : this.logs.splice(0);
  }

  /** What the new events changed in which steps the code waits for (once); undefined when nothing did. */
  takeWaitChanges(): Omit<WaitsChangedEvent, 'EventType' | 'Timestamp'> | undefined {
    const { abandoned, canceled, resumed } = this.#waits;
    // Nothing changed (a plain step): the empty sets stay, no new ones per episode.
    if (abandoned.size === 0 && canceled.length === 0 && resumed.size === 0) return undefined;
    this.#waits = { abandoned: new Set(), canceled: [], resumed: new Set() };
    const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);
    return {
      ...(abandoned.size > 0 && { Abandoned: sorted(abandoned) }),
      ...(canceled.length > 0 && { Canceled: sorted(canceled) }),
      ...(resumed.size > 0 && { Resumed: sorted(resumed) }),
    };
  }

  #dispatch(event: HistoryEvent): void {
    if (this.#suspended && event.EventType !== 'ExecutionResumed' && event.EventType !== 'ExecutionTerminated' && event.EventType !== 'ExecutionCancelRequested') {
      this.#suspendedEvents.push(event);
      return;
    }
    (this.#handlers[event.EventType] as Handler<typeof event.EventType>)(event as never);
  }

  readonly #handlers = {
    ExecutionStarted: (e) => {
      this.name = e.Name;
      this.parentInstanceId = e.ParentInstance?.InstanceId;
      this.parent = e.ParentInstance;
      this.#input = deserialize(e.Input);
      this.#eventWaitSteps = e.EventWaitSteps === true;
      this.#start();
    },
    ExecutionCompleted: () => {},
    ExecutionFailed: () => {},
    ExecutionTerminated: () => {},
    ExecutionCancelRequested: (e) => this.#requestCancel(e.Reason),
    ExecutionRewound: () => {},
    ContinueAsNew: () => {},
    ExecutionSuspended: () => {
      this.#suspended = true;
    },
    ExecutionResumed: () => {
      this.#suspended = false;
      const buffered = this.#suspendedEvents.splice(0);
      for (const event of buffered) {
        this.#dispatch(event);
        this.#resumeIfReady();
      }
    },
    TaskScheduled: (e) => this.#confirm(e, e.EventId),
    TimerCreated: (e) => this.#confirm(e, e.EventId),
    SubOrchestrationInstanceCreated: (e) => this.#confirm(e, e.EventId),
    EntityRequestSent: (e) => this.#confirm(e, e.EventId),
    EventWaitStarted: (e) => this.#confirm(e, e.EventId),
    WaitsChanged: () => {},
    TaskCompleted: (e) => this.#settled(e.TaskScheduledId)?.complete(deserialize(e.Result)),
    TaskFailed: (e) => this.#settled(e.TaskScheduledId)?.fail(failureToError(e.Reason, deserialize(e.Details))),
    SubOrchestrationInstanceCompleted: (e) => this.#settled(e.TaskScheduledId)?.complete(deserialize(e.Result)),
    SubOrchestrationInstanceFailed: (e) => this.#settled(e.TaskScheduledId)?.fail(failureToError(e.Reason, deserialize(e.Details))),
    TimerFired: (e) => this.#settled(e.TimerId)?.complete(undefined),
    EventRaised: (e) => {
      const waiters = this.#eventWaiters.get(e.Name);
      const waiter = waiters?.shift();
      if (waiter) {
        this.#abandoned.delete(waiter.id);
        waiter.complete(deserialize(e.Input));
      }
      else this.#bufferedEvents.push(e);
    },
    EntityResponse: (e) => {
      const task = this.#entityTasks.get(e.RequestId);
      if (!task) return;
      this.#entityTasks.delete(e.RequestId);
      if (e.Reason !== undefined) task.fail(failureToError(e.Reason, deserialize(e.Details)));
      else if (task.kind === 'lock') task.complete(this.#grantLock());
      else task.complete(deserialize(e.Result));
    },
    EntityOperation: () => {},
    EntityLockRequested: () => {},
    EntityLockReleased: () => {},
    PatchMarker: (e) => this.#confirm(e, e.EventId),
  } satisfies { [E in EventType]: Handler<E> };

  /**
   * Every task pending now rejects with CancellationRequestedError (a lock
   * being acquired is kept: its grant must still be recorded so the lock is
   * released when the execution ends). Tasks created later run normally.
   */
  #requestCancel(reason: Payload): void {
    if (this.#cancelReason) return;
    this.#cancelReason = { value: reason };
    const children = [...this.#tasks.keys()].flatMap((id) => {
      const child = this.#subInstances.get(id);
      return child === undefined ? [] : [child];
    });
    this.#cancelEffects = { reason, children };
    const error = () => new CancellationRequestedError(`cancellation of instance '${this.instanceId}' was requested`, deserialize(reason));
    const pending = [...this.#tasks.values(), ...[...this.#entityTasks.values()].filter((t) => t.kind !== 'lock'), ...[...this.#eventWaiters.values()].flat()];
    this.#tasks.clear();
    this.#subInstances.clear();
    for (const [requestId, task] of this.#entityTasks) if (task.kind !== 'lock') this.#entityTasks.delete(requestId);
    this.#eventWaiters.clear();
    for (const task of pending) {
      this.#abandoned.delete(task.id);
      // Steps scheduled earlier in this episode: their scheduling events come after the request in history.
      if (!this.isReplaying && this.#unconfirmed.has(task.id)) this.#waits.canceled.push(task.id);
      task.fail(error());
    }
  }

  /** The task a completion event settles, forgotten from then on: a live executor's memory must not grow with its history. */
  #settled(id: number): LeafTask | undefined {
    const task = this.#tasks.get(id);
    this.#tasks.delete(id);
    this.#previousById.delete(id);
    this.#keyById.delete(id);
    this.#subInstances.delete(id);
    this.#abandoned.delete(id);
    return task;
  }

  #confirm(event: HistoryEvent, id: number): void {
    const action = this.#unconfirmed.get(id);
    if (!action || !sameAction(event, action)) {
      const expected = describeScheduledEvent(event);
      const actual = describeAction(action);
      throw new NonDeterminismError(`Non-deterministic orchestrator '${this.name}' (instance '${this.instanceId}'): history recorded ${expected} but the code now produced ${actual}`, {
        expected,
        actual,
        sequence: id,
      });
    }
    this.#unconfirmed.delete(id);
  }

  #start(): void {
    const ctx = createOrchestrationContext(this);
    this.#ctx = ctx;
    let result: unknown;
    try {
      result = this.#fn(ctx);
    } catch (error) {
      return this.#fail(error);
    }
    if (isGenerator(result)) {
      this.#generator = result;
      this.#step({ value: undefined });
    } else if (result instanceof Promise) {
      this.#fail(new InvalidArgumentError(`orchestrator '${this.name}' returned a Promise: orchestrators are generator functions (function*), not async functions`));
    } else {
      this.#finish(result);
    }
  }

  #resumeIfReady(): void {
    const awaited = this.#awaited;
    if (!awaited || !awaited.isCompleted || this.isDone) return;
    this.#awaited = undefined;
    this.#consume(awaited);
    this.#step(awaited.isFaulted ? { error: awaited.error } : { value: awaited.result });
  }

  #consume(task: Task<unknown>): void {
    if (this.#scheduledSinceConsumed) {
      this.#consumed = [];
      this.#scheduledSinceConsumed = false;
    }
    for (const id of task.steps()) if (!this.#consumed.includes(id)) this.#consumed.push(id);
    if (task instanceof CompositeTask) pendingSteps(task, this.#losers);
  }

  /** The code yields `task`: losers it does not wait for are abandoned; abandoned steps it waits for are resumed. */
  #waitFor(task: Task<unknown>): void {
    if (this.#losers.length === 0 && this.#abandoned.size === 0) return;
    const waited = new Set(pendingSteps(task));
    for (const id of this.#losers) if (!waited.has(id) && !this.#abandoned.has(id)) this.#abandon(id);
    this.#losers = [];
    for (const id of waited) {
      if (!this.#abandoned.delete(id) || this.isReplaying) continue;
      if (!this.#waits.abandoned.delete(id)) this.#waits.resumed.add(id);
    }
  }

  #abandon(id: number): void {
    this.#abandoned.add(id);
    if (this.isReplaying) return;
    if (!this.#waits.resumed.delete(id)) this.#waits.abandoned.add(id);
  }

  /** Drive the generator until it waits on an unfinished task or returns. */
  #step(input: { value: unknown } | { error: unknown }): void {
    let next = input;
    for (;;) {
      let result: IteratorResult<unknown, unknown>;
      try {
        result = 'error' in next ? this.#generator!.throw(next.error) : this.#generator!.next(next.value);
      } catch (error) {
        return this.#fail(error);
      }
      if (result.done) return this.#finish(result.value);
      if (this.#continueAsNewInput) return this.#finish(undefined);
      const task = result.value;
      if (!(task instanceof Task)) {
        return this.#fail(new InvalidArgumentError(`orchestrator '${this.name}' yielded ${describeValue(task)}; yield a task from the context (ctx.callActivity, ctx.createTimer, ...)`));
      }
      this.#waitFor(task);
      if (!task.isCompleted) {
        this.#awaited = task;
        return;
      }
      this.#consume(task);
      next = task.isFaulted ? { error: task.error } : { value: task.result };
    }
  }

  #finish(value: unknown): void {
    if (this.#continueAsNewInput) {
      this.outcome = { status: 'continuedAsNew', input: this.#continueAsNewInput.value, carryOver: this.#bufferedEvents.splice(0) };
      return;
    }
    try {
      this.outcome = { status: 'completed', output: serialize(value, `output of orchestrator '${this.name}'`, this.#options.maxPayloadBytes) };
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    this.outcome = { status: 'failed', failure: toFailureDetails(error), error };
    this.#generator = undefined;
  }

  #nextAction<A extends Action>(build: (id: number) => A, meta?: StepMeta): A {
    const action = build(this.#nextId++);
    const previous = meta?.previous ?? this.#previousOverride ?? this.#consumed;
    // Only when it says something: actions (and their events) stay as they were for a step that waited for nothing.
    if (previous.length > 0) action.previous = [...previous];
    if (meta?.attempt !== undefined) action.attempt = meta.attempt;
    const key = meta?.key ?? this.#keyOverride;
    if (key !== undefined) action.key = key;
    if (meta?.previous === undefined && this.#previousOverride === undefined) this.#scheduledSinceConsumed = true;
    this.#unconfirmed.set(action.id, action);
    this.#created.push(action);
    return action;
  }

  #payload(value: unknown, what: string): Payload {
    return serialize(value, what, this.#options.maxPayloadBytes);
  }

  // ContextHost -------------------------------------------------------------

  input(): unknown {
    return this.#input;
  }

  scheduleActivity(name: string, input: unknown, meta?: StepMeta): LeafTask {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('callActivity needs an activity name');
    const payload = this.#payload(input, `input of activity '${name}'`);
    const action = this.#nextAction((id) => ({ kind: 'activity', id, name, input: payload }), meta);
    return this.#track(new LeafTask('activity', action.id), action);
  }

  scheduleTimer(fireAt: number, meta?: StepMeta): TimerTask {
    const action = this.#nextAction((id) => ({ kind: 'timer', id, fireAt }), meta);
    const timer = this.#track(new TimerTask(action.id, new Date(fireAt)), action);
    timer.onCancel = () => {
      // Canceled by the code: nothing can wait for it again. Already abandoned (or resumed in this episode, after an earlier abandonment): recorded.
      const abandoned = this.#abandoned.delete(timer.id);
      if (this.isReplaying || this.#waits.resumed.delete(timer.id) || abandoned) return;
      this.#waits.abandoned.add(timer.id);
    };
    return timer;
  }

  scheduleSubOrchestration(name: string, input: unknown, instanceId: string | undefined, meta?: StepMeta): LeafTask {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('callSubOrchestrator needs an orchestrator name');
    const payload = this.#payload(input, `input of sub-orchestrator '${name}'`);
    const id = this.#nextId;
    const childId = instanceId ?? `${this.instanceId}:${id}`;
    const concurrency = this.#options.childConcurrency?.(name, input, childId);
    if (concurrency && concurrency.group === this.#options.group) {
      throw new InvalidArgumentError(
        `sub-orchestrator '${name}' would start in group '${concurrency.group}', where its parent '${this.instanceId}' holds a slot: it could wait for its own parent forever; give it another group`,
      );
    }
    const action = this.#nextAction((n) => ({ kind: 'subOrchestration', id: n, name, instanceId: childId, input: payload, ...(concurrency && { concurrency }) }), meta);
    this.#subInstances.set(action.id, childId);
    return this.#track(new LeafTask('subOrchestration', action.id), action);
  }

  patched(patchId: string): boolean {
    const known = this.#patches.get(patchId);
    if (known !== undefined) return known;
    const id = this.#nextId;
    const recorded = this.#recordedPatches.get(id);
    // Replaying without the marker here: this run was recorded by code without the patch.
    const taken = recorded === patchId || (!this.isReplaying && recorded === undefined);
    if (taken) this.#recordPatch(patchId);
    this.#patches.set(patchId, taken);
    return taken;
  }

  deprecatePatch(patchId: string): void {
    if (this.#patches.has(patchId)) return;
    // A run that carries the marker still has it at this sequence: take it, so the numbers after it line up.
    if (this.#recordedPatches.get(this.#nextId) === patchId) this.#recordPatch(patchId);
    this.#patches.set(patchId, true);
  }

  /** A patch takes a sequence number but is no step: `previous` bookkeeping is left as it was. */
  #recordPatch(patchId: string): void {
    const action: Action = { kind: 'patch', id: this.#nextId++, patchId };
    this.#unconfirmed.set(action.id, action);
    this.#created.push(action);
  }

  subOrchestrationId(task: LeafTask): string {
    return this.#subInstances.get(task.id) ?? `${this.instanceId}:${task.id}`;
  }

  previousOf(sequence: number): readonly number[] {
    return this.#previousById.get(sequence) ?? [];
  }

  keyOf(sequence: number): string | undefined {
    return this.#keyById.get(sequence);
  }

  withPrevious<T>(previous: readonly number[], schedule: () => T, key?: string): T {
    const outer = this.#previousOverride;
    const outerKey = this.#keyOverride;
    this.#previousOverride = [...previous];
    this.#keyOverride = key;
    try {
      return schedule();
    } finally {
      this.#previousOverride = outer;
      this.#keyOverride = outerKey;
    }
  }

  waitForEvent(name: string): LeafTask {
    const id = this.#eventWaitSteps ? this.#nextAction((n) => ({ kind: 'eventWait', id: n, name })).id : -1;
    const task = new LeafTask('externalEvent', id);
    const index = this.#bufferedEvents.findIndex((e) => e.Name === name);
    if (index >= 0) {
      const [event] = this.#bufferedEvents.splice(index, 1);
      task.complete(deserialize(event!.Input));
      return task;
    }
    let waiters = this.#eventWaiters.get(name);
    if (!waiters) this.#eventWaiters.set(name, (waiters = []));
    waiters.push(task);
    return task;
  }

  setCustomStatus(value: unknown): void {
    this.customStatus = this.#payload(value, 'custom status');
    this.customStatusChanged = true;
  }

  continueAsNew(input: unknown): void {
    this.#continueAsNewInput = { value: this.#payload(input, 'continueAsNew input') };
  }

  log(level: LogEntry['level'], message: string, args: unknown[]): void {
    if (this.isReplaying) return;
    const text = logLine(message, args);
    const entry: LogEntry = { time: this.currentTime, level, message: text };
    this.logs.push(entry);
    try {
      this.#options.onLog?.(entry, this.instanceId);
    } catch {
      // A failing logger must not fail the orchestration; the line is still stored.
    }
  }

  callEntity(entity: EntityId, operation: string, input: unknown): Task<unknown> {
    const target = entityInstanceId(entity);
    this.#checkLockRules(target, 'call');
    const payload = this.#payload(input, `input of entity operation '${operation}'`);
    const action = this.#nextAction((id) => ({ kind: 'entityRequest', id, request: 'call', entityId: target, operation, input: payload, requestId: `${this.instanceId}#${id}`, ...this.#lockOwnerFor(target) }));
    const task = new LeafTask('entityCall', action.id);
    this.#entityTasks.set(action.requestId, task);
    return task;
  }

  signalEntity(entity: EntityId, operation: string, input: unknown): void {
    const target = entityInstanceId(entity);
    this.#checkLockRules(target, 'signal');
    const payload = this.#payload(input, `input of entity operation '${operation}'`);
    this.#nextAction((id) => ({ kind: 'entityRequest', id, request: 'signal', entityId: target, operation, input: payload, requestId: `${this.instanceId}#${id}`, ...this.#lockOwnerFor(target) }));
  }

  lockEntities(entities: EntityId[]): Task<EntityLock> {
    if (this.#heldLocks || this.#lockRequestId) throw new LockingRulesError('this orchestration already holds (or is acquiring) a critical section; release it first');
    if (!Array.isArray(entities) || entities.length === 0) throw new InvalidArgumentError('lock needs at least one entity id');
    // A global order for acquisition: two sections over overlapping sets cannot deadlock.
    const lockSet = [...new Set(entities.map(entityInstanceId))].sort();
    const action = this.#nextAction((id) => ({ kind: 'entityRequest', id, request: 'lock', entityId: lockSet[0]!, input: undefined, requestId: `${this.instanceId}#${id}`, lockSet }));
    this.#lockRequestId = action.requestId;
    this.#pendingLockSet = lockSet;
    const task = new LeafTask<EntityLock>('lock', action.id);
    this.#entityTasks.set(action.requestId, task as LeafTask);
    return task;
  }

  #grantLock(): EntityLock {
    const requestId = this.#lockRequestId!;
    this.#heldLocks = this.#pendingLockSet ?? [];
    this.#lockRequestId = undefined;
    this.#pendingLockSet = undefined;
    return {
      release: () => {
        const held = this.#heldLocks;
        if (!held) return;
        this.#heldLocks = undefined;
        for (const target of held) {
          this.#nextAction((id) => ({ kind: 'entityRequest', id, request: 'unlock', entityId: target, input: undefined, requestId: requestId }));
        }
      },
    };
  }

  #lockOwnerFor(target: string): { lockOwner?: string } {
    return this.#heldLocks?.includes(target) ? { lockOwner: this.instanceId } : {};
  }

  #checkLockRules(target: string, what: 'call' | 'signal'): void {
    if (!this.#heldLocks) return;
    if (what === 'call' && !this.#heldLocks.includes(target)) {
      throw new LockingRulesError(`inside a critical section an orchestration may only call the entities it locked; '${target}' is not one of ${this.#heldLocks.join(', ')}`);
    }
  }

  #track<L extends LeafTask<any>>(task: L, action: Action): L {
    this.#tasks.set(task.id, task as LeafTask);
    if (action.previous && action.previous.length > 0) this.#previousById.set(task.id, action.previous);
    if (action.key !== undefined) this.#keyById.set(task.id, action.key);
    return task;
  }
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Generator).next === 'function' && typeof (value as Generator).throw === 'function';
}

function describeValue(value: unknown): string {
  if (value instanceof Promise) return 'a Promise (orchestrators must not await I/O)';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a plain object' : `a ${typeof value}`;
}
