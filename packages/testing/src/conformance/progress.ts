/**
 * What the step view reads from a store: activity progress (fenced by the
 * work item's lease, one write), the live state of an instance's work items
 * (queued or held, since when, last progress), and activity log lines
 * committed with their completion, in order with the orchestration's.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityWorkItem, NewActivity } from '@reprise/core';
import { activity, commitFor, ev, logEntry, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, expectLeaseLost, lockAllActivities, lockOne, sleep, startInstance } from './context.js';

export function describeProgress(ctx: ConformanceContext): void {
  /** Instance i1 with `n` scheduled activities, and a log line from its episode. */
  async function withActivities(hub: string, n: number, instanceId = 'i1'): Promise<NewActivity[]> {
    const s = ctx.storage;
    const record = await startInstance(s, hub, instanceId);
    const locked = await lockOne(s, hub, instanceId);
    const acts = Array.from({ length: n }, (_, i) => activity(instanceId, record.executionId, i, `Act${i}`, `"input-${i}"`));
    await s.commitOrchestration(hub, {
      ...commitFor(locked, { append: [locked.messages[0]!.event, ...acts.map((a) => ev.scheduled(a.taskScheduledId, a.name, a.input))], activities: acts }),
      logs: [logEntry('episode 1')],
    });
    return acts;
  }

  const byTask = <S extends { taskScheduledId: number }>(states: S[]): S[] => [...states].sort((a, b) => a.taskScheduledId - b.taskScheduledId);

  describe('progress and work item states', () => {
    it('getActivityStates shows queued items as not running, leased ones as running since the lease', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const acts = await withActivities(hub, 2);
      const queued = byTask(await s.getActivityStates(hub, 'i1'));
      expect(queued).toHaveLength(2);
      expect(queued[0]).toMatchObject({ executionId: acts[0]!.executionId, taskScheduledId: 0, name: 'Act0', running: false });
      expect(queued[0]!.startedAt).toBeUndefined();
      expect(queued[0]!.progress).toBeUndefined();

      const before = Date.now();
      const { items } = await s.lockActivities(hub, { max: 1, leaseMs: LONG_LEASE });
      const states = byTask(await s.getActivityStates(hub, 'i1'));
      const held = states.find((st) => st.workItemId === items[0]!.id)!;
      expect(held.running).toBe(true);
      // Judged by the store's clock (Redis: the server's); a wide margin for skew on one machine.
      expect(held.startedAt).toBeGreaterThan(before - 5_000);
      expect(states.find((st) => st.workItemId !== items[0]!.id)!.running).toBe(false);
      expect(await s.getActivityStates(hub, 'other')).toEqual([]);
    });

    it('reportProgress stores the holder\'s last value, visible at once; completion removes the item', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 1);
      const [item] = await lockAllActivities(s, hub);
      await s.reportProgress(hub, item!.id, item!.lockToken, { percent: 10, at: 1000 });
      await s.reportProgress(hub, item!.id, item!.lockToken, { percent: 40, message: 'copied 4 of 10 files', at: 2000 });
      const [state] = await s.getActivityStates(hub, 'i1');
      expect(state).toMatchObject({ workItemId: item!.id, running: true, progress: { percent: 40, message: 'copied 4 of 10 files', at: 2000 } });

      await s.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: message('i1', ev.taskCompleted(0, '"ok"')) });
      expect(await s.getActivityStates(hub, 'i1')).toEqual([]);
    });

    it('reportProgress is fenced: a wrong token, an expired lease or a completed item is LeaseLostError and changes nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 1);
      const [item] = await lockAllActivities(s, hub, SHORT_LEASE);
      await s.reportProgress(hub, item!.id, item!.lockToken, { percent: 5, at: 1 });
      await expectLeaseLost(s.reportProgress(hub, item!.id, 'not-the-token', { percent: 99, at: 2 }));
      await expectLeaseLost(s.reportProgress(hub, 'no-such-item', item!.lockToken, { percent: 99, at: 2 }));
      expect((await s.getActivityStates(hub, 'i1'))[0]!.progress).toEqual({ percent: 5, at: 1 });

      await sleep(PAST_EXPIRY);
      await expectLeaseLost(s.reportProgress(hub, item!.id, item!.lockToken, { percent: 50, at: 3 }));
      const [expired] = await s.getActivityStates(hub, 'i1');
      expect(expired!.running).toBe(false);
      expect(expired!.progress?.percent).not.toBe(50);
    });

    it('a new lease of a redelivered item starts without the earlier holder\'s progress', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 1);
      const [first] = await lockAllActivities(s, hub, SHORT_LEASE);
      await s.reportProgress(hub, first!.id, first!.lockToken, { percent: 70, at: 1 });
      await sleep(PAST_EXPIRY);
      const { items } = await s.lockActivities(hub, { max: 1, leaseMs: LONG_LEASE });
      const second = items[0] as ActivityWorkItem;
      expect(second.deliveries).toBe(2);
      await expectLeaseLost(s.reportProgress(hub, first!.id, first!.lockToken, { percent: 80, at: 2 }));
      const [state] = await s.getActivityStates(hub, 'i1');
      expect(state!.running).toBe(true);
      expect(state!.progress).toBeUndefined();
      await s.reportProgress(hub, second.id, second.lockToken, { percent: 20, at: 3 });
      expect((await s.getActivityStates(hub, 'i1'))[0]!.progress).toEqual({ percent: 20, at: 3 });
    });

    it('an activity\'s log lines are stored with its completion, after the episode\'s, with their step sequence', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 1);
      const [item] = await lockAllActivities(s, hub);
      const lines = [{ ...logEntry('copying', 'info', 2000), sequence: 0 }, { ...logEntry('slow disk', 'warn', 2001), sequence: 0 }];
      await s.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: message('i1', ev.taskCompleted(0, '"ok"')), logs: lines });
      const logs = await s.getLogs(hub, 'i1');
      expect(logs.map((l) => l.message)).toEqual(['episode 1', 'copying', 'slow disk']);
      expect(logs[0]!.sequence).toBeUndefined();
      expect(logs.slice(1)).toEqual(lines);
    });

    it('a refused completion stores none of its log lines', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 1);
      const [item] = await lockAllActivities(s, hub);
      await expectLeaseLost(
        s.completeActivity(hub, { workItemId: item!.id, lockToken: 'stale', message: message('i1', ev.taskCompleted(0, '"ok"')), logs: [{ ...logEntry('lost'), sequence: 0 }] }),
      );
      expect((await s.getLogs(hub, 'i1')).map((l) => l.message)).toEqual(['episode 1']);
    });

    it('purge removes the work items the step view reads', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withActivities(hub, 2);
      // Finish the instance without touching its items, then purge.
      await s.sendMessages(hub, [message('i1', ev.raised('stop'))]);
      const l = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(l, { status: 'Completed', append: [l.messages[0]!.event, ev.completed()] }));
      expect(await s.getActivityStates(hub, 'i1')).toHaveLength(2);
      expect((await s.purgeInstances(hub, { instanceIds: ['i1'] })).instancesDeleted).toBe(1);
      expect(await s.getActivityStates(hub, 'i1')).toEqual([]);
    });
  });
}
