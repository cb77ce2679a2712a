/**
 * Redelivery: how deliveries (the poison-work count) are charged. An item is
 * redelivered when it was handed out before and that lease ended without a
 * commit, completion or refunding give-back (its worker died). A lock call
 * hands out such an item alone, before any fresh one, so a runtime can run it
 * in isolation and charge the next crash to it only. Graceful give-backs
 * (shutdown) refund their handout; the runtime's error path counts it. A
 * caller with work in flight asks for fresh items only (`redelivered:
 * false`): a redelivered item is then neither leased nor charged, and the
 * result says it waits, so the caller can drain first and take it alone.
 *
 * Guards issue 12, defects 3 and 4: poison work charged every item leased in
 * the same batch, and graceful stops counted as deliveries.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityWorkItem, LockedInstance, NewActivity } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, lockAll, lockAllActivities, lockOne, sleep, startInstance } from './context.js';

export function describeRedelivery(ctx: ConformanceContext): void {
  /** One lock call, as a runtime makes it (max 10). */
  const lockCall = async (hub: string): Promise<LockedInstance[]> => (await ctx.storage.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items;
  const lockActivityCall = async (hub: string): Promise<ActivityWorkItem[]> => (await ctx.storage.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE })).items;
  const ids = (items: LockedInstance[]) => items.map((l) => l.instance.instanceId).sort();

  /** Instance `owner` (Running, empty inbox) with new work items, committed in one episode. */
  async function schedule(hub: string, owner: string, taskIds: number[]): Promise<NewActivity[]> {
    const s = ctx.storage;
    if (!(await s.getInstance(hub, owner))) await startInstance(s, hub, owner);
    else await s.sendMessages(hub, [message(owner, ev.raised('more'))]);
    const locked = await lockOne(s, hub, owner);
    const acts = taskIds.map((n) => activity(owner, locked.instance.executionId, n, `Act${n}`));
    await s.commitOrchestration(hub, commitFor(locked, { append: [...locked.messages.map((m) => m.event), ...acts.map((a) => ev.scheduled(a.taskScheduledId, a.name))], activities: acts }));
    return acts;
  }

  describe('redelivery', () => {
    it('a lock call hands out a redelivered instance alone, before fresh ones, with the dead handout counted', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      for (const id of ['a', 'b', 'c']) await startInstance(s, hub, id);
      const batch = await lockAll(s, hub, SHORT_LEASE); // a worker leases a batch, then dies
      expect([...batch.keys()].sort()).toEqual(['a', 'b', 'c']);
      for (const id of ['d', 'e']) await startInstance(s, hub, id);
      await sleep(PAST_EXPIRY);

      const redelivered: string[] = [];
      for (let call = 0; call < 3; call++) {
        const items = await lockCall(hub);
        expect(items, 'a redelivered instance comes alone').toHaveLength(1);
        expect(items[0]!.deliveries).toBe(2);
        expect(items[0]!.messages).toEqual(batch.get(items[0]!.instance.instanceId)!.messages);
        redelivered.push(items[0]!.instance.instanceId);
      }
      expect(redelivered.sort()).toEqual(['a', 'b', 'c']);
      const fresh = await lockAll(s, hub);
      expect([...fresh.keys()].sort()).toEqual(['d', 'e']);
      expect([...fresh.values()].every((l) => l.deliveries === 1)).toBe(true);
    });

    it('a commit clears the count: the instance is fresh again and comes in a batch', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'a');
      await lockOne(s, hub, 'a', SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const [again] = await lockCall(hub);
      expect(again!.deliveries).toBe(2);
      await s.commitOrchestration(hub, commitFor(again!, { append: again!.messages.map((m) => m.event) }));

      await startInstance(s, hub, 'b');
      await s.sendMessages(hub, [message('a', ev.raised('next'))]);
      const items = await lockCall(hub);
      expect(ids(items)).toEqual(['a', 'b']);
      expect(items.map((l) => l.deliveries)).toEqual([1, 1]);
    });

    it('releaseInstance refunds the handout by default; with countDelivery it counts and the instance comes back alone', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      for (const id of ['a', 'b']) await startInstance(s, hub, id);
      const first = await lockAll(s, hub);
      await s.releaseInstance(hub, 'a', first.get('a')!.lockToken); // shutdown
      await startInstance(s, hub, 'c');
      const refunded = await lockCall(hub);
      expect(ids(refunded)).toEqual(['a', 'c']);
      expect(refunded.map((l) => l.deliveries)).toEqual([1, 1]);

      const a = refunded.find((l) => l.instance.instanceId === 'a')!;
      await s.releaseInstance(hub, 'a', a.lockToken, { countDelivery: true }); // the episode failed here
      await startInstance(s, hub, 'd');
      const counted = await lockCall(hub);
      expect(ids(counted)).toEqual(['a']);
      expect(counted[0]!.deliveries).toBe(2);

      // A graceful give-back of a redelivered instance refunds only its own handout: still redelivered.
      await s.releaseInstance(hub, 'a', counted[0]!.lockToken);
      const still = await lockCall(hub);
      expect(ids(still)).toEqual(['a']);
      expect(still[0]!.deliveries).toBe(2);
      expect(ids(await lockCall(hub))).toEqual(['d']);
    });

    it('completeActivity with lockInstance never hands out a redelivered instance; a lock call hands it out alone', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await schedule(hub, 'i1', [0]);
      const [item] = await lockAllActivities(s, hub);
      await s.sendMessages(hub, [message('i1', ev.raised('wake'))]);
      await lockOne(s, hub, 'i1', SHORT_LEASE); // its worker dies with it
      await sleep(PAST_EXPIRY);
      const result = await s.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: message('i1', ev.taskCompleted(0)), lockInstance: { leaseMs: LONG_LEASE } });
      expect(result?.instance).toBeUndefined();
      const items = await lockCall(hub);
      expect(ids(items)).toEqual(['i1']);
      expect(items[0]!.deliveries).toBe(2);
      expect(items[0]!.messages.map((m) => m.event.EventType)).toEqual(['EventRaised', 'TaskCompleted']);
    });

    it('a lock call hands out a redelivered work item alone, before fresh ones, with the dead handout counted', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await schedule(hub, 'i1', [0, 1, 2]);
      const batch = await lockAllActivities(s, hub, SHORT_LEASE); // a worker leases a batch, then dies
      expect(batch).toHaveLength(3);
      await schedule(hub, 'i1', [3, 4]);
      await sleep(PAST_EXPIRY);

      const redelivered: number[] = [];
      for (let call = 0; call < 3; call++) {
        const items = await lockActivityCall(hub);
        expect(items, 'a redelivered work item comes alone').toHaveLength(1);
        expect(items[0]!.deliveries).toBe(2);
        redelivered.push(items[0]!.taskScheduledId);
      }
      expect(redelivered.sort()).toEqual([0, 1, 2]);
      const fresh = await lockAllActivities(s, hub);
      expect(fresh.map((w) => w.taskScheduledId).sort()).toEqual([3, 4]);
      expect(fresh.every((w) => w.deliveries === 1)).toBe(true);
    });

    it('abandonActivity refunds the handout by default; with countDelivery it counts and the item comes back alone', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await schedule(hub, 'i1', [0, 1]);
      const first = await lockAllActivities(s, hub);
      const zero = first.find((w) => w.taskScheduledId === 0)!;
      await s.abandonActivity(hub, zero.id, zero.lockToken); // shutdown
      await schedule(hub, 'i1', [2]);
      const refunded = await lockActivityCall(hub);
      expect(refunded.map((w) => [w.taskScheduledId, w.deliveries]).sort()).toEqual([
        [0, 1],
        [2, 1],
      ]);

      const again = refunded.find((w) => w.taskScheduledId === 0)!;
      await s.abandonActivity(hub, again.id, again.lockToken, { countDelivery: true });
      await schedule(hub, 'i1', [3]);
      const counted = await lockActivityCall(hub);
      expect(counted.map((w) => [w.taskScheduledId, w.deliveries])).toEqual([[0, 2]]);

      await s.abandonActivity(hub, counted[0]!.id, counted[0]!.lockToken);
      const still = await lockActivityCall(hub);
      expect(still.map((w) => [w.taskScheduledId, w.deliveries])).toEqual([[0, 2]]);
      expect((await lockActivityCall(hub)).map((w) => w.taskScheduledId)).toEqual([3]);
    });

    it('a lock call for fresh items only leaves a redelivered instance unleased and uncharged, and says it waits', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'dead');
      await lockOne(s, hub, 'dead', SHORT_LEASE); // its worker dies with it
      await startInstance(s, hub, 'fresh');
      await sleep(PAST_EXPIRY);

      const freshOnly = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false });
      expect(ids(freshOnly.items)).toEqual(['fresh']);
      expect(freshOnly.redeliveredWaiting).toBe(true);
      const nothingFresh = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false });
      expect(nothingFresh.items).toEqual([]);
      expect(nothingFresh.redeliveredWaiting, 'still waiting, not leased by the calls that left it').toBe(true);

      const alone = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: true });
      expect(ids(alone.items)).toEqual(['dead']);
      expect(alone.items[0]!.deliveries, 'charged for the dead handout only').toBe(2);
      expect(alone.redeliveredWaiting).toBeUndefined();
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false })).redeliveredWaiting).toBeUndefined();
    });

    it('a lock call for fresh items only leaves a redelivered work item unleased and uncharged, and says it waits', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await schedule(hub, 'i1', [0]);
      await lockAllActivities(s, hub, SHORT_LEASE); // its worker dies with it
      await schedule(hub, 'i1', [1]);
      await sleep(PAST_EXPIRY);

      const freshOnly = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false });
      expect(freshOnly.items.map((w) => [w.taskScheduledId, w.deliveries])).toEqual([[1, 1]]);
      expect(freshOnly.redeliveredWaiting).toBe(true);
      const nothingFresh = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false });
      expect(nothingFresh.items).toEqual([]);
      expect(nothingFresh.redeliveredWaiting, 'still waiting, not leased by the calls that left it').toBe(true);

      const alone = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: true });
      expect(alone.items.map((w) => [w.taskScheduledId, w.deliveries]), 'charged for the dead handout only').toEqual([[0, 2]]);
      expect(alone.redeliveredWaiting).toBeUndefined();
      expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false })).redeliveredWaiting).toBeUndefined();
    });

    it('racing lock calls hand each redelivered instance to one holder, each alone', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const names = Array.from({ length: 6 }, (_, i) => `r${i}`);
      for (const id of names) await startInstance(s, hub, id);
      await lockAll(s, hub, SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const results = await Promise.all(Array.from({ length: 10 }, () => lockCall(hub)));
      const handed = results.flatMap((items) => items);
      for (const items of results) expect(items.length).toBeLessThanOrEqual(1);
      expect(new Set(ids(handed)).size).toBe(handed.length);
      expect(handed.every((l) => l.deliveries === 2)).toBe(true);
      const rest = await lockAll(s, hub);
      expect([...ids(handed), ...rest.keys()].sort()).toEqual(names);
    });
  });
}
