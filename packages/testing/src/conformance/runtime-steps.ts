/**
 * The step view through real runtimes on the store under test, for what it
 * reads beyond activities: event waits as steps, Task.any losers Canceled
 * as soon as the code moved on (and back when it waits for them again), a
 * sub-orchestration Requested until its child runs, and histories written
 * before event waits were numbered, which replay with their old numbering.
 * Each runs with the replay cache on and off, and expects the same steps.
 */
import { describe, expect, it } from 'vitest';
import { defineOrchestrator, serialize } from '@reprise/core';
import type { OrchestrationContext, Step } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockOne, startInstance } from './context.js';
import { cacheModes, eventually, runtimeStarter } from './runtime-helpers.js';

const HOUR = 3_600_000;

const pick = (steps: Step[] | undefined) => (steps ?? []).map((s) => ({ sequence: s.sequence, kind: s.kind, name: s.name, status: s.status, previous: s.previous }));

/** A promise to release from the test: activities wait on it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

export function describeRuntimeSteps(ctx: ConformanceContext): void {
  describe.each(cacheModes)('steps beyond activities ($label)', ({ cacheSize }) => {
    const startRuntime = runtimeStarter(ctx);

    it('an event wait is a step: Executing until its event is consumed, then Succeeded with the decoded data', async () => {
      const runtime = await startRuntime({
        cacheSize,
        activities: { Prepare: async (n: number) => n * 10 },
        orchestrators: {
          Approve: function* (c: OrchestrationContext) {
            const n: unknown = yield c.callActivity('Prepare', 2);
            const approval: unknown = yield c.waitForExternalEvent('Approval');
            const done: unknown = yield c.callActivity('Prepare', 3);
            return [n, approval, done];
          },
        },
      });
      const id = await runtime.client.startNew('Approve');
      await eventually(async () => (await runtime.client.getSteps(id))?.length === 2, { what: 'the event wait' });
      expect(pick(await runtime.client.getSteps(id))).toEqual([
        { sequence: 0, kind: 'activity', name: 'Prepare', status: 'Succeeded', previous: [] },
        { sequence: 1, kind: 'event', name: 'Approval', status: 'Executing', previous: [0] },
      ]);
      await runtime.client.raiseEvent(id, 'Approval', { by: 'ann', at: new Date(0) });
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual([20, { by: 'ann', at: new Date(0) }, 30]);
      const steps = (await runtime.client.getSteps(id))!;
      expect(pick(steps)).toEqual([
        { sequence: 0, kind: 'activity', name: 'Prepare', status: 'Succeeded', previous: [] },
        { sequence: 1, kind: 'event', name: 'Approval', status: 'Succeeded', previous: [0] },
        { sequence: 2, kind: 'activity', name: 'Prepare', status: 'Succeeded', previous: [1] },
      ]);
      expect(steps[1]!.output).toEqual({ by: 'ann', at: new Date(0) });
      expect(steps[1]!.completedAt!.getTime()).toBeGreaterThanOrEqual(steps[1]!.scheduledAt.getTime());
    });

    it('events raised before their waits begin are taken in order, one per wait', async () => {
      const runtime = await startRuntime({
        cacheSize,
        orchestrators: {
          Collect: function* (c: OrchestrationContext) {
            const first: unknown = yield c.waitForExternalEvent('First');
            const a: unknown = yield c.waitForExternalEvent('X');
            const b: unknown = yield c.waitForExternalEvent('X');
            return [first, a, b];
          },
        },
      });
      const id = await runtime.client.startNew('Collect');
      await runtime.client.raiseEvent(id, 'X', 1);
      await runtime.client.raiseEvent(id, 'X', 2);
      await runtime.client.raiseEvent(id, 'First', 'f');
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual(['f', 1, 2]);
      const steps = (await runtime.client.getSteps(id))!;
      expect(steps.map((s) => [s.sequence, s.kind, s.name, s.status, s.output])).toEqual([
        [0, 'event', 'First', 'Succeeded', 'f'],
        [1, 'event', 'X', 'Succeeded', 1],
        [2, 'event', 'X', 'Succeeded', 2],
      ]);
    });

    it('Task.any losers read Canceled once the code moved on, while the run still runs; an abandoned wait still takes its event', async () => {
      const runtime = await startRuntime({
        cacheSize,
        activities: { Quick: async () => 'quick' },
        orchestrators: {
          Race: function* (c: OrchestrationContext) {
            const timeout = c.createTimer(new Date(c.currentUtcDateTime.getTime() + HOUR));
            const winner: unknown = yield c.Task.any([c.waitForExternalEvent('Go'), timeout]);
            yield c.Task.any([c.waitForExternalEvent('Late'), c.callActivity('Quick')]);
            const finish: unknown = yield c.waitForExternalEvent('Finish');
            return [winner === timeout, finish];
          },
        },
      });
      const id = await runtime.client.startNew('Race');
      await eventually(async () => (await runtime.client.getSteps(id))?.length === 2, { what: 'the race' });
      await runtime.client.raiseEvent(id, 'Go');
      await eventually(async () => (await runtime.client.getSteps(id))?.length === 5, { what: 'the wait for Finish' });
      expect((await runtime.client.getStatus(id))!.runtimeStatus).toBe('Running');
      expect(pick(await runtime.client.getSteps(id))).toEqual([
        { sequence: 0, kind: 'timer', name: expect.any(String), status: 'Canceled', previous: [] },
        { sequence: 1, kind: 'event', name: 'Go', status: 'Succeeded', previous: [] },
        { sequence: 2, kind: 'event', name: 'Late', status: 'Canceled', previous: [1] },
        { sequence: 3, kind: 'activity', name: 'Quick', status: 'Succeeded', previous: [1] },
        { sequence: 4, kind: 'event', name: 'Finish', status: 'Executing', previous: [3] },
      ]);
      // 'Late' goes to the abandoned wait (as the engine delivers it), not to the wait for 'Finish'.
      await runtime.client.raiseEvent(id, 'Late', 'late');
      await runtime.client.raiseEvent(id, 'Finish', 'finished');
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual([false, 'finished']);
      const steps = (await runtime.client.getSteps(id))!;
      expect(steps.map((s) => s.status)).toEqual(['Canceled', 'Succeeded', 'Canceled', 'Succeeded', 'Succeeded']);
      expect(steps[4]!.output).toBe('finished');
    });

    it('a timer that lost to an activity reads Canceled right after the episode that consumed the winner', async () => {
      const runtime = await startRuntime({
        cacheSize,
        activities: { Quick: async () => 'quick' },
        orchestrators: {
          Timeout: function* (c: OrchestrationContext) {
            yield c.Task.any([c.callActivity('Quick'), c.createTimer(new Date(c.currentUtcDateTime.getTime() + HOUR))]);
            return yield c.waitForExternalEvent('Next');
          },
        },
      });
      const id = await runtime.client.startNew('Timeout');
      await eventually(async () => (await runtime.client.getSteps(id))?.length === 3, { what: 'the wait after the race' });
      expect((await runtime.client.getStatus(id))!.runtimeStatus).toBe('Running');
      expect(pick(await runtime.client.getSteps(id))).toEqual([
        { sequence: 0, kind: 'activity', name: 'Quick', status: 'Succeeded', previous: [] },
        { sequence: 1, kind: 'timer', name: expect.any(String), status: 'Canceled', previous: [] },
        { sequence: 2, kind: 'event', name: 'Next', status: 'Executing', previous: [0] },
      ]);
      await runtime.client.raiseEvent(id, 'Next', 'n');
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('n');
    });

    it('a loser the code waits for again reads as waited for, then its outcome', async () => {
      const slowGate = gate();
      const midGate = gate();
      const runtime = await startRuntime({
        cacheSize,
        activities: {
          Fast: async () => 'fast',
          Slow: async () => (await slowGate.wait, 'slow'),
          Mid: async () => (await midGate.wait, 'mid'),
        },
        orchestrators: {
          Later: function* (c: OrchestrationContext) {
            const slow = c.callActivity('Slow');
            yield c.Task.any([c.callActivity('Fast'), slow]);
            yield c.callActivity('Mid');
            return yield slow;
          },
        },
      });
      const id = await runtime.client.startNew('Later');
      const statuses = async () => (await runtime.client.getSteps(id))?.map((s) => s.status).join(',');
      await eventually(async () => (await statuses()) === 'Canceled,Succeeded,Executing', { what: 'Slow abandoned while Mid runs' });
      midGate.open();
      await eventually(async () => (await statuses()) === 'Executing,Succeeded,Succeeded', { what: 'Slow waited for again' });
      slowGate.open();
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('slow');
      const steps = (await runtime.client.getSteps(id))!;
      expect(steps.map((s) => [s.name, s.status])).toEqual([
        ['Slow', 'Succeeded'],
        ['Fast', 'Succeeded'],
        ['Mid', 'Succeeded'],
      ]);
      expect(steps[0]!.output).toBe('slow');
    });

    it('a cancel request cancels the event wait it interrupts', async () => {
      const runtime = await startRuntime({
        cacheSize,
        activities: { Undo: async () => 'undone' },
        orchestrators: {
          Waiting: function* (c: OrchestrationContext) {
            try {
              return yield c.waitForExternalEvent('Never');
            } catch {
              return yield c.callActivity('Undo');
            }
          },
        },
      });
      const id = await runtime.client.startNew('Waiting');
      await eventually(async () => (await runtime.client.getSteps(id))?.[0]?.status === 'Executing', { what: 'the wait' });
      await runtime.client.requestCancel(id, 'stop');
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('undone');
      expect(pick(await runtime.client.getSteps(id))).toEqual([
        { sequence: 0, kind: 'event', name: 'Never', status: 'Canceled', previous: [] },
        { sequence: 1, kind: 'activity', name: 'Undo', status: 'Succeeded', previous: [0] },
      ]);
    });

    it('a sub-orchestration is Requested while its child waits for a slot in its group, Executing once it runs', async () => {
      const hub = ctx.hub();
      const Child = defineOrchestrator('GroupedChild', function* (c: OrchestrationContext) {
        return yield c.waitForExternalEvent('Done');
      }, { concurrency: { group: 'kids', limit: 1 } });
      const Parent = defineOrchestrator('Parent', function* (c: OrchestrationContext) {
        return yield c.callSubOrchestrator(Child, undefined, `${c.instanceId}-child`);
      });
      const runtime = await startRuntime({ cacheSize, taskHub: hub, orchestrators: [Child, Parent] });
      await runtime.client.startNew(Child, { instanceId: 'holder' });
      await eventually(async () => (await runtime.client.getStatus('holder'))?.runtimeStatus === 'Running', { what: 'the holder to run' });
      const id = await runtime.client.startNew(Parent, { instanceId: 'parent' });
      await eventually(async () => (await runtime.client.getSteps(id))?.length === 1, { what: 'the child to be requested' });
      // On a partitioned store the child is created when the parent's outbox is forwarded, just after its commit.
      await eventually(async () => (await runtime.client.getStatus('parent-child'))?.runtimeStatus === 'Pending', { what: 'the child to exist, Pending' });
      const [requested] = (await runtime.client.getSteps(id))!;
      expect(requested).toMatchObject({ kind: 'subOrchestration', name: 'GroupedChild', status: 'Requested', instanceId: 'parent-child' });
      expect(requested!.startedAt).toBeUndefined();

      await runtime.client.raiseEvent('holder', 'Done', 'held');
      await eventually(async () => (await runtime.client.getStatus('parent-child'))?.runtimeStatus === 'Running', { what: 'the child to start' });
      expect((await runtime.client.getSteps(id))![0]).toMatchObject({ status: 'Executing', startedAt: expect.any(Date) });

      await runtime.client.raiseEvent('parent-child', 'Done', 'child done');
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('child done');
      expect((await runtime.client.getSteps(id))![0]).toMatchObject({ status: 'Succeeded', output: 'child done' });
    });

    it('a history written before event waits were numbered replays with its old numbering and completes', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      // Recorded by the old engine: the wait for 'Go' took no sequence number, so the activity after it is #0.
      const record = await startInstance(s, hub, 'old', { name: 'OldWaits' });
      const first = await lockOne(s, hub, 'old');
      await s.commitOrchestration(hub, commitFor(first, { append: first.messages.map((m) => m.event) }));
      const go = serialize(5, 'event data');
      await s.sendMessages(hub, [message('old', ev.raised('Go', go))]);
      const second = await lockOne(s, hub, 'old');
      await s.commitOrchestration(
        hub,
        commitFor(second, { append: [second.messages[0]!.event, ev.scheduled(0, 'Double', go)], activities: [activity('old', record.executionId, 0, 'Double', go)] }),
      );

      const runtime = await startRuntime({
        cacheSize,
        taskHub: hub,
        activities: { Double: async (n: number) => n * 2 },
        orchestrators: {
          OldWaits: function* (c: OrchestrationContext) {
            const go: number = yield c.waitForExternalEvent('Go');
            const doubled: number = yield c.callActivity('Double', go);
            const again: unknown = yield c.waitForExternalEvent('Again');
            return [doubled, again];
          },
        },
      });
      await eventually(async () => (await runtime.client.getSteps('old'))?.[0]?.status === 'Succeeded', { what: 'the recorded activity to complete' });
      await runtime.client.raiseEvent('old', 'Again', 'a');
      const status = await runtime.client.waitForCompletion('old', { timeoutMs: 10_000 });
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual([10, 'a']);
      // The execution keeps the numbering it began with: no wait of it becomes a step.
      expect(pick(await runtime.client.getSteps('old'))).toEqual([{ sequence: 0, kind: 'activity', name: 'Double', status: 'Succeeded', previous: [] }]);
      const types = (await runtime.client.getStatus('old', { showHistory: true }))!.history!.map((e) => e.EventType);
      expect(types).not.toContain('EventWaitStarted');
    });
  });
}
