/**
 * Declarative DAG workflows, compiled to an ordinary orchestrator: replay,
 * retries, cancellation, steps and schedules all apply unchanged.
 *
 * Invariants:
 * - The graph is checked when it is defined: an unknown `after` key, a task
 *   waiting for itself or a cycle is an InvalidArgumentError, before any
 *   runtime sees it.
 * - A task starts as soon as every task in its `after` succeeded, in
 *   declaration order among those ready at once; independent tasks run in
 *   parallel.
 * - Each task's step records exactly its `after` tasks as `previous` (the
 *   sequences of their successful attempts), and the task's key as `key`
 *   (every attempt of a retried task).
 * - A cancel request (`client.requestCancel`) starts no new task and ends
 *   the workflow Canceled, not Failed, once its running tasks have answered.
 * - failFast (default): after a failure no task starts; the workflow fails
 *   once the tasks already running finish. continue: tasks that do not
 *   depend on a failure still run; the workflow fails at the end, naming
 *   every failed task.
 */
import { InvalidArgumentError, TaskFailedError, isRepriseError } from '../errors.js';
import type { ActivityHandle, OrchestratorHandle } from '../definitions.js';
import { defineOrchestrator } from '../definitions.js';
import { schedulingAfter } from '../engine/context.js';
import type { OrchestrationContext } from '../engine/context.js';
import type { RetryOptions, Task } from '../engine/task.js';

/** What every task's activity receives: the workflow's input and the outputs of the tasks it waited for. */
export interface WorkflowTaskInput<I = unknown> {
  input: I;
  results: Record<string, unknown>;
}

export interface WorkflowTask {
  /** The activity to call (a handle or a registered name); it receives a `WorkflowTaskInput`. */
  activity: ActivityHandle<any, any> | string;
  /** Keys of the tasks that must succeed first. @default none: starts at once */
  after?: readonly string[];
  /** Retry the activity with durable backoff. @default no retry */
  retry?: RetryOptions;
}

export interface WorkflowDefinition<T extends Record<string, WorkflowTask> = Record<string, WorkflowTask>> {
  tasks: T;
  /** @default 'failFast': no new task starts after a failure */
  onFailure?: 'failFast' | 'continue';
}

/** The workflow's output: each task's output by key. */
export type WorkflowOutput<T extends Record<string, WorkflowTask>> = {
  [K in keyof T]: T[K]['activity'] extends ActivityHandle<any, infer O> ? O : unknown;
};

/** Define a DAG workflow; register the returned handle as an orchestrator (and its activities as activities). */
export function defineWorkflow<I = unknown, T extends Record<string, WorkflowTask> = Record<string, WorkflowTask>>(
  name: string,
  definition: WorkflowDefinition<T>,
): OrchestratorHandle<I, WorkflowOutput<T>> {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('defineWorkflow needs a name');
  const plan = validate(name, definition);
  const failFast = (definition.onFailure ?? 'failFast') === 'failFast';
  return defineOrchestrator<I, WorkflowOutput<T>>(name, function* (ctx) {
    return (yield* runWorkflow(ctx, name, plan, failFast)) as WorkflowOutput<T>;
  });
}

interface PlannedTask {
  key: string;
  activity: string;
  after: readonly string[];
  retry: RetryOptions | undefined;
}

function* runWorkflow(ctx: OrchestrationContext<unknown>, name: string, plan: readonly PlannedTask[], failFast: boolean): Generator<Task<unknown>, Record<string, unknown>, unknown> {
  const input = ctx.getInput();
  const outputs: Record<string, unknown> = {};
  const stepsOf = new Map<string, number[]>();
  const failures: Array<{ key: string; error: Error }> = [];
  const running = new Map<Task<unknown>, string>();
  const started = new Set<string>();
  for (;;) {
    // A cancel request starts nothing new, in either failure mode.
    if (!(failFast && failures.length > 0) && !ctx.isCancellationRequested) {
      for (const task of plan) {
        if (started.has(task.key) || !task.after.every((k) => k in outputs)) continue;
        started.add(task.key);
        const results = Object.fromEntries(task.after.map((k) => [k, outputs[k]]));
        const previous = task.after.flatMap((k) => stepsOf.get(k) ?? []);
        const call = schedulingAfter(
          ctx,
          previous,
          () => (task.retry ? ctx.callActivityWithRetry(task.activity, task.retry, { input, results }) : ctx.callActivity(task.activity, { input, results })),
          task.key,
        );
        running.set(call, task.key);
      }
    }
    if (running.size === 0) break;
    const done = (yield ctx.any([...running.keys()])) as Task<unknown>;
    const key = running.get(done)!;
    running.delete(done);
    if (done.isFaulted) failures.push({ key, error: done.error! });
    else {
      outputs[key] = done.result;
      stepsOf.set(key, done.steps());
    }
  }
  // Canceled, not failed: the tasks rejected because the workflow was asked to stop, and the engine ends it Canceled.
  const canceled = failures.find(({ error }) => isRepriseError(error, 'CANCELLATION_REQUESTED'));
  if (canceled) throw canceled.error;
  if (failures.length > 0) {
    const named = failures.map(({ key, error }) => `${key} (${error.message})`).join(', ');
    throw new TaskFailedError({ name: 'WorkflowFailedError', message: `workflow '${name}' failed: task${failures.length > 1 ? 's' : ''} ${named}` });
  }
  return outputs;
}

function validate(name: string, definition: WorkflowDefinition): PlannedTask[] {
  const where = `workflow '${name}'`;
  if (typeof definition !== 'object' || definition === null) throw new InvalidArgumentError(`${where} needs a definition with tasks`);
  if (definition.onFailure !== undefined && definition.onFailure !== 'failFast' && definition.onFailure !== 'continue') {
    throw new InvalidArgumentError(`${where}: onFailure must be 'failFast' or 'continue'`);
  }
  const tasks = definition.tasks;
  if (typeof tasks !== 'object' || tasks === null || Object.keys(tasks).length === 0) throw new InvalidArgumentError(`${where} needs at least one task`);
  const plan: PlannedTask[] = Object.entries(tasks).map(([key, task]) => {
    if (typeof task !== 'object' || task === null) throw new InvalidArgumentError(`${where}: task ${key} must be an object with an activity`);
    const activity = typeof task.activity === 'string' ? task.activity : task.activity?.name;
    if (typeof activity !== 'string' || activity.length === 0) throw new InvalidArgumentError(`${where}: task ${key} needs an activity (a handle or a name)`);
    const after = task.after ?? [];
    if (!Array.isArray(after)) throw new InvalidArgumentError(`${where}: task ${key}'s after must be an array of task keys`);
    for (const dep of after) {
      if (typeof dep !== 'string' || !Object.hasOwn(tasks, dep)) throw new InvalidArgumentError(`${where}: task ${key} waits for unknown task ${String(dep)}`);
      if (dep === key) throw new InvalidArgumentError(`${where}: task ${key} waits for itself`);
    }
    if (task.retry !== undefined) validateRetry(`${where}: task ${key}'s retry`, task.retry);
    return { key, activity, after: [...new Set(after)], retry: task.retry };
  });
  const cycle = findCycle(plan);
  if (cycle) throw new InvalidArgumentError(`${where} has a cycle: ${cycle.join(' -> ')}`);
  return plan;
}

function validateRetry(what: string, retry: RetryOptions): void {
  if (typeof retry !== 'object' || retry === null || !(retry.firstRetryIntervalInMilliseconds > 0)) throw new InvalidArgumentError(`${what}.firstRetryIntervalInMilliseconds must be greater than 0`);
  if (!Number.isInteger(retry.maxNumberOfAttempts) || retry.maxNumberOfAttempts < 1) throw new InvalidArgumentError(`${what}.maxNumberOfAttempts must be a positive integer`);
}

/** A cycle as its keys (first key repeated at the end), or undefined. */
function findCycle(plan: readonly PlannedTask[]): string[] | undefined {
  const byKey = new Map(plan.map((t) => [t.key, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (key: string): string[] | undefined => {
    if (state.get(key) === 'done') return undefined;
    if (state.get(key) === 'visiting') return [...path.slice(path.indexOf(key)), key];
    state.set(key, 'visiting');
    path.push(key);
    for (const dep of byKey.get(key)!.after) {
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(key, 'done');
    return undefined;
  };
  for (const task of plan) {
    const found = visit(task.key);
    if (found) return found;
  }
  return undefined;
}
