/**
 * The orchestrator's view of the world: the `context.df` surface of the
 * durable-functions package, deterministic by construction. Every method
 * that schedules work creates an action with the next sequence number; the
 * executor checks those numbers against history on replay.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { ActivityHandle, OrchestratorHandle } from '../definitions.js';
import { LeafTask, RetryTask, Task, TimerTask, WhenAllTask, WhenAnyTask } from './task.js';
import type { ResultsOf, RetryOptions } from './task.js';
import type { EntityId } from '../entities/entity-id.js';
import type { StepMeta } from './actions.js';
import { HTTP_ACTIVITY, HttpTask, httpActivityInput, rememberTokenSource } from './call-http.js';
import type { DurableHttpRequest, DurableHttpResponse } from './call-http.js';

export interface TaskFactories {
  /** Completes when every task completes, with their results in order; fails on the first failure. */
  all<T extends readonly Task<unknown>[]>(tasks: readonly [...T]): Task<ResultsOf<T>>;
  /** Completes with the first task to settle; the result is that task. */
  any<T extends Task<unknown>>(tasks: readonly T[]): Task<T>;
}

/** `log(message)` writes at info level, as durable-functions' `context.log` does; the methods pick the level. */
export interface ReplaySafeLogger {
  (message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** A critical section over entities; release() ends it early. */
export interface EntityLock {
  release(): void;
}

/** A sub-orchestration's input may be left out only when its orchestrator accepts `undefined`. */
export type SubOrchestratorArgs<SI> = undefined extends SI ? [input?: SI, instanceId?: string] : [input: SI, instanceId?: string];

export interface OrchestrationContext<I = unknown> {
  readonly instanceId: string;
  /** The orchestrator's name. */
  readonly name: string;
  /** The parent's instance id, for a sub-orchestration. */
  readonly parentInstanceId: string | undefined;
  /** True while the code runs over recorded history. */
  readonly isReplaying: boolean;
  /** Deterministic time: when the current episode started. */
  readonly currentUtcDateTime: Date;
  readonly log: ReplaySafeLogger;
  readonly Task: TaskFactories;
  getInput(): I;
  /** A deterministic UUID, the same on every replay. */
  newGuid(): string;
  callActivity<AI, AO>(activity: ActivityHandle<AI, AO>, ...input: undefined extends AI ? [input?: AI] : [input: AI]): Task<AO>;
  callActivity<T = unknown>(name: string, input?: unknown): Task<T>;
  callActivityWithRetry<AI, AO>(activity: ActivityHandle<AI, AO>, retryOptions: RetryOptions, ...input: undefined extends AI ? [input?: AI] : [input: AI]): Task<AO>;
  callActivityWithRetry<T = unknown>(name: string, retryOptions: RetryOptions, input?: unknown): Task<T>;
  callSubOrchestrator<SI, SO>(orchestrator: OrchestratorHandle<SI, SO>, ...args: SubOrchestratorArgs<SI>): Task<SO>;
  callSubOrchestrator<T = unknown>(name: string, input?: unknown, instanceId?: string): Task<T>;
  callSubOrchestratorWithRetry<SI, SO>(orchestrator: OrchestratorHandle<SI, SO>, retryOptions: RetryOptions, ...args: SubOrchestratorArgs<SI>): Task<SO>;
  callSubOrchestratorWithRetry<T = unknown>(name: string, retryOptions: RetryOptions, input?: unknown, instanceId?: string): Task<T>;
  createTimer(fireAt: Date): TimerTask;
  /**
   * Send an HTTP request from the orchestration, durably: the request runs as
   * the built-in activity `BuiltIn::HttpActivity`, and a `202` with a
   * `Location` header is polled (GET, after a durable timer of `Retry-After`
   * or 30 s) until the answer is not 202. Any status is a result; a request
   * with no answer (refused, timed out) fails the task.
   */
  callHttp(request: DurableHttpRequest): Task<DurableHttpResponse>;
  waitForExternalEvent<T = unknown>(name: string): Task<T>;
  setCustomStatus(value: unknown): void;
  /** Restart with new input and an empty history once this code returns. */
  continueAsNew(input: unknown): void;
  all<T extends readonly Task<unknown>[]>(tasks: readonly [...T]): Task<ResultsOf<T>>;
  any<T extends Task<unknown>>(tasks: readonly T[]): Task<T>;
  /** Call an entity operation and wait for its result; the operation's error is thrown here. */
  callEntity<T = unknown>(entityId: EntityId, operationName: string, input?: unknown): Task<T>;
  /** Send a one-way operation to an entity; nothing to yield. */
  signalEntity(entityId: EntityId, operationName: string, input?: unknown): void;
  /** Enter a critical section over the given entities. */
  lock(entityIds: EntityId[]): Task<EntityLock>;
  /** True inside a critical section. */
  readonly isLocked: boolean;
  /**
   * True once cancellation was requested (`client.requestCancel`, or the
   * parent's cancellation). Deterministic: it turns true at the same point
   * of every replay. Tasks pending at the request reject with
   * CancellationRequestedError; tasks created afterwards run normally.
   */
  readonly isCancellationRequested: boolean;
  /**
   * Gate changed code for runs in flight: true on a first execution (a
   * marker is recorded in history), and on replay only where the history
   * holds the marker, so runs started by older code keep the old path.
   * Asked twice, it answers the same.
   */
  patched(patchId: string): boolean;
  /**
   * The patched path is the only one left: records nothing, and accepts
   * histories with or without the marker. Once no run carries the marker,
   * delete the call.
   */
  deprecatePatch(patchId: string): void;
}

/** What the context needs from the executor that owns it. */
export interface ContextHost {
  readonly instanceId: string;
  readonly name: string;
  readonly parentInstanceId: string | undefined;
  readonly isReplaying: boolean;
  readonly currentTime: number;
  input(): unknown;
  scheduleActivity(name: string, input: unknown, meta?: StepMeta): LeafTask;
  scheduleTimer(fireAt: number, meta?: StepMeta): TimerTask;
  scheduleSubOrchestration(name: string, input: unknown, instanceId: string | undefined, meta?: StepMeta): LeafTask;
  /** The child instance id a scheduled sub-orchestration task runs as. */
  subOrchestrationId(task: LeafTask): string;
  /** The `previous` recorded for the action with this sequence. */
  previousOf(sequence: number): readonly number[];
  /** The DAG task key recorded for the action with this sequence. */
  keyOf(sequence: number): string | undefined;
  /**
   * Run `schedule` with `previous` as every new action's `previous` (DAG
   * workflows know their dependencies exactly) and `key` as its task key.
   */
  withPrevious<T>(previous: readonly number[], schedule: () => T, key?: string): T;
  waitForEvent(name: string): LeafTask;
  setCustomStatus(value: unknown): void;
  continueAsNew(input: unknown): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, args: unknown[]): void;
  callEntity(entityId: EntityId, operation: string, input: unknown): Task<unknown>;
  signalEntity(entityId: EntityId, operation: string, input: unknown): void;
  lockEntities(entityIds: EntityId[]): Task<EntityLock>;
  readonly isLocked: boolean;
  readonly isCancellationRequested: boolean;
  patched(patchId: string): boolean;
  deprecatePatch(patchId: string): void;
}

const nameOf = (target: string | { name: string }): string => (typeof target === 'string' ? target : target.name);

export function createOrchestrationContext<I>(host: ContextHost): OrchestrationContext<I> {
  let guidCounter = 0;
  let httpCalls = 0;
  const all = <T extends readonly Task<unknown>[]>(tasks: readonly [...T]) => new WhenAllTask(tasks as unknown as T) as Task<ResultsOf<T>>;
  const any = <T extends Task<unknown>>(tasks: readonly T[]) => {
    if (tasks.length === 0) throw new InvalidArgumentError('Task.any needs at least one task');
    return new WhenAnyTask(tasks) as Task<T>;
  };
  // Later attempts wait for what the first waited for; a backoff timer waits for the attempt that failed.
  const withRetry = <T>(options: RetryOptions, start: (meta?: StepMeta) => Task<T>): Task<T> => {
    validateRetryOptions(options);
    const first = start();
    const previous = first instanceof LeafTask ? host.previousOf(first.id) : [];
    const key = first instanceof LeafTask ? host.keyOf(first.id) : undefined;
    return new RetryTask(first, options, host.currentTime, {
      now: () => host.currentTime,
      startAttempt: (attempt) => start({ attempt, previous, ...(key !== undefined && { key }) }),
      startTimer: (fireAt, failed) => host.scheduleTimer(fireAt.getTime(), { previous: failed.steps() }),
    });
  };
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, ...args: unknown[]) => host.log(level, message, args);
  const logger: ReplaySafeLogger = Object.assign(log('info'), { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') });

  const ctx: OrchestrationContext<I> = {
    get instanceId() {
      return host.instanceId;
    },
    get name() {
      return host.name;
    },
    get parentInstanceId() {
      return host.parentInstanceId;
    },
    get isReplaying() {
      return host.isReplaying;
    },
    get currentUtcDateTime() {
      return new Date(host.currentTime);
    },
    get isLocked() {
      return host.isLocked;
    },
    get isCancellationRequested() {
      return host.isCancellationRequested;
    },
    log: logger,
    Task: { all, any },
    all,
    any,
    getInput: () => host.input() as I,
    newGuid() {
      // UUID v5 layout over (instance, time, counter): unique per call, identical on replay.
      const hash = createHash('sha1').update(`${host.instanceId}\u0000${host.currentTime}\u0000${guidCounter++}`).digest();
      hash[6] = (hash[6]! & 0x0f) | 0x50;
      hash[8] = (hash[8]! & 0x3f) | 0x80;
      const hex = hash.subarray(0, 16).toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    callActivity: ((activity: string | ActivityHandle, input?: unknown) => host.scheduleActivity(nameOf(activity), input)) as OrchestrationContext<I>['callActivity'],
    callActivityWithRetry: ((activity: string | ActivityHandle, options: RetryOptions, input?: unknown) =>
      withRetry(options, (meta) => host.scheduleActivity(nameOf(activity), input, meta))) as OrchestrationContext<I>['callActivityWithRetry'],
    callSubOrchestrator: ((orchestrator: string | OrchestratorHandle, input?: unknown, instanceId?: string) =>
      host.scheduleSubOrchestration(nameOf(orchestrator), input, instanceId)) as OrchestrationContext<I>['callSubOrchestrator'],
    callSubOrchestratorWithRetry: ((orchestrator: string | OrchestratorHandle, options: RetryOptions, input?: unknown, instanceId?: string) => {
      // Every attempt runs as the first one's instance, as in DTFx: the child restarts in place once the failed attempt is terminal.
      let childId = instanceId;
      return withRetry(options, (meta) => {
        const task = host.scheduleSubOrchestration(nameOf(orchestrator), input, childId, meta);
        childId ??= host.subOrchestrationId(task);
        return task;
      });
    }) as OrchestrationContext<I>['callSubOrchestratorWithRetry'],
    createTimer(fireAt: Date) {
      const time = fireAt instanceof Date ? fireAt.getTime() : NaN;
      if (!Number.isFinite(time)) throw new InvalidArgumentError('createTimer needs a valid Date');
      return host.scheduleTimer(time);
    },
    callHttp(request: DurableHttpRequest) {
      const callIndex = httpCalls++;
      const input = httpActivityInput(request, callIndex);
      if (request.tokenSource) rememberTokenSource(host.instanceId, callIndex, request.tokenSource);
      const polling = (request.asynchronousPatternEnabled ?? request.enablePolling) !== false;
      const first = host.scheduleActivity(HTTP_ACTIVITY, input) as LeafTask<DurableHttpResponse>;
      return new HttpTask(first, input, polling, {
        now: () => host.currentTime,
        send: (next, after) => host.scheduleActivity(HTTP_ACTIVITY, next, { previous: after.steps() }) as LeafTask<DurableHttpResponse>,
        wait: (fireAt, after) => host.scheduleTimer(fireAt, { previous: after.steps() }),
      });
    },
    waitForExternalEvent: ((name: string) => {
      if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('waitForExternalEvent needs an event name');
      return host.waitForEvent(name);
    }) as OrchestrationContext<I>['waitForExternalEvent'],
    setCustomStatus: (value) => host.setCustomStatus(value),
    continueAsNew: (input) => host.continueAsNew(input),
    callEntity: ((entityId: EntityId, operation: string, input?: unknown) => host.callEntity(entityId, operation, input)) as OrchestrationContext<I>['callEntity'],
    signalEntity: (entityId, operation, input) => host.signalEntity(entityId, operation, input),
    lock: (entityIds) => host.lockEntities(entityIds),
    patched: (patchId) => host.patched(checkPatchId(patchId, 'patched')),
    deprecatePatch: (patchId) => host.deprecatePatch(checkPatchId(patchId, 'deprecatePatch')),
  };
  hosts.set(ctx, host);
  return ctx;
}

const hosts = new WeakMap<object, ContextHost>();

/**
 * Schedule with an exact `previous` (DAG workflows, which know each task's
 * dependencies), instead of what the code consumed since its last step, and
 * record the task's `key` in its steps.
 */
export function schedulingAfter<T>(ctx: OrchestrationContext<unknown>, previous: readonly number[], schedule: () => T, key?: string): T {
  const host = hosts.get(ctx);
  if (!host) throw new InvalidArgumentError('schedulingAfter needs a context created by the runtime');
  return host.withPrevious(previous, schedule, key);
}

function checkPatchId(patchId: unknown, what: string): string {
  if (typeof patchId !== 'string' || patchId.length === 0 || patchId.length > 200) throw new InvalidArgumentError(`${what} needs a patch id (a non-empty string of at most 200 characters)`);
  return patchId;
}

function validateRetryOptions(options: RetryOptions): void {
  if (!options || !(options.firstRetryIntervalInMilliseconds > 0)) {
    throw new InvalidArgumentError('retryOptions.firstRetryIntervalInMilliseconds must be greater than 0');
  }
  if (!Number.isInteger(options.maxNumberOfAttempts) || options.maxNumberOfAttempts < 1) {
    throw new InvalidArgumentError('retryOptions.maxNumberOfAttempts must be a positive integer');
  }
}
