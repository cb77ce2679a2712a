import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '@reprise/core';
import type { OrchestrationContext, Task } from '@reprise/core';
import { createTestRuntime } from '../src/index.js';
import type { TestRuntime } from '../src/index.js';
import { activities, deterministic, greet, greeter } from './fixtures.js';

const DAY = 86_400_000;
const started: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((rt) => rt.stop()));
});

async function runtime(...args: Parameters<typeof createTestRuntime>): Promise<TestRuntime> {
  const rt = await createTestRuntime(...args);
  started.push(rt);
  return rt;
}

const orchestrators = {
  ...deterministic,
  ThirtyDays: function* (ctx: OrchestrationContext) {
    const start = ctx.currentUtcDateTime.getTime();
    yield ctx.createTimer(new Date(start + 30 * DAY));
    return { waited: ctx.currentUtcDateTime.getTime() - start, start };
  },
  Reminders: function* (ctx: OrchestrationContext) {
    const sent: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 30 * DAY));
      sent.push(yield ctx.callActivity('Greet', `month ${i + 1}`));
    }
    return sent.length;
  },
  Hour: function* (ctx: OrchestrationContext) {
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3_600_000));
    return ctx.currentUtcDateTime.toISOString();
  },
  Forever: function* (ctx: OrchestrationContext) {
    return (yield ctx.waitForExternalEvent('Never')) as unknown;
  },
  Ticker: function* (ctx: OrchestrationContext<number | undefined>) {
    const n = ctx.getInput() ?? 0;
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + DAY));
    if (n < 20) ctx.continueAsNew(n + 1);
    return n;
  },
  RaceTimer: function* (ctx: OrchestrationContext) {
    const timer = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 7 * DAY));
    const event = ctx.waitForExternalEvent('Go');
    const winner: Task<unknown> = yield ctx.any([event, timer]);
    if (winner === event) timer.cancel();
    return winner === event ? 'event' : 'timer';
  },
};
const registry = { orchestrators, activities };

describe('createTestRuntime: time skipping', () => {
  it('finishes a 30-day timer without waiting in real time, and ctx.currentUtcDateTime follows the virtual clock', async () => {
    const rt = await runtime(registry, { startTime: new Date('2030-01-01T00:00:00Z') });
    const t0 = performance.now();
    const status = await rt.run<unknown, { waited: number; start: number }>('ThirtyDays');
    const elapsed = performance.now() - t0;
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output!.start).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(status.output!.waited).toBe(30 * DAY);
    expect(rt.clock.now()).toBe(Date.parse('2030-01-31T00:00:00Z'));
    // A bound on real time, loose enough for a loaded machine: a real wait would be 30 days.
    expect(elapsed).toBeLessThan(15_000);
  });

  it('skips a year of monthly timers with activities in between', async () => {
    const rt = await runtime(registry);
    const t0 = performance.now();
    const status = await rt.run('Reminders');
    expect(status.output).toBe(12);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(rt.clock.skips).toBeGreaterThanOrEqual(12);
  });

  it('follows continueAsNew across days', async () => {
    const rt = await runtime(registry);
    const start = rt.clock.now();
    const status = await rt.run('Ticker', { input: 0 });
    expect(status.output).toBe(20);
    expect(rt.clock.now() - start).toBe(21 * DAY);
  });

  it('retries with durable backoff timers without waiting for them', async () => {
    let calls = 0;
    const rt = await runtime({
      orchestrators: {
        Retry: function* (ctx: OrchestrationContext) {
          return (yield ctx.callActivityWithRetry('Unstable', { firstRetryIntervalInMilliseconds: 60_000, backoffCoefficient: 10, maxNumberOfAttempts: 4 })) as string;
        },
      },
      activities: {
        Unstable: async () => {
          calls += 1;
          if (calls < 4) throw new Error(`attempt ${calls} failed`);
          return 'finally';
        },
      },
    });
    const start = rt.clock.now();
    const status = await rt.run('Retry');
    expect(status.output).toBe('finally');
    expect(calls).toBe(4);
    expect(rt.clock.now() - start).toBeGreaterThanOrEqual(60_000 + 600_000 + 6_000_000);
  });

  it('lets an event win a race against a week-long timer, or the timer win without it', async () => {
    const rt = await runtime(registry);
    const id = await rt.client.startNew('RaceTimer');
    await rt.client.raiseEvent(id, 'Go');
    expect((await rt.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe('event');
    expect((await rt.run('RaceTimer')).output).toBe('timer');
  });

  it('runs the approval workflow both ways', async () => {
    const rt = await runtime(registry);
    const approved = await rt.client.startNew('Approval');
    await rt.client.raiseEvent(approved, 'Approval', { approved: true, by: 'ann' });
    expect((await rt.client.waitForCompletion(approved, { timeoutMs: 5000 })).output).toBe('approved');
    expect((await rt.run('Approval')).output).toBe('timed out');
  });

  it('keeps going after the replay cache is dropped mid-run', async () => {
    const rt = await runtime(registry);
    const id = await rt.client.startNew('Reminders');
    for (let i = 0; i < 5; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      rt.clearReplayCache();
    }
    expect((await rt.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(12);
  });

  it('runs typed handles and fan-outs', async () => {
    const rt = await runtime({ orchestrators: [greeter, { kind: 'orchestrator', name: 'FanOutFanIn', fn: deterministic.FanOutFanIn }], activities: [greet, ...Object.entries(activities).map(([name, fn]) => ({ kind: 'activity' as const, name, fn }))] });
    const typed = await rt.run(greeter, { input: ['Tokyo', 'Lima'] });
    const output: string[] | undefined = typed.output;
    expect(output).toEqual(['Hello Tokyo!', 'Hello Lima!']);
    expect((await rt.run('FanOutFanIn')).output).toBe('A,B,C,D');
  });
});

describe('createTestRuntime: explicit control', () => {
  it('advances time only when told with autoSkip off', async () => {
    const rt = await runtime(registry, { autoSkip: false, startTime: Date.UTC(2030, 0, 1) });
    const id = await rt.client.startNew('Hour');
    await rt.waitForIdle();
    expect((await rt.client.getStatus(id))!.runtimeStatus).toBe('Running');
    await rt.clock.advance(30 * 60_000);
    await rt.waitForIdle();
    expect((await rt.client.getStatus(id))!.runtimeStatus).toBe('Running');
    await rt.clock.advance(30 * 60_000);
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toBe('2030-01-01T01:00:00.000Z');
  });

  it('can switch skipping back on', async () => {
    const rt = await runtime(registry, { autoSkip: false });
    const id = await rt.client.startNew('ThirtyDays');
    await rt.waitForIdle();
    expect((await rt.client.getStatus(id))!.runtimeStatus).toBe('Running');
    rt.clock.autoSkip = true;
    expect((await rt.client.waitForCompletion(id, { timeoutMs: 5000 })).runtimeStatus).toBe('Completed');
  });

  it("counts waitForCompletion's timeoutMs in real milliseconds", async () => {
    const rt = await runtime(registry);
    const id = await rt.client.startNew('Forever');
    const t0 = performance.now();
    await expect(rt.client.waitForCompletion(id, { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    // A virtual-time timeout would have fired at the first 30-day skip.
    expect((await rt.client.waitForCompletion(await rt.client.startNew('ThirtyDays'), { timeoutMs: 5000 })).runtimeStatus).toBe('Completed');
  });

  it('hands an instance to a second runtime on the same storage and clock', async () => {
    const first = await runtime(registry);
    first.clock.autoSkip = false;
    const id = await first.client.startNew('Reminders');
    await first.waitForIdle();
    await first.stop();
    const second = await runtime(registry, { storage: first.storage, clock: first.clock, autoSkip: true });
    expect((await second.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(12);
  });

  it('collects replay-safe logs and stops idempotently', async () => {
    const rt = await createTestRuntime({
      orchestrators: {
        Logs: function* (ctx: OrchestrationContext) {
          ctx.log.info('starting');
          yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + DAY));
          ctx.log.info('done');
        },
      },
    });
    await rt.run('Logs');
    expect(rt.logs.map((l) => l.message)).toEqual(['starting', 'done']);
    await rt.stop();
    await rt.stop();
    expect(rt.runtime.isRunning).toBe(false);
  });

  it('supports await using', async () => {
    let runtimeRef: TestRuntime | undefined;
    {
      await using rt = await createTestRuntime(registry);
      runtimeRef = rt;
      expect(rt.runtime.isRunning).toBe(true);
    }
    expect(runtimeRef.runtime.isRunning).toBe(false);
  });
});
