/**
 * The runtime uses an optional storage feature only when the store declares
 * it (`storage.capabilities`), never by guessing from return values. Guards
 * issue 13, point 5: a store that returned an object was taken for an eager
 * one and asked for eager leases it never declared.
 */
import { describe, expect, it } from 'vitest';
import type { OrchestrationContext, OrchestratorFunction, Storage, StorageNotice } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

interface Observed {
  storage: Storage;
  /** Eager requests the runtime sent (lockActivities on a commit, lockInstance on a completion). */
  eagerRequests: number;
}

/**
 * memoryStorage seen through a proxy that records eager requests. With
 * `declare: false` it declares no capabilities, and the work notices a commit
 * or completion publishes are dropped: only the runtime itself can wake its
 * loops then.
 */
function observed(declare: boolean): Observed {
  const inner = memoryStorage();
  let muted = false;
  const result: Observed = { storage: inner, eagerRequests: 0 };
  const muting = async <T>(call: () => Promise<T>): Promise<T> => {
    muted = !declare;
    try {
      return await call();
    } finally {
      muted = false;
    }
  };
  result.storage = new Proxy(inner, {
    get(target, key) {
      if (key === 'capabilities') return declare ? target.capabilities : undefined;
      if (key === 'commitOrchestration') {
        return (hub: string, commit: Parameters<Storage['commitOrchestration']>[1]) => {
          if (commit.lockActivities) result.eagerRequests++;
          return muting(() => target.commitOrchestration(hub, commit));
        };
      }
      if (key === 'completeActivity') {
        return (hub: string, completion: Parameters<Storage['completeActivity']>[1]) => {
          if (completion.lockInstance) result.eagerRequests++;
          return muting(() => target.completeActivity(hub, completion));
        };
      }
      if (key === 'subscribe') {
        return (hub: string, listener: (notice: StorageNotice) => void) =>
          target.subscribe(hub, (notice) => {
            if (muted && (notice.type === 'orchestration-work' || notice.type === 'activity-work')) return;
            listener(notice);
          });
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return result;
}

const Steps = function* (ctx: OrchestrationContext) {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) out.push(yield ctx.callActivity('Step', i));
  return out;
} satisfies OrchestratorFunction;

describe('storage capabilities', () => {
  it('a store that does not declare eagerDispatch is never asked for eager leases; the runtime wakes its own loops', async () => {
    const store = observed(false);
    const runtime = await startRuntime({ storage: store.storage, orchestrators: { Steps }, activities: { Step: (i: number) => `step ${i}` } });
    const id = await runtime.client.startNew('Steps');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual(['step 0', 'step 1', 'step 2']);
    expect(store.eagerRequests).toBe(0);
  });

  it('a store that declares eagerDispatch is asked for eager leases', async () => {
    const store = observed(true);
    const runtime = await startRuntime({ storage: store.storage, orchestrators: { Steps }, activities: { Step: (i: number) => `step ${i}` } });
    const id = await runtime.client.startNew('Steps');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toEqual(['step 0', 'step 1', 'step 2']);
    expect(store.eagerRequests).toBeGreaterThan(0);
  });
});
