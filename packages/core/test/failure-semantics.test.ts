import { describe, expect, it } from 'vitest';
import { createRuntime, HistoryTooLongError, PayloadTooLargeError } from '@reprise/core';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, sleep, startRuntime } from './helpers.js';

describe('failure semantics', () => {
  it('stop() hands running work back so another runtime resumes it at once, not after the lease', async () => {
    const storage = memoryStorage();
    const runsBy: string[] = [];
    const make = (name: string) => ({
      storage,
      leaseMs: 60_000,
      activities: {
        Work: (_: unknown, actx: { signal: AbortSignal }) =>
          new Promise<string>((resolve, reject) => {
            runsBy.push(name);
            if (name === 'b') return resolve(`done by ${name}`);
            actx.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
      orchestrators: {
        Job: function* (ctx: OrchestrationContext) {
          return yield ctx.callActivity('Work');
        },
      } satisfies Record<string, OrchestratorFunction>,
    });
    const a = await startRuntime(make('a'));
    const id = await a.client.startNew('Job');
    await eventually(async () => runsBy.length === 1);
    await a.stop();
    const b = await startRuntime(make('b'));
    const status = await b.client.waitForCompletion(id, { timeoutMs: 3000 });
    expect(status.output).toBe('done by b');
    expect(runsBy).toEqual(['a', 'b']);
  });

  it('fails poison activity work with a catchable MaxDeliveriesExceededError after maxDeliveries', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({
      storage,
      maxDeliveries: 2,
      leaseMs: 30,
      logger: () => {},
      // Runs until the runtime stops; a stopped activity is handed back, not completed.
      activities: {
        Crashy: (_: unknown, actx: { signal: AbortSignal }) =>
          new Promise((_resolve, reject) => actx.signal.addEventListener('abort', () => reject(new Error('stopped')))),
      },
      orchestrators: {
        Poison: function* (ctx) {
          try {
            yield ctx.callActivity('Crashy');
          } catch (error) {
            return (error as Error).name;
          }
        },
      },
    });
    // Schedule the activity, then play a worker that keeps dying: it locks the item and never completes it.
    await runtime.start();
    const id = await runtime.client.startNew('Poison');
    await eventually(async () => (await storage.getInstance('default', id))?.historyLength === 2);
    await runtime.stop();
    for (let i = 0; i < 3; i++) {
      await eventually(async () => (await storage.lockActivities('default', { max: 1, leaseMs: 30 })).items.length === 1);
    }
    await runtime.start();
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    await runtime.stop();
    expect(status.output).toBe('MaxDeliveriesExceededError');
  });

  it('fails an instance whose episodes keep dying after maxDeliveries', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, maxDeliveries: 2, logger: () => {}, orchestrators: { Never: function* () { return 1; } } });
    const id = await runtime.client.startNew('Never');
    for (let i = 0; i < 2; i++) {
      const { items } = await storage.lockInstances('default', { max: 1, leaseMs: 1 });
      expect(items).toHaveLength(1);
      await sleep(5);
    }
    await runtime.start();
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    await runtime.stop();
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ name: 'MaxDeliveriesExceededError' });
  });

  it('rejects payloads over maxPayloadBytes with a typed error before storing', async () => {
    const runtime = await startRuntime({
      maxPayloadBytes: 1000,
      activities: { Big: () => 'x'.repeat(2000) },
      orchestrators: {
        Echo: function* (ctx) {
          return ctx.getInput();
        },
        BigResult: function* (ctx) {
          try {
            yield ctx.callActivity('Big');
          } catch (error) {
            return (error as Error).name;
          }
        },
        BigOutput: function* () {
          return 'y'.repeat(2000);
        },
      },
    });
    await expect(runtime.client.startNew('Echo', { input: 'z'.repeat(2000), instanceId: 'too-big' })).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await runtime.client.getStatus('too-big')).toBeUndefined();
    await expect(runtime.client.startNew('Echo', { input: 'ok' })).resolves.toBeTypeOf('string');
    const a = await runtime.client.startNew('BigResult');
    expect((await runtime.client.waitForCompletion(a, { timeoutMs: 5000 })).output).toBe('PayloadTooLargeError');
    const b = await runtime.client.startNew('BigOutput');
    expect((await runtime.client.waitForCompletion(b, { timeoutMs: 5000 })).output).toMatchObject({ name: 'PayloadTooLargeError' });
  });

  it('fails an instance that would exceed maxHistoryEvents, storing nothing beyond the limit', async () => {
    const runtime = await startRuntime({
      maxHistoryEvents: 50,
      activities: { Inc: (x: number) => x + 1 },
      orchestrators: {
        Endless: function* (ctx) {
          let x = 0;
          for (;;) x = yield ctx.callActivity('Inc', x);
        },
      },
    });
    const id = await runtime.client.startNew('Endless');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toMatchObject({ name: HistoryTooLongError.name });
    const history = (await runtime.client.getStatus(id, { showHistory: true }))!.history!;
    expect(history.length).toBeLessThanOrEqual(50);
  });
});
