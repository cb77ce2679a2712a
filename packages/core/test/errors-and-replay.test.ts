import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { cacheModes, eventually, sleep, startRuntime } from './helpers.js';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe.each(cacheModes)('errors ($label)', ({ cacheSize }) => {
  it('activity errors reach the orchestrator with name, message and stack', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: {
        Charge: () => {
          throw new PaymentDeclined('card expired');
        },
      },
      orchestrators: {
        Order: function* (ctx) {
          try {
            yield ctx.callActivity('Charge');
            return 'charged';
          } catch (error) {
            const e = error as Error;
            return { name: e.name, message: e.message, hasStack: (e.stack ?? '').includes('card expired') && (e.stack ?? '').includes('errors-and-replay'), isError: e instanceof Error };
          }
        },
      },
    });
    const id = await runtime.client.startNew('Order');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual({ name: 'PaymentDeclined', message: 'card expired', hasStack: true, isError: true });
  });

  it('an uncaught activity error fails the instance with its details as output', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: {
        Charge: () => {
          throw new PaymentDeclined('insufficient funds');
        },
      },
      orchestrators: {
        Order: function* (ctx) {
          yield ctx.callActivity('Charge');
        },
      },
    });
    const id = await runtime.client.startNew('Order');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ name: 'PaymentDeclined', message: 'insufficient funds' });
    expect((status.output as { stack: string }).stack).toContain('PaymentDeclined');
    const history = (await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true }))!.history!;
    expect(history.at(-1)).toMatchObject({ EventType: 'ExecutionFailed', OrchestrationStatus: 'Failed', Reason: 'insufficient funds' });
    expect(history.find((e) => e.EventType === 'TaskFailed')).toMatchObject({ FunctionName: 'Charge', Reason: 'insufficient funds' });
  });

  it('an unknown activity name is a catchable error in the orchestrator', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Typo: function* (ctx) {
          try {
            yield ctx.callActivity('DoesNotExist');
          } catch (error) {
            return (error as Error).name;
          }
        },
      },
    });
    const id = await runtime.client.startNew('Typo');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe('UnknownActivityError');
  });

  it('an orchestrator that yields a non-task or returns a promise fails clearly', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        YieldsPromise: function* () {
          yield Promise.resolve(1);
        },
        Async: (async () => 1) as never,
      },
    });
    const a = await runtime.client.startNew('YieldsPromise');
    const b = await runtime.client.startNew('Async');
    expect((await runtime.client.waitForCompletion(a, { timeoutMs: 5000 })).output).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('Promise') });
    expect((await runtime.client.waitForCompletion(b, { timeoutMs: 5000 })).output).toMatchObject({ message: expect.stringContaining('generator') });
  });
});

describe('replay', () => {
  it('restarting with changed orchestrator code fails the instance with a NonDeterminismError naming expected and actual', async () => {
    const storage = memoryStorage();
    const activities = { Reserve: () => 'reserved', Charge: () => 'charged', Refund: () => 'refunded' };
    const v1 = createRuntime({
      storage,
      activities,
      logger: () => {},
      orchestrators: {
        Checkout: function* (ctx) {
          yield ctx.callActivity('Reserve');
          yield ctx.waitForExternalEvent('Confirm');
          yield ctx.callActivity('Charge');
          return 'done';
        },
      },
    });
    await v1.start();
    const id = await v1.client.startNew('Checkout');
    await eventually(async () => ((await v1.client.getStatus(id, { showHistory: true }))?.history ?? []).some((e) => e.EventType === 'TaskCompleted'));
    await v1.stop();

    // A deploy changed the first step: the recorded Reserve no longer matches.
    const v2 = createRuntime({
      storage,
      activities,
      logger: () => {},
      orchestrators: {
        Checkout: function* (ctx) {
          yield ctx.callActivity('Charge');
          yield ctx.waitForExternalEvent('Confirm');
          return 'done';
        },
      },
    });
    await v2.start();
    await v2.client.raiseEvent(id, 'Confirm');
    const status = await v2.client.waitForCompletion(id, { timeoutMs: 5000 });
    await v2.stop();
    expect(status.runtimeStatus).toBe('Failed');
    const output = status.output as { name: string; message: string };
    expect(output.name).toBe('NonDeterminismError');
    expect(output.message).toContain("callActivity('Reserve') #0");
    expect(output.message).toContain("callActivity('Charge') #0");
  });

  it('a cache miss replays from storage with identical results; steady state never reads history', async () => {
    const base = memoryStorage();
    let historyReads = 0;
    const storage: Storage = { ...base, getHistory: (hub, id) => (historyReads++, base.getHistory(hub, id)) };
    const orchestrators = {
      Loop: function* (ctx: OrchestrationContext<number>) {
        let sum = 0;
        for (let i = 0; i < ctx.getInput(); i++) sum += (yield ctx.callActivity('Inc', i)) as number;
        return sum;
      },
    };
    const runtime = await startRuntime({ storage, activities: { Inc: (x: number) => x + 1 }, orchestrators });
    const id = await runtime.client.startNew('Loop', { input: 200 });
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(historyReads).toBe(0);

    // Drop the cache mid-run: the next step replays once, then runs cached again.
    const gate = { open: false };
    const gated = await startRuntime({
      storage,
      taskHub: 'gated',
      activities: { Inc: async (x: number) => (x === 50 ? await eventually(async () => gate.open) && x + 1 : x + 1) },
      orchestrators,
    });
    const second = await gated.client.startNew('Loop', { input: 200 });
    await eventually(async () => ((await gated.client.getStatus(second, { showHistory: true }))?.history?.length ?? 0) > 100);
    gated.clearReplayCache();
    historyReads = 0;
    gate.open = true;
    const status = await gated.client.waitForCompletion(second, { timeoutMs: 10_000 });
    expect(status.output).toBe((200 * 201) / 2);
    expect(historyReads).toBe(1);
  });
});

describe('lost notices', () => {
  it("a 'resync' notice makes waiters re-check, so a completion whose notice was lost is still seen", async () => {
    const base = memoryStorage();
    let deliver: ((notice: import('@reprise/core').StorageNotice) => void) | undefined;
    let dropUpdates = true;
    const storage: Storage = {
      ...base,
      subscribe: (hub, listener) => {
        deliver = listener;
        return base.subscribe(hub, (notice) => {
          if (!(dropUpdates && notice.type === 'instance-updated')) listener(notice);
        });
      },
    };
    const runtime = await startRuntime({
      storage,
      orchestrators: {
        Gate: function* (ctx) {
          return yield ctx.waitForExternalEvent('Go');
        },
      },
    });
    const id = await runtime.client.startNew('Gate');
    let settled = false;
    const waiting = runtime.client.waitForCompletion(id, { timeoutMs: 5000 }).finally(() => (settled = true));
    await runtime.client.raiseEvent(id, 'Go', 'done');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Completed');
    await sleep(50);
    expect(settled).toBe(false); // its notice was lost
    dropUpdates = false;
    deliver!({ type: 'resync' });
    expect((await waiting).output).toBe('done');
  });
});
