/** Activity work items: lock, complete (atomically with its message), expiry, fencing, abandon. */
import { describe, expect, it } from 'vitest';
import type { ActivityCompletion, ActivityWorkItem, NewActivity } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import {
  LONG_LEASE,
  PAST_EXPIRY,
  SHORT_LEASE,
  expectLeaseLost,
  lockAll,
  lockAllActivities,
  lockOne,
  quietOrLeaseLost,
  sleep,
  startInstance,
} from './context.js';

export function describeActivities(ctx: ConformanceContext): void {
  /** Instance i1 (Running, empty inbox) with `n` scheduled activities. */
  async function withActivities(hub: string, n = 1): Promise<NewActivity[]> {
    const s = ctx.storage;
    const record = await startInstance(s, hub, 'i1');
    const locked = await lockOne(s, hub, 'i1');
    const acts = Array.from({ length: n }, (_, i) => activity('i1', record.executionId, i, `Act${i}`, `"input-${i}"`));
    await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event, ...acts.map((a) => ev.scheduled(a.taskScheduledId, a.name, a.input))], activities: acts }));
    return acts;
  }

  const completion = (item: ActivityWorkItem, lockToken = item.lockToken, result = '"ok"'): ActivityCompletion => ({
    workItemId: item.id,
    lockToken,
    message: message(item.instanceId, ev.taskCompleted(item.taskScheduledId, result)),
  });

  describe('activities', () => {
    it('hands a work item to one holder at a time, with its fields and deliveries 1', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const [act] = await withActivities(hub);
      const { items } = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE });
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ ...act, deliveries: 1 });
      expect(typeof items[0]!.id).toBe('string');
      expect(typeof items[0]!.lockToken).toBe('string');
      expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
    });

    it('completeActivity deletes the work item and delivers its message together', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub);
      const [item] = await lockAllActivities(s, hub);
      const done = completion(item!);
      await s.completeActivity(hub, done);

      const locked = await lockOne(s, hub, 'i1');
      expect(locked.messages.map((m) => m.event)).toEqual([done.message.event]);
      // The item is gone: the token holds nothing, so it cannot complete, renew or come back.
      await expectLeaseLost(s.completeActivity(hub, completion(item!, item!.lockToken, '"twice"')));
      expect(await s.renewLeases(hub, { instances: [], activities: [{ workItemId: item!.id, lockToken: item!.lockToken }] }, LONG_LEASE)).toEqual({
        lostInstances: [],
        lostActivities: [item!.lockToken],
        canceledActivities: [],
      });
      await quietOrLeaseLost(s.abandonActivity(hub, item!.id, item!.lockToken));
      expect(await lockAllActivities(s, hub)).toEqual([]);
      await s.releaseInstance(hub, 'i1', locked.lockToken);
      expect((await lockOne(s, hub, 'i1')).messages).toHaveLength(1);
    });

    it('hands a work item out again after its lease expires, with a new token and deliveries incremented', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub);
      const [first] = await lockAllActivities(s, hub, SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const [second] = await lockAllActivities(s, hub, LONG_LEASE);
      expect(second).toEqual({ ...first, lockToken: second!.lockToken, deliveries: 2 });
      expect(second!.lockToken).not.toBe(first!.lockToken);
    });

    it('refuses completeActivity with a wrong or stale token (LEASE_LOST) and delivers nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub);
      const [stale] = await lockAllActivities(s, hub, SHORT_LEASE);
      await expectLeaseLost(s.completeActivity(hub, completion(stale!, 'wrong-token')));
      await sleep(PAST_EXPIRY);
      const [holder] = await lockAllActivities(s, hub, LONG_LEASE);
      await expectLeaseLost(s.completeActivity(hub, completion(stale!, stale!.lockToken, '"stale"')));
      expect(await lockAll(s, hub)).toEqual(new Map());

      const done = completion(holder!, holder!.lockToken, '"fresh"');
      await s.completeActivity(hub, done);
      expect((await lockOne(s, hub, 'i1')).messages.map((m) => m.event)).toEqual([done.message.event]);
    });

    it('abandonActivity makes the item available again at once, its handout refunded; a wrong token abandons nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub);
      const [first] = await lockAllActivities(s, hub, LONG_LEASE);
      await quietOrLeaseLost(s.abandonActivity(hub, first!.id, 'wrong-token'));
      expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);

      await s.abandonActivity(hub, first!.id, first!.lockToken);
      const [second] = await lockAllActivities(s, hub, LONG_LEASE);
      expect(second!.id).toBe(first!.id);
      expect(second!.deliveries).toBe(1); // a graceful give-back (shutdown) is not a delivery
      await expectLeaseLost(s.completeActivity(hub, completion(first!)));
      await s.completeActivity(hub, completion(second!));
    });

    it('hands out at most `max` work items per call', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 5);
      const seen: string[] = [];
      for (let call = 0; call < 10; call++) {
        const { items } = await s.lockActivities(hub, { max: 2, leaseMs: LONG_LEASE });
        if (items.length === 0) break;
        expect(items.length).toBeLessThanOrEqual(2);
        seen.push(...items.map((i) => i.id));
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    });

    it('never hands the same work item to two holders (15 parallel lockActivities over 30 items)', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const acts = await withActivities(hub, 30);
      const results = await Promise.all(Array.from({ length: 15 }, () => s.lockActivities(hub, { max: 3, leaseMs: LONG_LEASE })));
      const handed = results.flatMap((r) => r.items);
      for (const r of results) expect(r.items.length).toBeLessThanOrEqual(3);
      expect(new Set(handed.map((w) => w.id)).size).toBe(handed.length);
      const all = [...handed, ...(await lockAllActivities(s, hub))];
      expect(new Set(all.map((w) => w.id)).size).toBe(30);
      expect(all.map((w) => w.taskScheduledId).sort((a, b) => a - b)).toEqual(acts.map((a) => a.taskScheduledId));
    });
  });
}
