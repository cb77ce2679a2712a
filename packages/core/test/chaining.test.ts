import { describe, expect, it } from 'vitest';
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { cacheModes, startRuntime } from './helpers.js';

describe.each(cacheModes)('function chaining and fan-out ($label)', ({ cacheSize }) => {
  it('chains activities, passing each result to the next', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: { Inc: (x: number) => x + 1 },
      orchestrators: {
        Chain: function* (ctx: OrchestrationContext<number>) {
          let x = ctx.getInput();
          for (let i = 0; i < 10; i++) x = yield ctx.callActivity('Inc', x);
          return x;
        },
      },
    });
    const id = await runtime.client.startNew('Chain', { input: 5 });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(15);
    expect(status.input).toBe(5);
  });

  it('fans out to thousands of activities and fans in', async () => {
    let running = 0;
    let peak = 0;
    const runtime = await startRuntime({
      cacheSize,
      activities: {
        Square: async (x: number) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          return x * x;
        },
      },
      orchestrators: {
        FanOut: function* (ctx: OrchestrationContext<number>) {
          const tasks = Array.from({ length: ctx.getInput() }, (_, i) => ctx.callActivity('Square', i));
          const results: number[] = yield ctx.Task.all(tasks);
          return results.reduce((a, b) => a + b, 0);
        },
      },
    });
    const n = cacheSize > 0 ? 2000 : 500; // without the cache every step replays: quadratic by design
    const id = await runtime.client.startNew('FanOut', { input: n });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
    expect(status.output).toBe(((n - 1) * n * (2 * n - 1)) / 6);
    expect(peak).toBeGreaterThan(1); // ran concurrently
  });

  it('types yield* results from typed handles end to end', async () => {
    const add = defineActivity('Add', async (input: { a: number; b: number }) => input.a + input.b);
    const shout = defineActivity('Shout', (s: string) => s.toUpperCase());
    const typed = defineOrchestrator('Typed', function* (ctx: OrchestrationContext<{ a: number; b: number }>) {
      const sum: number = yield* ctx.callActivity(add, ctx.getInput());
      const text: string = yield* ctx.callActivity(shout, `sum is ${sum}`);
      const [x, y] = yield* ctx.all([ctx.callActivity(add, { a: 1, b: 1 }), ctx.callActivity(shout, 'ok')] as const);
      return { sum, text, x, y };
    });
    const runtime = await startRuntime({ cacheSize, activities: [add, shout], orchestrators: [typed] });
    const id = await runtime.client.startNew(typed, { input: { a: 2, b: 3 } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual({ sum: 5, text: 'SUM IS 5', x: 2, y: 'OK' });
  });

  it('records history with Durable Task field names, first ExecutionStarted, last ExecutionCompleted', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: { Hello: (name: string) => `Hello ${name}` },
      orchestrators: {
        Hello: function* (ctx) {
          return yield ctx.callActivity('Hello', 'Tokyo');
        },
      },
    });
    const id = await runtime.client.startNew('Hello', { input: 'x' });
    await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const withOutput = await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    const history = withOutput!.history!;
    expect(history.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);
    expect(history[2]).toMatchObject({ FunctionName: 'Hello', Result: 'Hello Tokyo', TaskScheduledId: 0 });
    expect(typeof history[2]!.ScheduledTime).toBe('string');
    expect(history[3]).toMatchObject({ OrchestrationStatus: 'Completed', Result: 'Hello Tokyo' });
    for (const event of history) expect(Number.isNaN(Date.parse(event.Timestamp))).toBe(false);
    const withoutOutput = await runtime.client.getStatus(id, { showHistory: true });
    expect(withoutOutput!.history![2]).not.toHaveProperty('Result');
    const noInput = await runtime.client.getStatus(id, { showInput: false });
    expect(noInput!.input).toBeUndefined();
    expect(noInput!.history).toBeUndefined();
    expect(noInput!.createdTime).toBeInstanceOf(Date);
  });

  it('runs an orchestrator registered as a plain non-generator function', async () => {
    const runtime = await startRuntime({ cacheSize, orchestrators: { Plain: ((ctx: OrchestrationContext<number>) => ctx.getInput() * 2) as never } });
    const id = await runtime.client.startNew('Plain', { input: 21 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(42);
  });
});
