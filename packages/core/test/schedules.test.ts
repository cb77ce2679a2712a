/**
 * Schedules on memory storage, in real time: firing, commands, overlap and
 * what a status and a list show. Calendar arithmetic over days (DST,
 * catch-up, 30 virtual days) is in packages/testing/test/schedules.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ScheduleExistsError, ScheduleNotFoundError, UnknownOrchestratorError, isRepriseError } from '@reprise/core';
import type { OrchestrationContext, Runtime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, startRuntime } from './helpers.js';

const orchestrators = {
  Echo: function* (ctx: OrchestrationContext<unknown>) {
    return ctx.getInput();
  },
  // Runs until it gets 'Finish': a run still going when the next one is due.
  Hold: function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
    return yield ctx.waitForExternalEvent('Finish');
  },
};

async function runsOf(runtime: Runtime, scheduleId: string) {
  return (await runtime.client.getStatusBy({ scheduleId })).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

describe('schedules', () => {
  it('a one-shot starts one run at its time, then ends; the run knows its schedule', async () => {
    const runtime = await startRuntime({ orchestrators });
    const at = new Date(Date.now() + 300);
    const created = await runtime.client.schedules.create({ scheduleId: 'once', orchestrator: 'Echo', input: { n: 1 }, at, tags: { team: 'a' } });
    expect(created).toMatchObject({ scheduleId: 'once', orchestrator: 'Echo', input: { n: 1 }, spec: { at, timezone: 'UTC' }, overlap: 'skip', catchUp: 'latest', namespace: '', paused: false, ended: false, lastRuns: [] });
    expect(created.nextRunAt).toEqual(at);

    const runId = `once@${at.toISOString()}`;
    const done = await eventually(() => runtime.client.getStatus(runId));
    const run = await runtime.client.waitForCompletion(done.instanceId, { timeoutMs: 5000 });
    expect(run.createdTime.getTime()).toBeGreaterThanOrEqual(at.getTime()); // never early
    expect(run).toMatchObject({ name: 'Echo', output: { n: 1 }, scheduleId: 'once', tags: { team: 'a' } });

    const after = await eventually(async () => {
      const d = await runtime.client.schedules.get('once');
      return d?.ended && d.lastRuns[0]?.status === 'Completed' && d;
    });
    expect(after.nextRunAt).toBeUndefined();
    expect(after.lastRuns).toEqual([{ instanceId: runId, scheduledAt: at, startedAt: expect.any(Date), status: 'Completed' }]);
    expect((await runsOf(runtime, 'once')).map((s) => s.instanceId)).toEqual([runId]);
  });

  it("a restarted run is the caller's, not the schedule's: no scheduleId, the user's tags kept", async () => {
    const runtime = await startRuntime({ orchestrators });
    const at = new Date(Date.now() + 200);
    await runtime.client.schedules.create({ scheduleId: 'again', orchestrator: 'Echo', input: { n: 2 }, at, tags: { team: 'b' } });
    const runId = `again@${at.toISOString()}`;
    await eventually(() => runtime.client.getStatus(runId));
    expect((await runtime.client.waitForCompletion(runId, { timeoutMs: 5000 })).scheduleId).toBe('again');
    const restarted = await runtime.client.restart(runId);
    const status = await runtime.client.waitForCompletion(restarted, { timeoutMs: 5000 });
    expect(status.scheduleId).toBeUndefined();
    expect(status).toMatchObject({ output: { n: 2 }, tags: { team: 'b' } });
  });

  it('hides the schedule orchestration from listInstances unless includeSystem is set', async () => {
    const runtime = await startRuntime({ orchestrators });
    await runtime.client.schedules.create({ scheduleId: 'hidden', orchestrator: 'Echo', every: 60_000 });
    await runtime.client.startNew('Echo', { instanceId: 'mine' });
    expect((await runtime.client.listInstances()).instances.map((i) => i.instanceId)).toEqual(['mine']);
    expect((await runtime.client.listInstances({ includeSystem: true })).instances.map((i) => i.instanceId).sort()).toEqual(['mine', '~~schedule:hidden']);
    // A look-alike id that no schedule started is not a run of it.
    await runtime.client.startNew('Echo', { instanceId: 'hidden@2020-01-01T00:00:00.000Z' });
    expect(await runsOf(runtime, 'hidden')).toEqual([]);
    expect((await runtime.client.getStatus('hidden@2020-01-01T00:00:00.000Z'))!.scheduleId).toBeUndefined();
  });

  it('an interval does not drift: runs are due at startAt + k * every', async () => {
    const runtime = await startRuntime({ orchestrators });
    const startAt = Date.now() + 200;
    await runtime.client.schedules.create({ scheduleId: 'tick', orchestrator: 'Echo', every: 1000, startAt: new Date(startAt), overlap: 'allow' });
    const runs = await eventually(async () => {
      const r = await runsOf(runtime, 'tick');
      return r.length >= 3 && r;
    });
    const dues = runs.map((r) => Date.parse(r.instanceId.slice('tick@'.length)));
    expect(dues.slice(0, 3)).toEqual([startAt, startAt + 1000, startAt + 2000]);
    for (const r of runs) expect(r.createdTime.getTime()).toBeGreaterThanOrEqual(Date.parse(r.instanceId.slice('tick@'.length)));
    const d = (await runtime.client.schedules.get('tick'))!;
    expect(d.nextRunAt!.getTime() - startAt).toBeGreaterThanOrEqual(3000);
    expect((d.nextRunAt!.getTime() - startAt) % 1000).toBe(0);
    await runtime.client.schedules.delete('tick');
  });

  it('pause stops firing, trigger runs anyway, resume and update take effect, delete removes it and keeps its runs', async () => {
    const runtime = await startRuntime({ orchestrators });
    const { schedules } = runtime.client;
    const created = await schedules.create({ scheduleId: 'ops', orchestrator: 'Echo', every: 3_600_000, paused: true });
    expect(created.paused).toBe(true);
    expect(created.nextRunAt).toBeUndefined();

    const runId = await schedules.trigger('ops');
    expect(runId).toMatch(/^ops@trigger-/);
    expect((await runtime.client.waitForCompletion(runId, { timeoutMs: 5000 })).scheduleId).toBe('ops');

    const paused = await schedules.pause('ops', 'maintenance');
    expect(paused).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    const resumed = await schedules.resume('ops');
    expect(resumed.paused).toBe(false);
    expect(resumed.pauseReason).toBeUndefined();
    expect(resumed.nextRunAt!.getTime()).toBe(created.createdAt.getTime() + 3_600_000);

    const cronned = await schedules.update('ops', { cron: '0 9 * * 1', timezone: 'Europe/Berlin', input: 'new' });
    expect(cronned.spec).toEqual({ cron: '0 9 * * 1', timezone: 'Europe/Berlin' });
    expect(cronned.input).toBe('new');
    expect(cronned.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await schedules.get('ops'))!.spec.cron).toBe('0 9 * * 1');

    await schedules.delete('ops');
    expect(await schedules.get('ops')).toBeUndefined();
    expect((await schedules.list()).schedules).toEqual([]);
    expect((await runsOf(runtime, 'ops')).map((r) => r.instanceId)).toEqual([runId]);
    await expect(schedules.pause('ops')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // The id is free again.
    await schedules.create({ scheduleId: 'ops', orchestrator: 'Echo', every: 3_600_000 });
    expect((await schedules.get('ops'))!.lastRuns).toEqual([]);
  });

  it('an ended one-shot takes an update: it restarts and runs at the new time', async () => {
    const runtime = await startRuntime({ orchestrators });
    const { schedules } = runtime.client;
    await schedules.create({ scheduleId: 'again', orchestrator: 'Echo', at: new Date(Date.now() + 50) });
    await eventually(async () => (await schedules.get('again'))?.ended);
    const at = new Date(Date.now() + 200);
    const updated = await schedules.update('again', { at });
    expect(updated).toMatchObject({ ended: false, nextRunAt: at });
    await eventually(async () => (await runsOf(runtime, 'again')).length === 2);
    await eventually(async () => (await schedules.get('again'))?.ended);
  });

  it("overlap 'skip' records a due time whose previous run is still going; trigger ignores it", async () => {
    const runtime = await startRuntime({ orchestrators });
    const startAt = Date.now() + 100;
    await runtime.client.schedules.create({ scheduleId: 'busy', orchestrator: 'Hold', every: 1000, startAt: new Date(startAt) });
    const first = `busy@${new Date(startAt).toISOString()}`;
    await eventually(() => runtime.client.getStatus(first));
    const skipped = await eventually(async () => {
      const d = await runtime.client.schedules.get('busy');
      return d && d.skippedRuns.length > 0 && d;
    });
    expect(skipped.skippedRuns[0]).toEqual({ scheduledAt: new Date(startAt + 1000), reason: 'overlap' });
    const triggered = await runtime.client.schedules.trigger('busy');
    await eventually(() => runtime.client.getStatus(triggered));
    expect((await runtime.client.getStatus(first))!.runtimeStatus).not.toBe('Completed');
    await runtime.client.schedules.delete('busy');
  });

  it("overlap 'bufferOne' starts the waiting run when the previous one ends", async () => {
    const runtime = await startRuntime({ orchestrators });
    const startAt = Date.now() + 100;
    await runtime.client.schedules.create({ scheduleId: 'buf', orchestrator: 'Hold', every: 1000, startAt: new Date(startAt), overlap: 'bufferOne' });
    const first = `buf@${new Date(startAt).toISOString()}`;
    const second = `buf@${new Date(startAt + 1000).toISOString()}`;
    await eventually(() => runtime.client.getStatus(first));
    // Two due times pass while the first run holds: one waits, the other is skipped.
    await eventually(async () => ((await runtime.client.schedules.get('buf'))?.skippedRuns.length ?? 0) > 0, { timeoutMs: 10_000 });
    expect(await runtime.client.getStatus(second)).toBeUndefined();
    await runtime.client.schedules.pause('buf');
    await runtime.client.raiseEvent(first, 'Finish', 'done');
    // Paused: the waiting run stays waiting.
    await new Promise((r) => setTimeout(r, 300));
    expect(await runtime.client.getStatus(second)).toBeUndefined();
    await runtime.client.schedules.resume('buf');
    const started = await eventually(() => runtime.client.getStatus(second), { timeoutMs: 10_000 });
    expect(started.createdTime.getTime()).toBeGreaterThan(startAt + 1000);
    await runtime.client.schedules.delete('buf');
  });

  it('lists schedules by namespace and orchestrator, a page at a time', async () => {
    const runtime = await startRuntime({ orchestrators });
    const { schedules } = runtime.client;
    for (const [id, namespace, orchestrator] of [['a', 'ops', 'Echo'], ['b', 'ops', 'Hold'], ['c', '', 'Echo'], ['d', 'ops', 'Echo']] as const) {
      await schedules.create({ scheduleId: id, namespace, orchestrator, every: 3_600_000 });
    }
    const ids = (page: { schedules: Array<{ scheduleId: string }> }) => page.schedules.map((s) => s.scheduleId);
    expect(ids(await schedules.list())).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(await schedules.list({ namespace: 'ops' }))).toEqual(['a', 'b', 'd']);
    expect(ids(await schedules.list({ namespace: 'ops', orchestrator: 'Echo' }))).toEqual(['a', 'd']);
    const first = await schedules.list({ pageSize: 3 });
    expect(ids(first)).toEqual(['a', 'b', 'c']);
    expect(ids(await schedules.list({ pageSize: 3, continuationToken: first.continuationToken! }))).toEqual(['d']);
    // A schedule's runs live in its namespace.
    const runId = await schedules.trigger('a');
    expect((await runtime.client.waitForCompletion(runId, { timeoutMs: 5000 })).namespace).toBe('ops');
    expect((await runtime.client.listInstances({ namespace: 'ops' })).instances.map((i) => i.instanceId)).toEqual([runId]);
  });
});

describe('schedules: bad input stores nothing', () => {
  const now = Date.now();
  const bad: Array<[string, Record<string, unknown>, (e: unknown) => boolean]> = [
    ['an invalid cron expression', { cron: '61 * * * *' }, (e) => e instanceof InvalidArgumentError],
    ['a cron with 7 fields', { cron: '0 0 0 * * * 2030' }, (e) => e instanceof InvalidArgumentError],
    ['an unknown timezone', { cron: '0 * * * *', timezone: 'Mars/Olympus' }, (e) => e instanceof InvalidArgumentError],
    ['every < 1000', { every: 999 }, (e) => e instanceof InvalidArgumentError],
    ['every not finite', { every: Infinity }, (e) => e instanceof InvalidArgumentError],
    ['every NaN', { every: NaN }, (e) => e instanceof InvalidArgumentError],
    ['at and every', { at: new Date(now + 1000), every: 5000 }, (e) => e instanceof InvalidArgumentError],
    ['every and cron', { every: 5000, cron: '* * * * *' }, (e) => e instanceof InvalidArgumentError],
    ['none of at/every/cron', {}, (e) => e instanceof InvalidArgumentError],
    ['endAt before startAt', { every: 5000, startAt: new Date(now + 10_000), endAt: new Date(now) }, (e) => e instanceof InvalidArgumentError],
    ['an invalid date', { at: new Date(NaN) }, (e) => e instanceof InvalidArgumentError],
    ['an unknown overlap', { every: 5000, overlap: 'queue' }, (e) => e instanceof InvalidArgumentError],
    ['an unknown catchUp', { every: 5000, catchUp: 'some' }, (e) => e instanceof InvalidArgumentError],
    ['an unknown orchestrator', { every: 5000, orchestrator: 'Nope' }, (e) => e instanceof UnknownOrchestratorError],
    ["a scheduleId with '@'", { every: 5000, scheduleId: 'a@b' }, (e) => e instanceof InvalidArgumentError],
    ["a scheduleId with '/'", { every: 5000, scheduleId: 'a/b' }, (e) => e instanceof InvalidArgumentError],
    ['a bad namespace', { every: 5000, namespace: 'a/b' }, (e) => e instanceof InvalidArgumentError],
    ['non-string tags', { every: 5000, tags: { a: 1 } }, (e) => e instanceof InvalidArgumentError],
    ['an input that cannot be stored', { every: 5000, input: () => 1 }, (e) => isRepriseError(e, 'NOT_SERIALIZABLE')],
  ];
  it.each(bad)('refuses %s', async (_, options, isExpected) => {
    const storage = memoryStorage();
    const runtime = await startRuntime({ orchestrators, storage });
    const error = await runtime.client.schedules.create({ orchestrator: 'Echo', scheduleId: 's', ...options } as never).catch((e: unknown) => e);
    expect(isExpected(error)).toBe(true);
    expect((await runtime.client.listInstances({ includeSystem: true })).instances).toEqual([]);
    expect(await runtime.client.schedules.get('s')).toBeUndefined();
  });

  it('refuses a duplicate scheduleId, and commands to an unknown one', async () => {
    const runtime = await startRuntime({ orchestrators });
    const { schedules } = runtime.client;
    await schedules.create({ scheduleId: 'dup', orchestrator: 'Echo', every: 5000, input: 1 });
    await expect(schedules.create({ scheduleId: 'dup', orchestrator: 'Echo', every: 9000, input: 2 })).rejects.toBeInstanceOf(ScheduleExistsError);
    expect((await schedules.get('dup'))!).toMatchObject({ input: 1, spec: { every: 5000 } });
    for (const call of [() => schedules.update('nope', { every: 5000 }), () => schedules.pause('nope'), () => schedules.resume('nope'), () => schedules.trigger('nope'), () => schedules.delete('nope')]) {
      await expect(call()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    }
    // An update that would make the calendar invalid changes nothing.
    await expect(schedules.update('dup', { every: 10 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(schedules.update('dup', { every: 5000, cron: '* * * * *' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(schedules.update('dup', { endAt: new Date(0), startAt: new Date(1000) })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await schedules.get('dup'))!.spec).toEqual({ every: 5000, timezone: 'UTC' });
  });

  it("refuses user instance ids in the runtime's reserved '~~' prefix", async () => {
    const runtime = await startRuntime({ orchestrators });
    await expect(runtime.client.startNew('Echo', { instanceId: '~~schedule:x' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.listInstances({ scheduleId: 'a', instanceIdPrefix: 'a' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
