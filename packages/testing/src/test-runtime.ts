/**
 * createTestRuntime: a started runtime on memory storage with a virtual
 * clock that skips time. When the runtime has nothing in flight and its next
 * work is a durable timer (or a delayed start), the clock jumps straight to
 * it, so a 30-day timer completes in milliseconds and `ctx.currentUtcDateTime`
 * reads the virtual time.
 */
import { TimeoutError, createRuntime } from '@reprise/core';
import type { LogEntry, OrchestrationClient, OrchestrationStatus, OrchestratorHandle, Runtime, RuntimeOptions, StartOptions, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { assertRegistry } from './registry.js';
import type { TestRegistry } from './registry.js';
import { VirtualClock, nextTurn } from './virtual-clock.js';

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export interface TestRuntimeOptions extends Omit<RuntimeOptions, 'storage' | 'clock' | 'orchestrators' | 'activities' | 'entities'> {
  /**
   * Share a store with another test runtime (to simulate a second worker or a
   * restart); pass that runtime's `clock` too. @default a new memoryStorage on this clock
   */
  storage?: Storage;
  /**
   * Share a virtual clock with another test runtime. @default a new VirtualClock
   * (given this runtime's `onError` for its timer callbacks' errors)
   */
  clock?: VirtualClock;
  /** Virtual time at creation. @default the real current time */
  startTime?: Date | number;
  /**
   * Jump to the next due timer whenever the runtime is idle. Set false to
   * drive time yourself with `rt.clock.advance(ms)`. @default true
   */
  autoSkip?: boolean;
}

export interface TestRuntime {
  /**
   * The runtime's client. `waitForCompletion`'s `timeoutMs` counts REAL
   * milliseconds here (virtual time jumps, so a virtual timeout would fire at once).
   */
  readonly client: OrchestrationClient;
  /** The virtual clock: `now()`, `advance(ms)`, `advanceTo(date)`, `autoSkip`. */
  readonly clock: VirtualClock;
  readonly runtime: Runtime;
  readonly storage: Storage;
  readonly taskHub: string;
  /** Replay-safe log lines the orchestrators wrote (unless a `logger` option was given). */
  readonly logs: Array<LogEntry & { instanceId: string }>;
  /** Start an orchestration and wait for it to end; resolves with its final status. */
  run<I = unknown, O = unknown>(orchestrator: string | OrchestratorHandle<I, O>, options?: StartOptions<I> & { timeoutMs?: number }): Promise<OrchestrationStatus<O, I>>;
  /** Resolves once nothing is in flight (episodes, activities) for a few consecutive turns. */
  waitForIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** Drop the cached orchestrator generators; the next step of each instance replays from storage. */
  clearReplayCache(): void;
  /** Stop the runtime (and its time skipping). */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TEST_LEASE_MS = 60 * 60_000;

export async function createTestRuntime(registry: TestRegistry, options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  assertRegistry(registry, 'createTestRuntime');
  const { storage: givenStorage, clock: givenClock, startTime, autoSkip, ...runtimeOptions } = options;
  // The runtime's error channel hears the clock's too.
  const clock = givenClock ?? new VirtualClock({ ...(startTime !== undefined && { startTime }), ...(runtimeOptions.onError && { onError: runtimeOptions.onError }) });
  if (autoSkip !== undefined) clock.autoSkip = autoSkip;
  const inner = givenStorage ?? memoryStorage({ clock });
  const logs: Array<LogEntry & { instanceId: string }> = [];
  const hub = runtimeOptions.taskHub ?? 'default';
  const observed = observeStorage(inner, hub, clock);

  const runtime = createRuntime({
    // A long lease: renewals are virtual timers too, and a 30-day skip should not fire thousands of them.
    leaseMs: TEST_LEASE_MS,
    logger: (entry) => logs.push(entry),
    ...runtimeOptions,
    storage: observed.storage,
    clock,
    orchestrators: registry.orchestrators,
    ...(registry.activities !== undefined && { activities: registry.activities }),
    ...(registry.entities !== undefined && { entities: registry.entities }),
  });
  await runtime.start();
  const detach = clock.attach({ isIdle: () => runtime.isIdle(), nextWorkAt: observed.nextWorkAt });
  const client = realTimeClient(runtime.client);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      detach();
      const done = runtime.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const slow = new Promise<'slow'>((resolve) => {
        timer = realSetTimeout(() => resolve('slow'), 1000);
      });
      const first = await Promise.race([done.then(() => 'done' as const), slow]);
      realClearTimeout(timer);
      // stop() waits on a virtual timer for activities that ignore the abort signal: let it fire.
      if (first === 'slow') await clock.advance(runtimeOptions.stopTimeoutMs ?? 30_000);
      await done;
    })());

  const waitForIdle = async ({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}) => {
    const deadline = Date.now() + timeoutMs;
    let turns = 0;
    while (turns < 3) {
      await nextTurn();
      turns = runtime.isIdle() ? turns + 1 : 0;
      if (Date.now() > deadline) throw new TimeoutError(`the test runtime did not become idle within ${timeoutMs} ms`);
    }
  };

  return {
    client,
    clock,
    runtime,
    storage: inner,
    taskHub: runtime.taskHub,
    logs,
    async run(orchestrator, runOptions = {}) {
      const { timeoutMs = 10_000, ...start } = runOptions;
      const id = await client.startNew(orchestrator as string, start);
      return client.waitForCompletion(id, { timeoutMs }) as Promise<OrchestrationStatus<never, never>>;
    },
    waitForIdle,
    clearReplayCache: () => runtime.clearReplayCache(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Watches the lock calls of one runtime to learn when its next work becomes visible. */
function observeStorage(storage: Storage, hub: string, clock: VirtualClock): { storage: Storage; nextWorkAt: () => number | undefined } {
  let instancesAt: number | undefined;
  let activitiesAt: number | undefined;
  const wrapped = new Proxy(storage, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (key === 'lockInstances' || key === 'lockActivities') {
        return async (hubName: string, lockOptions: unknown) => {
          const result = await (value as (h: string, o: unknown) => Promise<{ items: unknown[]; nextVisibleInMs?: number }>).call(target, hubName, lockOptions);
          if (hubName === hub) {
            const at = result.items.length === 0 && result.nextVisibleInMs !== undefined ? clock.now() + result.nextVisibleInMs : undefined;
            if (key === 'lockInstances') instancesAt = at;
            else activitiesAt = at;
          }
          return result;
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
  return {
    storage: wrapped,
    nextWorkAt: () => (instancesAt === undefined ? activitiesAt : activitiesAt === undefined ? instancesAt : Math.min(instancesAt, activitiesAt)),
  };
}

/** The runtime's client, with waitForCompletion's timeout on the real clock. */
function realTimeClient(client: OrchestrationClient): OrchestrationClient {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (key === 'waitForCompletion') {
        return (instanceId: string, waitOptions: { timeoutMs?: number } = {}) => {
          const waiting = target.waitForCompletion(instanceId);
          const { timeoutMs } = waitOptions ?? {};
          if (timeoutMs === undefined) return waiting;
          if (!(timeoutMs >= 0)) return target.waitForCompletion(instanceId, { timeoutMs });
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = realSetTimeout(() => reject(new TimeoutError(`instance '${instanceId}' did not complete within ${timeoutMs} ms`)), timeoutMs);
          });
          return Promise.race([waiting, timeout]).finally(() => realClearTimeout(timer));
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
