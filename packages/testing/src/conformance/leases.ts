/** Instance leases: one holder at a time, expiry, max, release, renewal, racing lockers. */
import { describe, expect, it } from 'vitest';
import type { LockedInstance } from '@reprise/core';
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
  startAndRun,
  startInstance,
} from './context.js';

export function describeLeases(ctx: ConformanceContext): void {
  describe('instance leases', () => {
    it('hands an instance to one holder at a time while the lease lives', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const first = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE });
      expect(first.items).toHaveLength(1);
      expect(first.items[0]!.deliveries).toBe(1);
      expect(typeof first.items[0]!.lockToken).toBe('string');

      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      // New messages do not break the lease either.
      await s.sendMessages(hub, [message('i1', ev.raised('more'))]);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
    });

    it('hands the instance out again after the lease expires, with a new token and deliveries incremented', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const first = await lockOne(s, hub, 'i1', SHORT_LEASE);
      await sleep(PAST_EXPIRY);

      const second = await lockOne(s, hub, 'i1', LONG_LEASE);
      expect(second.lockToken).not.toBe(first.lockToken);
      expect(second.deliveries).toBe(2);
      expect(second.messages).toEqual(first.messages);

      // A commit resets the count.
      await s.commitOrchestration(hub, commitFor(second, { append: second.messages.map((m) => m.event) }));
      await s.sendMessages(hub, [message('i1', ev.raised('next'))]);
      expect((await lockOne(s, hub, 'i1')).deliveries).toBe(1);
    });

    it('hands out at most `max` instances per call', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      for (let i = 0; i < 5; i++) await startInstance(s, hub, `i${i}`);
      const seen = new Set<string>();
      for (let call = 0; call < 10; call++) {
        const { items } = await s.lockInstances(hub, { max: 2, leaseMs: LONG_LEASE });
        if (items.length === 0) break;
        expect(items.length).toBeLessThanOrEqual(2);
        for (const item of items) {
          expect(seen.has(item.instance.instanceId)).toBe(false);
          seen.add(item.instance.instanceId);
        }
      }
      expect([...seen].sort()).toEqual(['i0', 'i1', 'i2', 'i3', 'i4']);
      expect((await s.lockInstances(hub, { max: 1, leaseMs: LONG_LEASE })).items).toEqual([]);
    });

    it('releaseInstance makes the instance lockable again at once, messages kept; the released token is dead', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const first = await lockOne(s, hub, 'i1', LONG_LEASE);
      await s.releaseInstance(hub, 'i1', first.lockToken);

      const second = await lockOne(s, hub, 'i1', LONG_LEASE);
      expect(second.messages).toEqual(first.messages);
      expect(second.lockToken).not.toBe(first.lockToken);
      await expectLeaseLost(s.commitOrchestration(hub, commitFor(first)));
      await s.commitOrchestration(hub, commitFor(second, { append: second.messages.map((m) => m.event) }));
    });

    it('releaseInstance with a wrong or stale token leaves the current holder in place', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const stale = await lockOne(s, hub, 'i1', SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const holder = await lockOne(s, hub, 'i1', LONG_LEASE);

      await quietOrLeaseLost(s.releaseInstance(hub, 'i1', stale.lockToken));
      await quietOrLeaseLost(s.releaseInstance(hub, 'i1', 'not-a-token'));
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      await s.commitOrchestration(hub, commitFor(holder, { append: holder.messages.map((m) => m.event) }));
      expect((await s.getHistory(hub, 'i1')).map((e) => e.EventType)).toEqual(['ExecutionStarted']);
    });
  });

  describe('renewLeases', () => {
    /** i1 Running with one pending activity, then a message so it can be locked again. */
    async function setup(hub: string, { held = false } = {}) {
      const s = ctx.storage;
      const record = await startAndRun(s, hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('go'))]);
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('i1', record.executionId, 1)] }));
      // Optionally a second instance locked for good, before i1 becomes lockable again.
      const heldLock = held ? (await startInstance(s, hub, 'held'), await lockOne(s, hub, 'held', LONG_LEASE)) : undefined;
      await s.sendMessages(hub, [message('i1', ev.raised('again'))]);
      return heldLock;
    }

    it('extends held leases: a lease renewed past its original expiry is not handed to another locker', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await setup(hub);
      const lease = 500;
      const instance = await lockOne(s, hub, 'i1', lease);
      const [work] = await lockAllActivities(s, hub, lease);
      const renewed = await s.renewLeases(
        hub,
        { instances: [{ instanceId: 'i1', lockToken: instance.lockToken }], activities: [{ workItemId: work!.id, lockToken: work!.lockToken }] },
        LONG_LEASE,
      );
      expect(renewed).toEqual({ lostInstances: [], lostActivities: [], canceledActivities: [] });

      await sleep(lease + PAST_EXPIRY);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      await s.completeActivity(hub, { workItemId: work!.id, lockToken: work!.lockToken, message: message('i1', ev.taskCompleted(1, '"ok"')) });
      await s.commitOrchestration(hub, commitFor(instance, { append: instance.messages.map((m) => m.event) }));
    });

    it('reports the tokens whose lease was lost and does not extend them', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const held = (await setup(hub, { held: true }))!;
      const expired = await lockOne(s, hub, 'i1', SHORT_LEASE);
      const [expiredWork] = await lockAllActivities(s, hub, SHORT_LEASE);
      await sleep(PAST_EXPIRY);

      const result = await s.renewLeases(
        hub,
        {
          instances: [
            { instanceId: 'i1', lockToken: expired.lockToken },
            { instanceId: 'held', lockToken: held.lockToken },
            { instanceId: 'unknown', lockToken: 'bogus-instance-token' },
          ],
          activities: [
            { workItemId: expiredWork!.id, lockToken: expiredWork!.lockToken },
            { workItemId: 'unknown', lockToken: 'bogus-activity-token' },
          ],
        },
        LONG_LEASE,
      );
      expect([...result.lostInstances].sort()).toEqual([expired.lockToken, 'bogus-instance-token'].sort());
      expect([...result.lostActivities].sort()).toEqual([expiredWork!.lockToken, 'bogus-activity-token'].sort());

      // Not extended: both are handed out again.
      const again = await lockOne(s, hub, 'i1', LONG_LEASE);
      expect(again.deliveries).toBe(2);
      const [workAgain] = await lockAllActivities(s, hub, LONG_LEASE);
      expect(workAgain!.id).toBe(expiredWork!.id);
      expect(workAgain!.deliveries).toBe(2);

      // Renewing with the old token once another holder has the lease is lost too, and harms nothing.
      const late = await s.renewLeases(hub, { instances: [{ instanceId: 'i1', lockToken: expired.lockToken }], activities: [{ workItemId: expiredWork!.id, lockToken: expiredWork!.lockToken }] }, LONG_LEASE);
      expect(late).toEqual({ lostInstances: [expired.lockToken], lostActivities: [expiredWork!.lockToken], canceledActivities: [] });
      await s.commitOrchestration(hub, commitFor(again, { append: again.messages.map((m) => m.event) }));
      await s.completeActivity(hub, { workItemId: workAgain!.id, lockToken: workAgain!.lockToken, message: message('i1', ev.taskCompleted(1)) });
    });
  });

  describe('racing lockers', () => {
    it('never hands the same instance to two holders (20 parallel lockInstances over 50 instances)', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const ids = Array.from({ length: 50 }, (_, i) => `race-${String(i).padStart(2, '0')}`);
      await Promise.all(ids.map((id) => startInstance(s, hub, id)));
      await Promise.all(ids.map((id) => s.sendMessages(hub, [message(id, ev.raised('x'))])));

      const results = await Promise.all(Array.from({ length: 20 }, () => s.lockInstances(hub, { max: 5, leaseMs: LONG_LEASE })));
      const handed: LockedInstance[] = results.flatMap((r) => r.items);
      for (const r of results) expect(r.items.length).toBeLessThanOrEqual(5);
      const handedIds = handed.map((l) => l.instance.instanceId);
      expect(new Set(handedIds).size).toBe(handedIds.length);
      for (const l of handed) {
        expect(l.messages.map((m) => m.instanceId)).toEqual([l.instance.instanceId, l.instance.instanceId]);
        expect(l.deliveries).toBe(1);
      }

      const rest = await lockAll(s, hub);
      const all = [...handedIds, ...rest.keys()];
      expect(all.length).toBe(50);
      expect([...new Set(all)].sort()).toEqual(ids);
    });
  });
}
