/** Helpers for the runtime-level clauses: real runtimes on the store under test, stopped after each test. */
import { afterEach } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { OrchestrationCommit, Runtime, RuntimeOptions, Storage } from '@reprise/core';
import type { ConformanceContext } from './context.js';

export { eventually, sleep } from './polling.js';

/** The engine must behave the same with the replay cache and replaying every step. */
export const cacheModes = [
  { label: 'cached', cacheSize: 10_000 },
  { label: 'no cache', cacheSize: 0 },
] as const;

export type StartOptions = Omit<RuntimeOptions, 'storage'> & { storage?: Storage };

/** Returns a starter of runtimes on the suite's store, each in a fresh hub unless one is given. */
export function runtimeStarter(ctx: ConformanceContext): (options: StartOptions) => Promise<Runtime> {
  const started: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });
  return async (options) => {
    const runtime = createRuntime({ logger: () => {}, taskHub: ctx.hub(), ...options, storage: options.storage ?? ctx.storage });
    started.push(runtime);
    await runtime.start();
    return runtime;
  };
}

/** The same store, counting the commits that match (adapters may keep methods on a prototype). */
export function countingCommits(storage: Storage, matches: (commit: OrchestrationCommit) => boolean): { storage: Storage; count(): number } {
  let count = 0;
  const counted = new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'commitOrchestration') {
        return (hub: string, commit: OrchestrationCommit) => {
          if (matches(commit)) count++;
          return target.commitOrchestration(hub, commit);
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage: counted, count: () => count };
}
