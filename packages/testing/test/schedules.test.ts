/**
 * Schedules on the virtual clock: calendars over days and months run in
 * milliseconds, so daylight-saving days, catch-up after an outage and a
 * month of daily runs are tested exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OrchestrationContext } from '@reprise/core';
import { createTestRuntime } from '../src/index.js';
import type { TestRuntime, TestRuntimeOptions } from '../src/index.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const started: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((rt) => rt.stop()));
});

const registry = {
  orchestrators: {
    Report: function* (ctx: OrchestrationContext) {
      return ctx.currentUtcDateTime.toISOString();
    },
    // A run that outlasts its interval: 90 minutes on a durable timer.
    Slow: function* (ctx: OrchestrationContext): Generator<unknown, string, unknown> {
      yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 90 * 60_000));
      return ctx.currentUtcDateTime.toISOString();
    },
  },
};

async function runtime(options: TestRuntimeOptions): Promise<TestRuntime> {
  const rt = await createTestRuntime(registry, options);
  started.push(rt);
  return rt;
}

/** Due times of the schedule's runs, in order (read from the run ids). */
async function dueTimes(rt: TestRuntime, scheduleId: string): Promise<string[]> {
  const runs = await rt.client.getStatusBy({ scheduleId });
  return runs.map((r) => r.instanceId.slice(scheduleId.length + 1)).sort();
}

async function untilEnded(rt: TestRuntime, scheduleId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await rt.client.schedules.get(scheduleId))?.ended) {
    if (Date.now() > deadline) throw new Error(`schedule '${scheduleId}' did not end`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function untilRuns(rt: TestRuntime, scheduleId: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const dues = await dueTimes(rt, scheduleId);
    if (dues.length >= count) return dues;
    if (Date.now() > deadline) throw new Error(`schedule '${scheduleId}' has ${dues.length} runs, not ${count}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('schedules on the virtual clock', () => {
  it('runs a daily schedule for 30 virtual days without waiting in real time, one run per day at midnight, with bounded history', async () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    const rt = await runtime({ startTime: start });
    const began = performance.now();
    const created = await rt.client.schedules.create({ scheduleId: 'daily', orchestrator: 'Report', cron: '0 0 * * *', endAt: new Date(start + 30 * DAY) });
    expect(created.nextRunAt).toEqual(new Date(start + DAY));
    await untilEnded(rt, 'daily');
    expect(performance.now() - began).toBeLessThan(15_000); // loose for a loaded machine: real time would be 30 days
    expect(await dueTimes(rt, 'daily')).toEqual(Array.from({ length: 30 }, (_, i) => new Date(start + (i + 1) * DAY).toISOString()));
    for (const run of await rt.client.getStatusBy({ scheduleId: 'daily' })) {
      expect(run.output).toBe(run.instanceId.slice('daily@'.length)); // ran at its due time, not before
    }
    const system = await rt.client.getStatus('~~schedule:daily', { showHistory: true });
    expect(system!.history!.length).toBeLessThan(60);
  });

  it('follows croner across the spring-forward day in Europe/Berlin (02:30 does not exist: runs at 03:00 CEST)', async () => {
    const rt = await runtime({ startTime: new Date('2024-03-29T12:00:00Z') });
    const created = await rt.client.schedules.create({ scheduleId: 'spring', orchestrator: 'Report', cron: '30 2 * * *', timezone: 'Europe/Berlin', endAt: new Date('2024-04-01T12:00:00Z') });
    expect(created.nextRunAt).toEqual(new Date('2024-03-30T01:30:00Z'));
    await untilEnded(rt, 'spring');
    expect(await dueTimes(rt, 'spring')).toEqual(['2024-03-30T01:30:00.000Z', '2024-03-31T01:00:00.000Z', '2024-04-01T00:30:00.000Z']);
  });

  it('follows croner across the fall-back day in Europe/Berlin (02:30 occurs twice: runs once)', async () => {
    const rt = await runtime({ startTime: new Date('2024-10-25T12:00:00Z') });
    await rt.client.schedules.create({ scheduleId: 'fall', orchestrator: 'Report', cron: '30 2 * * *', timezone: 'Europe/Berlin', endAt: new Date('2024-10-28T12:00:00Z') });
    await untilEnded(rt, 'fall');
    expect(await dueTimes(rt, 'fall')).toEqual(['2024-10-26T00:30:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z']);
  });

  describe('catch-up after no worker ran for an hour', () => {
    const t0 = Date.parse('2030-06-01T00:00:00Z');
    const iso = (minutes: number) => new Date(t0 + minutes * MINUTE).toISOString();
    // Every 10 minutes from minute 10; the worker stops after the first run and is back at minute 65.
    async function outage(catchUp: 'latest' | 'all' | 'none'): Promise<TestRuntime> {
      const first = await runtime({ startTime: t0, autoSkip: false });
      await first.client.schedules.create({ scheduleId: 'etl', orchestrator: 'Report', every: 10 * MINUTE, startAt: new Date(t0 + 10 * MINUTE), catchUp, overlap: 'allow' });
      // Settled first: a work loop that reads the next due time after the jump would sleep past it.
      await first.waitForIdle();
      await first.clock.advanceTo(t0 + 10 * MINUTE);
      await untilRuns(first, 'etl', 1);
      await first.waitForIdle();
      await first.stop();
      await first.clock.advanceTo(t0 + 65 * MINUTE);
      const second = await runtime({ storage: first.storage, clock: first.clock, autoSkip: false });
      await second.waitForIdle();
      return second;
    }

    it("'latest' starts only the most recent missed run, then runs on time", async () => {
      const rt = await outage('latest');
      expect(await dueTimes(rt, 'etl')).toEqual([iso(10), iso(60)]);
      const d = (await rt.client.schedules.get('etl'))!;
      expect(d.skippedRuns.map((s) => [s.scheduledAt.toISOString(), s.reason])).toEqual([50, 40, 30, 20].map((m) => [iso(m), 'catchUp']));
      expect(d.nextRunAt).toEqual(new Date(t0 + 70 * MINUTE));
      await rt.waitForIdle();
      await rt.clock.advanceTo(t0 + 70 * MINUTE);
      expect(await untilRuns(rt, 'etl', 3)).toEqual([iso(10), iso(60), iso(70)]);
    });

    it("'all' starts every missed run", async () => {
      const rt = await outage('all');
      expect(await untilRuns(rt, 'etl', 6)).toEqual([10, 20, 30, 40, 50, 60].map(iso));
    });

    it("'none' starts none of them and runs on time from the next", async () => {
      const rt = await outage('none');
      expect(await dueTimes(rt, 'etl')).toEqual([iso(10)]);
      await rt.waitForIdle();
      await rt.clock.advanceTo(t0 + 70 * MINUTE);
      expect(await untilRuns(rt, 'etl', 2)).toEqual([iso(10), iso(70)]);
    });
  });

  it("'bufferOne' starts the waiting run within a minute of the previous run's end, and time still skips", async () => {
    const t0 = Date.parse('2030-06-01T00:00:00Z');
    const HOUR = 60 * MINUTE;
    const rt = await runtime({ startTime: t0 });
    await rt.client.schedules.create({ scheduleId: 'b', orchestrator: 'Slow', every: HOUR, startAt: new Date(t0 + HOUR), endAt: new Date(t0 + 2 * HOUR), overlap: 'bufferOne' });
    await untilEnded(rt, 'b');
    const runs = (await rt.client.getStatusBy({ scheduleId: 'b' })).sort((x, y) => x.instanceId.localeCompare(y.instanceId));
    expect(runs.map((r) => r.instanceId)).toEqual([`b@${new Date(t0 + HOUR).toISOString()}`, `b@${new Date(t0 + 2 * HOUR).toISOString()}`]);
    const firstEnds = t0 + HOUR + 90 * MINUTE;
    const secondStart = runs[1]!.createdTime.getTime();
    expect(secondStart).toBeGreaterThanOrEqual(firstEnds);
    expect(secondStart).toBeLessThanOrEqual(firstEnds + MINUTE);
  });

  it('resume applies catchUp to the paused stretch', async () => {
    const t0 = Date.parse('2030-06-01T00:00:00Z');
    const rt = await runtime({ startTime: t0, autoSkip: false });
    await rt.client.schedules.create({ scheduleId: 'p', orchestrator: 'Report', every: 10 * MINUTE });
    await rt.client.schedules.pause('p');
    await rt.waitForIdle();
    await rt.clock.advanceTo(t0 + 45 * MINUTE);
    await rt.waitForIdle();
    expect(await dueTimes(rt, 'p')).toEqual([]);
    const resumed = await rt.client.schedules.resume('p');
    await rt.waitForIdle();
    // 'latest' (the default): of the due times at minutes 10..40, only 40 runs.
    expect(await dueTimes(rt, 'p')).toEqual([new Date(t0 + 40 * MINUTE).toISOString()]);
    expect(resumed.paused).toBe(false);
    expect((await rt.client.schedules.get('p'))!.nextRunAt).toEqual(new Date(t0 + 50 * MINUTE));
  });
});
