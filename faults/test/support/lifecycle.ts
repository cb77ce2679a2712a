/**
 * Per-test lifecycle of a fault test: a fresh store, and afterwards every
 * child process killed (whatever the test left running), the children's
 * stderr shown when the test failed, the store removed.
 */
import { afterEach } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { Runtime, RuntimeOptions } from '@reprise/core';
import { workloads } from '../fixtures/workloads.js';
import { childOutput, killAll } from './processes.js';
import { openStore } from './stores.js';
import type { StoreKind, StoreUnderTest } from './stores.js';

export function useStores(): (kind: StoreKind) => Promise<StoreUnderTest> {
  let current: StoreUnderTest | undefined;
  afterEach(async (context) => {
    await killAll();
    const output = childOutput();
    if (context.task.result?.state === 'fail' && output) console.error(output);
    await current?.dispose();
    current = undefined;
  });
  return async (kind) => (current = await openStore(kind));
}

/**
 * A runtime over the store for the test process. It is never started: its
 * client starts instances, raises events and reads statuses, while the work
 * runs in worker processes (a poison must never run here).
 */
export function clientRuntime(store: StoreUnderTest, hub: string, options: Partial<RuntimeOptions> = {}): Runtime {
  return createRuntime({ storage: store.storage(), taskHub: hub, logger: () => {}, ...workloads(() => {}), ...options });
}
