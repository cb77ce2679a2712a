/**
 * Flow control through real runtimes on the store under test: namespaces on
 * the client, concurrency groups (the limit holds across runtimes, FIFO
 * order, queue positions, refusals), cooperative cancellation (pending
 * tasks reject, compensation runs, activities see their signal, queued
 * instances end at once, children are asked too).
 */
import { describe, expect, it } from 'vitest';
import { defineOrchestrator, isRepriseError } from '@reprise/core';
import type { ActivityContext, OrchestrationContext, Runtime } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { eventually, runtimeStarter, sleep } from './runtime-helpers.js';

/** The error a promise rejects with (fails when it resolves). */
async function errorOf(promise: Promise<unknown>): Promise<{ name?: string; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name?: string; code?: string };
  }
  throw new Error('expected a rejection');
}

const status = async (runtime: Runtime, id: string) => (await runtime.client.getStatus(id))!;

export function describeRuntimeFlowControl(ctx: ConformanceContext): void {
  describe('flow control through a runtime', () => {
    const startRuntime = runtimeStarter(ctx);

    it('namespaces: set at start, shown in status, inherited by sub-orchestrations, filtered exactly', async () => {
      const runtime = await startRuntime({
        orchestrators: {
          Parent: function* (c: OrchestrationContext) {
            return yield c.callSubOrchestrator('Child', undefined, `${c.instanceId}-child`);
          },
          Child: function* () {
            return 'child done';
          },
        },
      });
      const { client } = runtime;
      await client.startNew('Parent', { instanceId: 'p1', namespace: 'team-a' });
      await client.startNew('Parent', { instanceId: 'p2', namespace: 'team-b' });
      await client.startNew('Child', { instanceId: 'plain' });
      for (const id of ['p1', 'p2', 'plain']) await client.waitForCompletion(id, { timeoutMs: 10_000 });
      await eventually(async () => (await status(runtime, 'p2-child')).runtimeStatus === 'Completed');

      expect((await status(runtime, 'p1')).namespace).toBe('team-a');
      expect((await status(runtime, 'p1-child')).namespace).toBe('team-a');
      expect((await status(runtime, 'plain')).namespace).toBe('');
      const ids = async (namespace?: string) => (await client.listInstances(namespace === undefined ? {} : { namespace })).instances.map((s) => s.instanceId).sort();
      expect(await ids('team-a')).toEqual(['p1', 'p1-child']);
      expect(await ids('')).toEqual(['plain']);
      expect(await ids()).toEqual(['p1', 'p1-child', 'p2', 'p2-child', 'plain']);
      expect(await client.countInstances({ namespace: 'team-b' })).toBe(2);
      expect(await client.countInstances({ namespace: 'team-b', runtimeStatus: ['Running'] })).toBe(0);
      expect(await client.countInstances({})).toBe(5);
      expect(await client.purgeInstanceHistoryBy({ namespace: 'team-a', createdTimeFrom: new Date(0) })).toEqual({ instancesDeleted: 2 });
      expect(await ids()).toEqual(['p2', 'p2-child', 'plain']);
    });

    it('groups: two runtimes never run more than the limit at once, and queued instances start in FIFO order', async () => {
      const hub = ctx.hub();
      let running = 0;
      let maxRunning = 0;
      const entered: string[] = [];
      const Limited = defineOrchestrator(
        'Limited',
        function* (c: OrchestrationContext<number>) {
          yield c.callActivity('Enter', c.instanceId);
          yield c.callActivity('Leave');
          return c.getInput();
        },
        { concurrency: { group: 'g', limit: 2 } },
      );
      const options = {
        taskHub: hub,
        orchestrators: [Limited],
        activities: {
          Enter: async (id: string) => {
            running += 1;
            maxRunning = Math.max(maxRunning, running);
            entered.push(id);
            await sleep(15);
          },
          Leave: async () => {
            running -= 1;
          },
        },
      };
      const a = await startRuntime(options);
      const b = await startRuntime(options);
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(await (i % 2 ? a : b).client.startNew(Limited, { instanceId: `l${String(i).padStart(2, '0')}`, input: i }));
      for (const id of ids) expect((await a.client.waitForCompletion(id, { timeoutMs: 30_000 })).runtimeStatus).toBe('Completed');
      expect(maxRunning).toBeLessThanOrEqual(2);
      expect(maxRunning).toBe(2);
      // The first two were admitted at once (either may enter first); the rest were promoted in start order.
      expect(entered.slice(2)).toEqual(ids.slice(2));
    });

    it('groups: status shows the queue position; reject and maxQueued refuse with typed errors and store nothing', async () => {
      const runtime = await startRuntime({
        orchestrators: {
          Wait: function* (c: OrchestrationContext) {
            return yield c.waitForExternalEvent('go');
          },
        },
      });
      const { client } = runtime;
      const group = { group: 'one', limit: 1, maxQueued: 2 };
      await client.startNew('Wait', { instanceId: 'first', concurrency: group });
      await client.startNew('Wait', { instanceId: 'second', concurrency: group });
      await client.startNew('Wait', { instanceId: 'third', concurrency: group });
      expect(await status(runtime, 'second')).toMatchObject({ runtimeStatus: 'Pending', queue: { group: 'one', position: 1 } });
      expect((await status(runtime, 'third')).queue).toEqual({ group: 'one', position: 2 });
      expect((await status(runtime, 'first')).queue).toBeUndefined();
      // The admitted one leaves Pending once a worker runs it (how soon depends on the store): the list shows the queued ones.
      await eventually(async () => (await status(runtime, 'first')).runtimeStatus === 'Running', { what: 'the admitted instance to run' });
      const listed = (await client.listInstances({ runtimeStatus: ['Pending'] })).instances.map((s) => [s.instanceId, s.queue?.position]);
      expect(listed.sort()).toEqual([
        ['second', 1],
        ['third', 2],
      ]);

      const full = await errorOf(client.startNew('Wait', { instanceId: 'fourth', concurrency: group }));
      expect(full).toMatchObject({ name: 'QueueFullError', code: 'QUEUE_FULL' });
      const rejected = await errorOf(client.startNew('Wait', { instanceId: 'fifth', concurrency: { group: 'one', limit: 1, onFull: 'reject' } }));
      expect(rejected).toMatchObject({ name: 'ConcurrencyLimitError', code: 'CONCURRENCY_LIMIT' });
      expect(await client.getStatus('fourth')).toBeUndefined();
      expect(await client.getStatus('fifth')).toBeUndefined();

      await eventually(async () => (await status(runtime, 'first')).runtimeStatus === 'Running');
      await client.raiseEvent('first', 'go', 1);
      await client.waitForCompletion('first', { timeoutMs: 10_000 });
      await eventually(async () => (await status(runtime, 'second')).runtimeStatus === 'Running');
      expect((await status(runtime, 'third')).queue).toEqual({ group: 'one', position: 1 });
      // Terminate keeps its meaning and frees the slot too.
      await client.terminate('second', 'stop');
      await client.waitForCompletion('second', { timeoutMs: 10_000 });
      await eventually(async () => (await status(runtime, 'third')).runtimeStatus === 'Running');
      await client.terminate('third');
    });

    it('groups: racing starts from two runtimes never both take the last slot', async () => {
      const hub = ctx.hub();
      const options = { taskHub: hub, orchestrators: { Idle: function* (c: OrchestrationContext) { yield c.waitForExternalEvent('never'); } } };
      const a = await startRuntime(options);
      const b = await startRuntime(options);
      const starts = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).client.startNew('Idle', { instanceId: `r${i}`, concurrency: { group: 'last', limit: 3, onFull: 'reject' } }));
      const results = await Promise.allSettled(starts);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results) if (r.status === 'rejected') expect(isRepriseError(r.reason, 'CONCURRENCY_LIMIT')).toBe(true);
      expect(await a.client.countInstances({})).toBe(3);
    });

    it('cancellation: pending tasks reject, the running activity sees its signal, compensation runs, and the orchestrator may complete', async () => {
      let aborted = false;
      const compensated: string[] = [];
      const runtime = await startRuntime({
        leaseMs: 400,
        activities: {
          Long: async (_: unknown, a: ActivityContext) => {
            while (!a.signal.aborted) await sleep(10);
            aborted = true;
            throw new Error('aborted');
          },
          Undo: async (what: string) => {
            compensated.push(what);
            return `undone ${what}`;
          },
        },
        orchestrators: {
          Saga: function* (c: OrchestrationContext) {
            try {
              yield c.callActivity('Long');
              return 'finished';
            } catch (error) {
              if (!c.isCancellationRequested || (error as Error).name !== 'CancellationRequestedError') throw error;
              const undone = yield c.callActivity('Undo', 'booking');
              yield c.createTimer(new Date(c.currentUtcDateTime.getTime() + 10));
              return undone;
            }
          },
        },
      });
      const { client } = runtime;
      const id = await client.startNew('Saga');
      await eventually(async () => (await status(runtime, id)).runtimeStatus === 'Running');
      await sleep(50);
      await client.requestCancel(id, 'user asked');
      await client.requestCancel(id, 'again'); // idempotent
      const done = await client.waitForCompletion(id, { timeoutMs: 15_000 });
      expect(done.runtimeStatus).toBe('Completed');
      expect(done.output).toBe('undone booking');
      expect(compensated).toEqual(['booking']);
      await eventually(async () => aborted, { timeoutMs: 5_000 });
      const history = (await client.getStatus(id, { showHistory: true }))!.history!;
      const requests = history.filter((e) => e.EventType === 'ExecutionCancelRequested');
      expect(requests).toHaveLength(1);
      expect(requests[0]!.Reason).toBe('user asked');
      expect(await errorOf(client.requestCancel(id))).toMatchObject({ code: 'INSTANCE_COMPLETED' });
      expect(await errorOf(client.requestCancel('nobody'))).toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    });

    it('cancellation: uncaught, it ends the instance Canceled with the reason, and its waited-on children are canceled too', async () => {
      const runtime = await startRuntime({
        orchestrators: {
          Parent: function* (c: OrchestrationContext) {
            yield c.all([c.callSubOrchestrator('Child', undefined, `${c.instanceId}-child`), c.waitForExternalEvent('x')]);
            return 'never';
          },
          Child: function* (c: OrchestrationContext) {
            yield c.createTimer(new Date(c.currentUtcDateTime.getTime() + 3_600_000));
            return 'never';
          },
        },
      });
      const { client } = runtime;
      await client.startNew('Parent', { instanceId: 'cp' });
      await eventually(async () => (await client.getStatus('cp-child'))?.runtimeStatus === 'Running');
      await client.requestCancel('cp', { why: 'shutdown' });
      const parent = await client.waitForCompletion('cp', { timeoutMs: 10_000 });
      expect(parent.runtimeStatus).toBe('Canceled');
      expect(parent.output).toEqual({ why: 'shutdown' });
      const child = await client.waitForCompletion('cp-child', { timeoutMs: 10_000 });
      expect(child.runtimeStatus).toBe('Canceled');
      expect(child.output).toEqual({ why: 'shutdown' });
    });

    it('cancellation: a queued instance is Canceled at once and leaves the queue', async () => {
      const runtime = await startRuntime({
        orchestrators: {
          Wait: function* (c: OrchestrationContext) {
            return yield c.waitForExternalEvent('go');
          },
        },
      });
      const { client } = runtime;
      const group = { group: 'q', limit: 1 };
      await client.startNew('Wait', { instanceId: 'holder', concurrency: group });
      await client.startNew('Wait', { instanceId: 'q1', concurrency: group });
      await client.startNew('Wait', { instanceId: 'q2', concurrency: group });
      await client.requestCancel('q1', 'not needed');
      expect(await status(runtime, 'q1')).toMatchObject({ runtimeStatus: 'Canceled', output: 'not needed' });
      expect((await status(runtime, 'q1')).queue).toBeUndefined();
      expect((await status(runtime, 'q2')).queue).toEqual({ group: 'q', position: 1 });
      expect(await errorOf(client.requestCancel('q1'))).toMatchObject({ code: 'INSTANCE_COMPLETED' });
      await eventually(async () => (await status(runtime, 'holder')).runtimeStatus === 'Running');
      await client.raiseEvent('holder', 'go');
      await client.waitForCompletion('holder', { timeoutMs: 10_000 });
      await eventually(async () => (await status(runtime, 'q2')).runtimeStatus === 'Running');
      await client.terminate('q2');
    });
  });
}
