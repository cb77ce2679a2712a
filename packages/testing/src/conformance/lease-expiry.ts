/**
 * What a worker asleep learns about leases held elsewhere, so it takes over
 * when a holder dies (or hangs) past its lease and no notice ever comes:
 * - a lock call with nothing available reports when the earliest live lease
 *   of its kind expires, leases made by eager dispatch included;
 * - a lease made without a lock call (eager dispatch) is announced with a
 *   work notice carrying `inMs`, since a worker that slept before the work
 *   existed made no lock call that could tell it.
 * The clauses about eager leases are optional (`capabilities.eagerDispatch`).
 */
import { describe, expect, it } from 'vitest';
import type { ActivityWorkItem, LockedInstance, StorageNotice } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { collectNotices, eventually, lockAllActivities, lockOne, startInstance } from './context.js';
import { itWithCapability } from './optional.js';

/** The lease the tests take: long enough never to lapse, short enough to tell from "nothing". */
const LEASE = 20_000;

const expectExpiryReported = (nextVisibleInMs: number | undefined) => {
  expect(nextVisibleInMs, 'nextVisibleInMs: when the earliest lease expires').toBeDefined();
  // Generous bounds for a slow call and a store clock a little off ours.
  expect(nextVisibleInMs!).toBeGreaterThan(LEASE - 5_000);
  expect(nextVisibleInMs!).toBeLessThanOrEqual(LEASE + 1_000);
};

const announced = (notices: StorageNotice[], type: 'orchestration-work' | 'activity-work') =>
  notices.some((n) => n.type === type && n.inMs !== undefined && n.inMs > 0 && n.inMs <= LEASE);

export function describeLeaseExpiry(ctx: ConformanceContext): void {
  /** Instance `id` started and run to one committed step that scheduled activity 0 (not leased). */
  async function scheduled(hub: string, id: string): Promise<void> {
    const record = await startInstance(ctx.storage, hub, id);
    const locked = await lockOne(ctx.storage, hub, id);
    await ctx.storage.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity(id, record.executionId, 0)] }));
  }

  /** Commits `locked` scheduling activity `n`, leased to the committer by eager dispatch. */
  async function commitEager(hub: string, locked: LockedInstance, n: number): Promise<ActivityWorkItem> {
    const result = await ctx.storage.commitOrchestration(hub, {
      ...commitFor(locked, { append: locked.messages.map((m) => m.event), activities: [activity(locked.instance.instanceId, locked.instance.executionId, n)] }),
      lockActivities: { max: 1, leaseMs: LEASE },
    });
    const [item] = result?.activities ?? [];
    expect(item, 'the commit leased its work item to the committer').toBeDefined();
    return item!;
  }

  /** Completes `item` with its instance leased to the completer by eager dispatch. */
  async function completeEager(hub: string, item: ActivityWorkItem): Promise<LockedInstance> {
    const result = await ctx.storage.completeActivity(hub, {
      workItemId: item.id,
      lockToken: item.lockToken,
      message: message(item.instanceId, ev.taskCompleted(item.taskScheduledId)),
      lockInstance: { leaseMs: LEASE },
    });
    expect(result?.instance, 'the completion leased the instance to the completer').toBeDefined();
    return result!.instance!;
  }

  describe('lease expiry, as a worker asleep learns it', () => {
    const itEager = itWithCapability(ctx, 'eagerDispatch');

    it('a lock call with nothing available reports when the earliest live lease expires: work items leased by a lock call', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await scheduled(hub, 'i1');
      expect(await lockAllActivities(s, hub, LEASE)).toHaveLength(1);
      const result = await s.lockActivities(hub, { max: 10, leaseMs: LEASE });
      expect(result.items).toEqual([]);
      expectExpiryReported(result.nextVisibleInMs);
    });

    itEager('a lock call with nothing available reports when the earliest live lease expires: work items leased by eager dispatch', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      await commitEager(hub, await lockOne(s, hub, 'i1'), 0);
      const result = await s.lockActivities(hub, { max: 10, leaseMs: LEASE });
      expect(result.items).toEqual([]);
      expectExpiryReported(result.nextVisibleInMs);
    });

    it('a lock call with nothing available reports when the earliest live lease expires: instances leased by a lock call', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      await lockOne(s, hub, 'i1', LEASE);
      const result = await s.lockInstances(hub, { max: 10, leaseMs: LEASE });
      expect(result.items).toEqual([]);
      expectExpiryReported(result.nextVisibleInMs);
    });

    itEager('a lock call with nothing available reports when the earliest live lease expires: instances leased by eager dispatch', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await scheduled(hub, 'i1');
      const [item] = await lockAllActivities(s, hub);
      await completeEager(hub, item!);
      const result = await s.lockInstances(hub, { max: 10, leaseMs: LEASE });
      expect(result.items).toEqual([]);
      expectExpiryReported(result.nextVisibleInMs);
    });

    itEager("announces a work item leased by eager dispatch: 'activity-work' with inMs, the lease's expiry", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const { notices, off } = collectNotices(s, hub);
      let item = await commitEager(hub, await lockOne(s, hub, 'i1'), 0);
      // Again, once the last lease is gone (a store may announce only a lease that became the earliest).
      const again = async () => {
        await s.completeActivity(hub, { workItemId: item.id, lockToken: item.lockToken, message: message('i1', ev.taskCompleted(item.taskScheduledId)) });
        item = await commitEager(hub, await lockOne(s, hub, 'i1'), item.taskScheduledId + 1);
      };
      await eventually(() => announced(notices, 'activity-work'), { retrigger: again, what: "'activity-work' with inMs" });
      off();
    });

    itEager("announces an instance leased by eager dispatch: 'orchestration-work' with inMs, the lease's expiry", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await scheduled(hub, 'i1');
      const { notices, off } = collectNotices(s, hub);
      let [item] = await lockAllActivities(s, hub);
      let locked = await completeEager(hub, item!);
      // Again, once the last lease is gone (a store may announce only a lease that became the earliest).
      const again = async () => {
        const n = item!.taskScheduledId + 1;
        await s.commitOrchestration(hub, commitFor(locked, { append: locked.messages.map((m) => m.event), activities: [activity('i1', locked.instance.executionId, n)] }));
        [item] = await lockAllActivities(s, hub);
        locked = await completeEager(hub, item!);
      };
      await eventually(() => announced(notices, 'orchestration-work'), { retrigger: again, what: "'orchestration-work' with inMs" });
      off();
    });
  });
}
