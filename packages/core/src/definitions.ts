/**
 * User definitions and typed handles. A handle carries its input and output
 * types, so `yield* ctx.callActivity(handle, input)` is typed end to end;
 * plain names remain the durable-functions-compatible path.
 */
import type { OrchestrationContext } from './engine/context.js';
import type { Task } from './engine/task.js';
import type { ActivityLogger } from './runtime/activity-reporter.js';
import { InvalidArgumentError } from './errors.js';
import { orchestratorIdOf } from './orchestrator-identity.js';
import { validateName } from './client/validate.js';
import { validateVersion } from './versioning/versions.js';
import type { OrchestrationClient } from './client/public-client.js';

export interface ActivityContext {
  instanceId: string;
  /** The activity's name. */
  name: string;
  /** 1 on the first delivery; higher when a crashed worker's item is redelivered. */
  attempt: number;
  /**
   * Fired when the runtime stops, or when the orchestration that scheduled
   * this activity is canceled (within one lease-renewal interval); a long
   * activity should give up and throw.
   */
  signal: AbortSignal;
  /**
   * Tell how far the activity got (0 to 100, else InvalidArgumentError),
   * shown by `client.getSteps` while it runs and kept when it completes.
   * One store write per call; calls within 100 ms are merged into one write
   * of the last value, which they all await. Rejects with LeaseLostError once
   * this worker's lease on the item is lost (another worker may run it now).
   */
  reportProgress(percent: number, message?: string): Promise<void>;
  /** Log lines stored with the step's sequence, read back in order with the orchestration's by `client.getLogs`. */
  log: ActivityLogger;
  /**
   * The client of the runtime running this activity (the Durable Functions
   * "client binding"): start, query, purge or schedule other instances.
   * Always set by a runtime; absent only where an activity runs outside one
   * (the determinism simulator of @reprise/testing).
   */
  client?: OrchestrationClient;
}

// `any` input by default only so functions of every input type can be registered; handles keep the real types.
export type ActivityFunction<I = any, O = unknown> = (input: I, ctx: ActivityContext) => O | Promise<O>;

/**
 * An orchestrator is a generator function over a context. It yields tasks
 * and is resumed with their results.
 */
export type OrchestratorFunction<I = any, O = unknown> = (ctx: OrchestrationContext<I>) => Generator<unknown, O, any>;

declare const typeTag: unique symbol;

export interface ActivityHandle<I = unknown, O = unknown> {
  readonly kind: 'activity';
  readonly name: string;
  readonly fn: ActivityFunction<I, O>;
  readonly [typeTag]?: { input: I; output: O };
}

export interface OrchestratorHandle<I = unknown, O = unknown> {
  readonly kind: 'orchestrator';
  readonly name: string;
  /** Its stable id: the one `defineOrchestrator` was given, else a UUID derived from the name (absent on a hand-built handle: derived then too). */
  readonly id?: string;
  readonly description?: string;
  /** A free-form kind label for management views. */
  readonly userType?: string;
  readonly fn: OrchestratorFunction<I, O>;
  /** The concurrency group its instances start in, unless `startNew` names one. */
  readonly concurrency?: ConcurrencyOptions | ConcurrencyResolver<I>;
  /** The version its new instances are stamped with and matched by, instead of the runtime's. */
  readonly version?: string;
  readonly [typeTag]?: { input: I; output: O };
}

/**
 * A concurrency group: at most `limit` of its instances run at once; the rest
 * wait (Pending) in FIFO order, at most `maxQueued` of them. Groups are per
 * task hub. The `limit` and `maxQueued` that apply are those of the start
 * that finds the group empty (no instance running or queued in it); they stay
 * until the group is empty again.
 */
export interface ConcurrencyOptions {
  /** Non-empty. */
  group: string;
  /** Positive integer. */
  limit: number;
  /** Non-negative integer. @default no cap */
  maxQueued?: number;
  /**
   * With every slot taken: wait in the queue, or refuse the start with
   * ConcurrencyLimitError. A full queue refuses with QueueFullError.
   * @default 'queue'
   */
  onFull?: 'queue' | 'reject';
}

/** Picks the group from the start's input; `undefined` starts outside any group. */
export type ConcurrencyResolver<I = unknown> = (input: I, meta: { namespace: string; instanceId: string }) => ConcurrencyOptions | undefined;

export interface OrchestratorOptions<I = unknown> {
  concurrency?: ConcurrencyOptions | ConcurrencyResolver<I>;
  /**
   * A stable id to address the orchestrator by (management APIs list and
   * start orchestrators by id). Non-empty, no control characters.
   * @default a UUID derived from the name, the same in every process
   */
  id?: string;
  /** Shown by `runtime.describeOrchestrators()`. */
  description?: string;
  /** A free-form kind label, shown by `runtime.describeOrchestrators()`. */
  userType?: string;
  /**
   * This orchestrator's own version: its new instances are stamped with it,
   * and `versioning.match` judges its instances by it, instead of the
   * runtime's `version`.
   */
  version?: string;
}

declare const instanceTypes: unique symbol;

/**
 * An instance id that remembers its orchestrator's output and input types.
 * `client.startNew(handle)` returns one, and `getStatus(id)` and
 * `waitForCompletion(id)` then type the status's `output` and `input`. At run
 * time it is the plain string; any string is accepted where one is expected
 * (its types are then `unknown`), and it is a string wherever one is needed.
 */
export type InstanceId<O = unknown, I = unknown> = string & { readonly [instanceTypes]?: { output: O; input: I } };

/** Name an activity and keep its types: `ctx.callActivity(handle, input)` then returns `Task<O>`. */
export function defineActivity<I, O>(name: string, fn: (input: I, ctx: ActivityContext) => O | Promise<O>): ActivityHandle<I, Awaited<O>> {
  return { kind: 'activity', name, fn: fn as ActivityFunction<I, Awaited<O>> };
}

/**
 * Name an orchestrator and keep its types for `startNew` and
 * `callSubOrchestrator`; `options.concurrency` puts its instances in a
 * concurrency group; `id`, `description` and `userType` describe it to
 * management views (`runtime.describeOrchestrators()`).
 */
export function defineOrchestrator<I, O>(
  name: string,
  fn: (ctx: OrchestrationContext<I>) => Generator<Task<unknown> | unknown, O, any>,
  options: OrchestratorOptions<I> = {},
): OrchestratorHandle<I, O> {
  const version = options.version === undefined ? undefined : validateVersion(options.version, `the version of orchestrator '${name}'`);
  const id = options.id === undefined ? orchestratorIdOf(String(name)) : validateName(options.id, 'orchestrator id');
  for (const key of ['description', 'userType'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') throw new InvalidArgumentError(`${key} must be a string`);
  }
  return {
    kind: 'orchestrator',
    name,
    fn,
    id,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.description !== undefined && { description: options.description }),
    ...(options.userType !== undefined && { userType: options.userType }),
    ...(version !== undefined && { version }),
  };
}

/** The version of each registered orchestrator handle that names one, by name. */
export function versionMap(registry: Registry<OrchestratorRegistration> | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!registry) return map;
  const entries: Array<[string, unknown]> = Array.isArray(registry) ? (registry as Array<{ name: string }>).map((h) => [h.name, h]) : Object.entries(registry);
  for (const [key, value] of entries) {
    const version = value && typeof value === 'object' ? (value as { version?: unknown }).version : undefined;
    if (version !== undefined) map.set(key, validateVersion(version, `the version of orchestrator '${key}'`));
  }
  return map;
}

/** The concurrency settings of each registered orchestrator handle that has some, by name. */
export function concurrencyMap(registry: Registry<OrchestratorRegistration> | undefined): Map<string, ConcurrencyOptions | ConcurrencyResolver<any>> {
  const map = new Map<string, ConcurrencyOptions | ConcurrencyResolver<any>>();
  if (!registry) return map;
  const entries: Array<[string, unknown]> = Array.isArray(registry) ? (registry as Array<{ name: string }>).map((h) => [h.name, h]) : Object.entries(registry);
  for (const [key, value] of entries) {
    const concurrency = value && typeof value === 'object' ? (value as { concurrency?: ConcurrencyOptions | ConcurrencyResolver<any> }).concurrency : undefined;
    if (concurrency !== undefined) map.set(key, concurrency);
  }
  return map;
}

export type ActivityRegistration = ActivityFunction | ActivityHandle<any, any>;
export type OrchestratorRegistration = OrchestratorFunction | OrchestratorHandle<any, any>;

/** Registrations as a record keyed by name, or an array of handles. */
export type Registry<R> = Record<string, R> | ReadonlyArray<R & { name: string }>;

export function toRegistryMap<F>(registry: Registry<F | { kind: string; name: string; fn: F }> | undefined): Map<string, F> {
  const map = new Map<string, F>();
  if (!registry) return map;
  const entries: Array<[string, unknown]> = Array.isArray(registry)
    ? (registry as Array<{ name: string }>).map((h) => [h.name, h])
    : Object.entries(registry);
  for (const [key, value] of entries) {
    const handle = value as { kind?: string; name?: string; fn?: F };
    map.set(key, (handle && typeof handle === 'object' && 'fn' in handle ? handle.fn : value) as F);
  }
  return map;
}
