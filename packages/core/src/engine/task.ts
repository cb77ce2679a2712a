/**
 * Tasks: what an orchestrator yields. A task settles at most once; composite
 * tasks (all, any, retry) settle from their children, eagerly, so the
 * executor only has to look at the task the orchestrator is waiting on.
 *
 * A task is iterable, so `const x = yield* task` gives `x` the task's type.
 */
import { TaskFailedError, isRepriseError } from '../errors.js';

type TaskState = 'pending' | 'completed' | 'failed';

export abstract class Task<T = unknown> {
  #state: TaskState = 'pending';
  #result: T | undefined;
  #error: Error | undefined;
  /** Composite tasks waiting on this one. */
  #parents: CompositeTask<unknown>[] = [];

  /** True once the task has a result or an error (the durable-functions name). */
  get isCompleted(): boolean {
    return this.#state !== 'pending';
  }

  get isFaulted(): boolean {
    return this.#state === 'failed';
  }

  /** The result, once completed successfully. */
  get result(): T | undefined {
    return this.#result;
  }

  /** The error, once faulted. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * @internal The sequences of the steps whose results this task's outcome
   * carries: what the code consumes when it is resumed with it (`previous`).
   */
  steps(): number[] {
    return [];
  }

  *[Symbol.iterator](): Generator<Task<T>, T, unknown> {
    return (yield this) as T;
  }

  /** @internal */
  complete(result: T): void {
    if (this.#state !== 'pending') return;
    this.#state = 'completed';
    this.#result = result;
    this.#notify();
  }

  /** @internal */
  fail(error: Error): void {
    if (this.#state !== 'pending') return;
    this.#state = 'failed';
    this.#error = error;
    this.#notify();
  }

  /** @internal */
  addParent(parent: CompositeTask<unknown>): void {
    this.#parents.push(parent);
  }

  #notify(): void {
    for (const parent of this.#parents) parent.onChildSettled(this);
  }
}

/** A task completed by one history event, matched by sequence number (or by name for external events). */
export class LeafTask<T = unknown> extends Task<T> {
  constructor(
    readonly kind: 'activity' | 'timer' | 'subOrchestration' | 'externalEvent' | 'entityCall' | 'lock',
    /** The action's sequence number (EventId), or -1 for external events. */
    readonly id: number,
  ) {
    super();
  }
  override steps(): number[] {
    return this.id >= 0 ? [this.id] : [];
  }
}

/** A durable timer; `cancel()` marks it done so a Task.any loser never holds the orchestration open. */
export class TimerTask extends LeafTask<void> {
  #canceled = false;
  /** @internal Told when the code cancels the timer (the step view records it as abandoned). */
  onCancel: (() => void) | undefined;
  constructor(id: number, readonly fireAt: Date) {
    super('timer', id);
  }
  get isCanceled(): boolean {
    return this.#canceled;
  }
  cancel(): void {
    if (this.isCompleted) return;
    this.#canceled = true;
    this.fail(new Error('timer canceled'));
    this.onCancel?.();
  }
}

export abstract class CompositeTask<T> extends Task<T> {
  constructor(readonly children: readonly Task<unknown>[]) {
    super();
    for (const child of children) child.addParent(this as CompositeTask<unknown>);
  }
  /** @internal */
  abstract onChildSettled(child: Task<unknown>): void;
}

/** The results of a tuple or array of tasks, position by position. */
export type ResultsOf<T extends readonly Task<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Task<infer R> ? R : never };

/** Completes with every child's result in order; fails with the first child failure. */
export class WhenAllTask<T extends readonly Task<unknown>[]> extends CompositeTask<ResultsOf<T>> {
  #remaining: number;
  constructor(children: T) {
    super(children);
    this.#remaining = children.length;
    for (const child of children) if (child.isCompleted) this.onChildSettled(child, true);
    if (this.#remaining === 0 && !this.isCompleted) this.complete(this.children.map((c) => c.result) as ResultsOf<T>);
  }
  override onChildSettled(child: Task<unknown>, initial = false): void {
    if (this.isCompleted) return;
    if (child.isFaulted) return this.fail(child.error!);
    this.#remaining -= 1;
    if (this.#remaining === 0 && !initial) this.complete(this.children.map((c) => c.result) as ResultsOf<T>);
  }
  override steps(): number[] {
    return this.children.filter((c) => c.isCompleted && (!this.isFaulted || c.isFaulted)).flatMap((c) => c.steps());
  }
}

/** Completes with the first child to settle (the task itself, as durable-functions does). */
export class WhenAnyTask<T extends Task<unknown>> extends CompositeTask<T> {
  constructor(children: readonly T[]) {
    super(children);
    const first = children.find((c) => c.isCompleted);
    if (first) this.complete(first);
  }
  override onChildSettled(child: Task<unknown>): void {
    if (!this.isCompleted) this.complete(child as T);
  }
  /** Only the winner: the losers' results were not read. */
  override steps(): number[] {
    return this.result?.steps() ?? [];
  }
}

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  /** @default 1 */
  backoffCoefficient?: number;
  /** @default no cap */
  maxRetryIntervalInMilliseconds?: number;
  /** Give up once this long has passed since the first attempt. @default no limit */
  retryTimeoutInMilliseconds?: number;
  /** Return false to stop retrying for this error. @default retry every error */
  handle?: (error: Error) => boolean;
}

/**
 * Retries a task with durable backoff timers. Each attempt and each backoff
 * timer is a real action with its own sequence number, created while the
 * executor processes the failure event, so replay produces the same ones.
 */
export class RetryTask<T> extends CompositeTask<T> {
  #attempt = 1;
  #current: Task<T>;
  #waitingTimer = false;
  constructor(
    first: Task<T>,
    private readonly options: RetryOptions,
    private readonly startedAt: number,
    private readonly hooks: {
      now(): number;
      /** Start attempt `attempt` (2, 3, ...). */
      startAttempt(attempt: number): Task<T>;
      /** The backoff timer after `failed`. */
      startTimer(fireAt: Date, failed: Task<T>): Task<void>;
    },
  ) {
    super([first]);
    this.#current = first;
  }
  override onChildSettled(child: Task<unknown>): void {
    if (this.isCompleted || child !== this.#current) return;
    // A cancellation request is never retried, whether it hit an attempt or the backoff timer.
    if (child.isFaulted && isRepriseError(child.error, 'CANCELLATION_REQUESTED')) return this.fail(child.error!);
    if (this.#waitingTimer) {
      this.#waitingTimer = false;
      this.#attempt += 1;
      this.#follow(this.hooks.startAttempt(this.#attempt));
      return;
    }
    if (!child.isFaulted) return this.complete(child.result as T);
    const error = child.error!;
    const { maxNumberOfAttempts, firstRetryIntervalInMilliseconds, backoffCoefficient = 1, maxRetryIntervalInMilliseconds = Infinity, retryTimeoutInMilliseconds = Infinity, handle } = this.options;
    const delay = Math.min(firstRetryIntervalInMilliseconds * backoffCoefficient ** (this.#attempt - 1), maxRetryIntervalInMilliseconds);
    const now = this.hooks.now();
    const giveUp =
      this.#attempt >= maxNumberOfAttempts ||
      now + delay - this.startedAt > retryTimeoutInMilliseconds ||
      (handle !== undefined && !safeHandle(handle, error));
    if (giveUp) return this.fail(error);
    this.#waitingTimer = true;
    this.#follow(this.hooks.startTimer(new Date(now + delay), child as Task<T>) as Task<unknown> as Task<T>);
  }
  /** The attempt that settled it. */
  override steps(): number[] {
    return this.#current.steps();
  }
  /** @internal The attempt or backoff timer running now (earlier ones are settled). */
  get current(): Task<T> {
    return this.#current;
  }
  #follow(task: Task<T>): void {
    this.#current = task;
    task.addParent(this as CompositeTask<unknown>);
    if (task.isCompleted) this.onChildSettled(task);
  }
}

/**
 * @internal The sequences of the pending leaf steps under a task: what the
 * code waits for when it yields it, and what it gives up when it moves on
 * from a composite that settled without them.
 */
export function pendingSteps(task: Task<unknown>, into: number[] = []): number[] {
  if (task.isCompleted && !(task instanceof CompositeTask)) return into;
  if (task instanceof LeafTask) {
    if (task.id >= 0) into.push(task.id);
  } else if (task instanceof RetryTask) {
    pendingSteps(task.current, into);
  } else if (task instanceof CompositeTask) {
    for (const child of task.children) pendingSteps(child, into);
  }
  return into;
}

function safeHandle(handle: (error: Error) => boolean, error: Error): boolean {
  try {
    return handle(error) !== false;
  } catch {
    return false;
  }
}

/** Rebuild the error an orchestrator catches from a failure event. */
export function failureToError(reason: string, details: { name?: string; message?: string; stack?: string; code?: string } | undefined): Error {
  return new TaskFailedError({
    name: details?.name ?? 'Error',
    message: details?.message ?? reason,
    ...(details?.stack !== undefined && { stack: details.stack }),
    ...(details?.code !== undefined && { code: details.code }),
  });
}
