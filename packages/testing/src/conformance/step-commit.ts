/**
 * Step commits (optional: `capabilities.stepCommit`): a commit may keep the
 * instance leased to the committer for a grace (`keepLease`) while it runs
 * the work item the commit leased to it, and the next commit may record that
 * item's result (`completeActivities`), fenced by both leases, in one atomic
 * operation. A kept lease is not a handout: when it runs out the instance is
 * fresh, and the work item is redelivered after its own lease, as always.
 */
import { describe, expect } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { ActivityWorkItem, LockedInstance, OrchestrationContext, Storage } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, expectLeaseLost, lockAllActivities, lockOne, sleep, startInstance } from './context.js';
import { itWithCapability } from './optional.js';

/** Starts i1 and commits its first episode, scheduling one work item leased to us, with `keepLeaseMs` asked for. */
async function firstStep(s: Storage, hub: string, keepLeaseMs: number, activityLeaseMs = LONG_LEASE): Promise<{ locked: LockedInstance; item: ActivityWorkItem; kept?: string }> {
  const record = await startInstance(s, hub, 'i1');
  const locked = await lockOne(s, hub, 'i1');
  const result = await s.commitOrchestration(hub, {
    ...commitFor(locked, { append: [locked.messages[0]!.event, ev.scheduled(0)], activities: [activity('i1', record.executionId, 0)] }),
    lockActivities: { max: 1, leaseMs: activityLeaseMs },
    keepLease: { leaseMs: keepLeaseMs },
  });
  const [item] = result?.activities ?? [];
  expect(item).toBeDefined();
  return { locked: { ...locked, instance: { ...locked.instance, status: 'Running', historyLength: 2 }, messages: [] }, item: item!, kept: result?.keptLease?.lockToken };
}

/** The step commit: the item's result appended, the item completed, under the kept lease. */
function stepCommit(held: LockedInstance, lockToken: string, item: ActivityWorkItem, itemToken = item.lockToken) {
  return { ...commitFor({ ...held, lockToken }, { append: [ev.taskCompleted(0, '"done"')], consume: [] }), completeActivities: [{ workItemId: item.id, lockToken: itemToken }] };
}

export function describeStepCommit(ctx: ConformanceContext): void {
  describe('step commits', () => {
    const itStep = itWithCapability(ctx, 'stepCommit');

    itStep('keepLease keeps the instance leased to the committer; the next commit records the work item result and deletes the item, in one operation', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { locked, item, kept } = await firstStep(s, hub, LONG_LEASE);
      expect(kept).toBeTypeOf('string');
      expect(kept).not.toBe(locked.lockToken);
      // Held: nobody else gets the instance, and the old token is refused.
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      await expectLeaseLost(s.commitOrchestration(hub, stepCommit(locked, locked.lockToken, item)));
      await s.commitOrchestration(hub, { ...stepCommit(locked, kept!, item), logs: [{ time: Date.now(), level: 'info', message: 'from the activity', sequence: 0 }] });
      expect((await s.getHistory(hub, 'i1')).map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted']);
      expect((await s.getLogs(hub, 'i1')).map((l) => l.message)).toEqual(['from the activity']);
      // The item is gone (its completion is refused), and no result went through the inbox.
      expect(await lockAllActivities(s, hub)).toEqual([]);
      await expectLeaseLost(s.completeActivity(hub, { workItemId: item.id, lockToken: item.lockToken, message: message('i1', ev.taskCompleted(0)) }));
      expect(await s.getMessages(hub, 'i1')).toEqual([]);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
    });

    itStep('a step commit whose work item lease is not held is refused as a whole: nothing applied, both leases still usable', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { locked, item, kept } = await firstStep(s, hub, LONG_LEASE);
      await expectLeaseLost(s.commitOrchestration(hub, stepCommit(locked, kept!, item, 'not-the-token')));
      expect((await s.getHistory(hub, 'i1')).map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled']);
      expect((await s.getInstance(hub, 'i1'))!.historyLength).toBe(2);
      // Nothing changed: the kept lease still holds, and the item completes the usual way.
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      await s.releaseInstance(hub, 'i1', kept!);
      await s.completeActivity(hub, { workItemId: item.id, lockToken: item.lockToken, message: message('i1', ev.taskCompleted(0)) });
      const next = await lockOne(s, hub, 'i1');
      expect(next.messages.map((m) => m.event.EventType)).toEqual(['TaskCompleted']);
      expect(next.deliveries).toBe(1);
    });

    itStep('messages that arrive under a kept lease stay in the inbox: the step commit leaves them and the instance is ready again', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { locked, item, kept } = await firstStep(s, hub, LONG_LEASE);
      await s.sendMessages(hub, [message('i1', ev.raised('meanwhile'))]);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE })).items).toEqual([]);
      const result = await s.commitOrchestration(hub, { ...stepCommit(locked, kept!, item), lockActivities: { max: 1, leaseMs: LONG_LEASE }, keepLease: { leaseMs: LONG_LEASE } });
      // Work waits now, so the lease is not kept, though asked for (this commit leased nothing anyway).
      expect(result?.keptLease).toBeUndefined();
      const next = await lockOne(s, hub, 'i1');
      expect(next.messages.map((m) => m.event.EventType)).toEqual(['EventRaised']);
      expect(next.deliveries).toBe(1);
    });

    itStep('keepLease is not honoured when a visible message is left after the commit, or when the commit leases no work item', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('late'))]);
      const left = await s.commitOrchestration(hub, {
        ...commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('i1', record.executionId, 0)] }),
        lockActivities: { max: 1, leaseMs: LONG_LEASE },
        keepLease: { leaseMs: LONG_LEASE },
      });
      expect(left?.activities).toHaveLength(1);
      expect(left?.keptLease).toBeUndefined();
      const again = await lockOne(s, hub, 'i1');
      expect(again.messages.map((m) => m.event.EventType)).toEqual(['EventRaised']);
      const none = await s.commitOrchestration(hub, { ...commitFor(again, { append: again.messages.map((m) => m.event), activities: [activity('i1', record.executionId, 1)] }), keepLease: { leaseMs: LONG_LEASE } });
      expect(none?.keptLease).toBeUndefined();
      await s.sendMessages(hub, [message('i1', ev.raised('after'))]);
      expect((await lockOne(s, hub, 'i1')).messages.map((m) => m.event.EventType)).toEqual(['EventRaised']);
    });

    itStep('a kept lease that runs out (its holder died) leaves the instance fresh: what came meanwhile is handed out, the work item is redelivered after its lease, nothing applied twice', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { locked, item, kept } = await firstStep(s, hub, SHORT_LEASE, SHORT_LEASE);
      await s.sendMessages(hub, [message('i1', ev.raised('meanwhile'))]);
      const held = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE });
      expect(held.items).toEqual([]);
      // A sleeper learns when the kept lease ends.
      expect(held.nextVisibleInMs).toBeLessThanOrEqual(SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      // The dead holder's step commit is refused: both leases ran out.
      await expectLeaseLost(s.commitOrchestration(hub, stepCommit(locked, kept!, item)));
      const next = await lockOne(s, hub, 'i1');
      expect(next.messages.map((m) => m.event.EventType)).toEqual(['EventRaised']);
      expect(next.deliveries).toBe(1);
      const [again] = await lockAllActivities(s, hub);
      expect(again?.id).toBe(item.id);
      expect(again?.deliveries).toBe(2);
      await s.completeActivity(hub, { workItemId: again!.id, lockToken: again!.lockToken, message: message('i1', ev.taskCompleted(0)) });
      await s.commitOrchestration(hub, commitFor(next, { append: next.messages.map((m) => m.event) }));
      const last = await lockOne(s, hub, 'i1');
      expect(last.messages.map((m) => m.event.EventType)).toEqual(['TaskCompleted']);
      expect((await s.getHistory(hub, 'i1')).filter((e) => e.EventType === 'TaskCompleted')).toEqual([]);
    });

    itStep('a runtime commits a chain of activities once per step, with no completeActivity', async () => {
      let completions = 0;
      let commits = 0;
      const counted = new Proxy(ctx.storage, {
        get(target, key, receiver) {
          if (key === 'completeActivity') completions++;
          if (key === 'commitOrchestration') commits++;
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const runtime = createRuntime({
        storage: counted,
        taskHub: ctx.hub(),
        logger: () => {},
        // Wide enough that no step falls back on a loaded machine.
        stepGraceMs: 10_000,
        activities: { Inc: (x: number) => x + 1 },
        orchestrators: {
          Chain: function* (c: OrchestrationContext<number>): Generator<unknown, number, number> {
            let x = 0;
            for (let i = 0; i < 5; i++) x = yield c.callActivity('Inc', x);
            return x;
          },
        },
      });
      await runtime.start();
      try {
        const id = await runtime.client.startNew('Chain', { input: null });
        const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
        expect(status.output).toBe(5);
        // The first episode, then one commit per step that carries the step's result.
        expect(commits).toBe(6);
        expect(completions).toBe(0);
      } finally {
        await runtime.stop();
      }
    });
  });
}
