/**
 * Eager dispatch (optional: `capabilities.eagerDispatch`): a commit may lease
 * the work items it creates to the committer, and an activity completion may
 * lease the instance it wakes to the completer, each in the same atomic
 * operation. What they hand out is leased exactly as the lock calls would
 * lease it: fenced, never twice. The clauses that hold for every store (a
 * request must not lose or duplicate work, whether honoured or ignored) run
 * for all of them.
 */
import { describe, expect, it } from 'vitest';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, expectLeaseLost, lockAllActivities, lockOne, startInstance } from './context.js';
import { itWithCapability } from './optional.js';

export function describeEagerDispatch(ctx: ConformanceContext): void {
  describe('eager dispatch', () => {
    const itEager = itWithCapability(ctx, 'eagerDispatch');

    itEager('a commit with lockActivities leases up to max of its new work items to the committer', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      const result = await s.commitOrchestration(hub, {
        ...commitFor(locked, { append: [locked.messages[0]!.event], activities: [0, 1, 2].map((n) => activity('i1', record.executionId, n)) }),
        lockActivities: { max: 2, leaseMs: LONG_LEASE },
      });
      const eager = result?.activities ?? [];
      expect(eager).toHaveLength(2);
      expect(eager.map((a) => a.taskScheduledId)).toEqual([0, 1]);
      expect(eager.every((a) => a.deliveries === 1 && a.lockToken.length > 0 && a.instanceId === 'i1')).toBe(true);
      // Another locker gets only the item left queued.
      const rest = await lockAllActivities(s, hub);
      expect(rest.map((a) => a.taskScheduledId)).toEqual([2]);
      // The eager items are fenced by their tokens.
      await expectLeaseLost(s.completeActivity(hub, { workItemId: eager[0]!.id, lockToken: 'not-the-token', message: message('i1', ev.taskCompleted(0)) }));
      await s.completeActivity(hub, { workItemId: eager[0]!.id, lockToken: eager[0]!.lockToken, message: message('i1', ev.taskCompleted(0)) });
    });

    it('a commit without lockActivities leases nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      const result = await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('i1', record.executionId, 0)] }));
      expect(result?.activities ?? []).toEqual([]);
      expect(await lockAllActivities(s, hub)).toHaveLength(1);
    });

    itEager('completeActivity with lockInstance leases the woken instance to the completer, with all its visible messages', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('i1', record.executionId, 0)] }));
      await s.sendMessages(hub, [message('i1', ev.raised('before'))]);
      const [item] = await lockAllActivities(s, hub);
      const result = await s.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: message('i1', ev.taskCompleted(0)), lockInstance: { leaseMs: LONG_LEASE } });
      const instance = result?.instance;
      expect(instance?.instance.instanceId).toBe('i1');
      expect(instance!.messages.map((m) => m.event.EventType)).toEqual(['EventRaised', 'TaskCompleted']);
      expect(instance!.deliveries).toBe(1);
      // Held: nobody else gets it.
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      await s.commitOrchestration(hub, commitFor(instance!, { append: instance!.messages.map((m) => m.event) }));
      expect((await s.getInstance(hub, 'i1'))!.historyLength).toBe(3);
    });

    it('completeActivity with lockInstance does not take an instance leased elsewhere; the message waits for that holder', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const first = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(first, { append: [first.messages[0]!.event], activities: [activity('i1', record.executionId, 0)] }));
      const [item] = await lockAllActivities(s, hub);
      await s.sendMessages(hub, [message('i1', ev.raised('wake'))]);
      const holder = await lockOne(s, hub, 'i1');
      const result = await s.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: message('i1', ev.taskCompleted(0)), lockInstance: { leaseMs: LONG_LEASE } });
      expect(result?.instance).toBeUndefined();
      await s.commitOrchestration(hub, commitFor(holder, { append: holder.messages.map((m) => m.event) }));
      const next = await lockOne(s, hub, 'i1');
      expect(next.messages.map((m) => m.event.EventType)).toEqual(['TaskCompleted']);
    });
  });
}
