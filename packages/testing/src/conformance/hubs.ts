/** Task-hub isolation: the same instance id in two hubs shares nothing. */
import { describe, expect, it } from 'vitest';
import { activity, commitFor, ev, logEntry, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { expectLeaseLost, lockAll, lockAllActivities, lockOne, startInstance } from './context.js';

export function describeHubs(ctx: ConformanceContext): void {
  describe('task hubs', () => {
    it('keep rows, inboxes, locks, history, logs and activities of the same instance id apart', async () => {
      const s = ctx.storage;
      const hubA = ctx.hub();
      const hubB = ctx.hub();
      const a = await startInstance(s, hubA, 'same', { name: 'InA', input: '"a"' });
      const b = await startInstance(s, hubB, 'same', { name: 'InB', input: '"b"' });
      expect(await s.getInstance(hubA, 'same')).toEqual(a);
      expect(await s.getInstance(hubB, 'same')).toEqual(b);

      // Locks are per hub: holding 'same' in A does not lock it in B, and tokens do not cross.
      const lockA = await lockOne(s, hubA, 'same');
      const lockB = await lockOne(s, hubB, 'same');
      expect(lockA.messages[0]!.event).toMatchObject({ Name: 'InA' });
      expect(lockB.messages[0]!.event).toMatchObject({ Name: 'InB' });
      await expectLeaseLost(s.commitOrchestration(hubB, commitFor(lockB, { lockToken: lockA.lockToken })));

      await s.commitOrchestration(
        hubA,
        commitFor(lockA, {
          status: 'Completed',
          append: [lockA.messages[0]!.event, ev.completed()],
          activities: [activity('same', a.executionId, 0)],
          logs: [logEntry('only in A')],
        }),
      );
      expect(await s.getInstance(hubB, 'same')).toEqual(b);
      expect(await s.getHistory(hubB, 'same')).toEqual([]);
      expect(await s.getLogs(hubB, 'same')).toEqual([]);
      expect(await lockAllActivities(s, hubB)).toEqual([]);
      expect(await lockAllActivities(s, hubA)).toHaveLength(1);

      // B's lease survived A's commit; B's messages are B's.
      await s.commitOrchestration(hubB, commitFor(lockB, { append: [lockB.messages[0]!.event] }));
      expect((await s.getHistory(hubB, 'same')).map((e) => e.EventType)).toEqual(['ExecutionStarted']);
      expect((await s.getHistory(hubA, 'same')).map((e) => e.EventType)).toEqual(['ExecutionStarted', 'ExecutionCompleted']);
      await s.sendMessages(hubA, [message('same', ev.raised('for A'))]);
      expect(await lockAll(s, hubB)).toEqual(new Map());
      expect((await lockOne(s, hubA, 'same')).messages.map((m) => m.event)).toMatchObject([{ Name: 'for A' }]);
    });

    it('keep queries and purges apart', async () => {
      const s = ctx.storage;
      const hubA = ctx.hub();
      const hubB = ctx.hub();
      await startInstance(s, hubA, 'x', { status: 'Completed' });
      await startInstance(s, hubA, 'a-only', { status: 'Completed' });
      const bx = await startInstance(s, hubB, 'x', { status: 'Completed' });

      expect((await s.queryInstances(hubA, {})).instances.map((r) => r.instanceId).sort()).toEqual(['a-only', 'x']);
      expect((await s.queryInstances(hubB, {})).instances).toEqual([bx]);

      expect(await s.purgeInstances(hubA, { instanceIds: ['x'] })).toEqual({ instancesDeleted: 1 });
      expect(await s.getInstance(hubB, 'x')).toEqual(bx);
      expect(await s.purgeInstances(hubA, { createdFrom: 0 })).toEqual({ instancesDeleted: 1 });
      expect((await s.queryInstances(hubA, {})).instances).toEqual([]);
      expect((await s.queryInstances(hubB, {})).instances).toEqual([bx]);
      expect((await lockAll(s, hubB)).has('x')).toBe(true);
    });
  });
}
