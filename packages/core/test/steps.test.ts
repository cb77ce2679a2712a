/**
 * The step view (`client.getSteps`), `previous`, activity progress and logs,
 * and `client.restart`, through a real runtime on memory storage, with the
 * replay cache on and off.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, defineActivity, defineOrchestrator, isRepriseError } from '@reprise/core';
import type { Step, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { cacheModes, eventually, sleep, startRuntime } from './helpers.js';

/** A promise to release from the test: activities wait on it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const pick = (steps: Step[] | undefined) => steps!.map((s) => ({ sequence: s.sequence, kind: s.kind, name: s.name, status: s.status, previous: s.previous, attempt: s.attempt }));

describe.each(cacheModes)('steps ($label)', ({ cacheSize }) => {
  it('a sequential chain: one step per call, each waiting for the one before, values decoded', async () => {
    const double = defineActivity('Double', async (n: number) => n * 2);
    const stamp = defineActivity('Stamp', async (n: number) => ({ n, at: new Date(0) }));
    const chain = defineOrchestrator('Chain', function* (ctx) {
      const a = yield* ctx.callActivity(double, 1);
      const b = yield* ctx.callActivity(double, a);
      return yield* ctx.callActivity(stamp, b);
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [chain], activities: [double, stamp] });
    const id = await runtime.client.startNew(chain);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const steps = await runtime.client.getSteps(id);
    expect(pick(steps)).toEqual([
      { sequence: 0, kind: 'activity', name: 'Double', status: 'Succeeded', previous: [], attempt: 1 },
      { sequence: 1, kind: 'activity', name: 'Double', status: 'Succeeded', previous: [0], attempt: 1 },
      { sequence: 2, kind: 'activity', name: 'Stamp', status: 'Succeeded', previous: [1], attempt: 1 },
    ]);
    expect(steps![1]).toMatchObject({ input: 2, output: 4 });
    expect(steps![2]!.output).toEqual({ n: 4, at: new Date(0) });
    for (const step of steps!) {
      expect(step.scheduledAt).toBeInstanceOf(Date);
      expect(step.startedAt!.getTime()).toBeGreaterThanOrEqual(step.scheduledAt.getTime());
      expect(step.completedAt!.getTime()).toBeGreaterThanOrEqual(step.startedAt!.getTime());
    }
  });

  it('a fan-in waits for every fan-out step; the fan-out steps share what came before them', async () => {
    const work = defineActivity('Work', async (n: number) => n);
    const fan = defineOrchestrator('Fan', function* (ctx) {
      const first = yield* ctx.callActivity(work, 0);
      const parts = yield* ctx.all([1, 2, 3].map((n) => ctx.callActivity(work, n + first)));
      return yield* ctx.callActivity(work, parts.length);
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [fan], activities: [work] });
    const id = await runtime.client.startNew(fan);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect((await runtime.client.getSteps(id))!.map((s) => s.previous)).toEqual([[], [0], [0], [0], [1, 2, 3]]);
  });

  it('Requested while queued, Executing while a worker holds it, with progress; the last progress stays after completion', async () => {
    const g = gate();
    const reported = gate();
    const copy = defineActivity('Copy', async (name: string, actx) => {
      await actx.reportProgress(40, `copied 4 of 10 files (${name})`);
      reported.open();
      await g.wait;
      return name;
    });
    const two = defineOrchestrator('Two', function* (ctx) {
      return yield* ctx.all([ctx.callActivity(copy, 'a'), ctx.callActivity(copy, 'b')]);
    });
    // One worker slot and no eager dispatch: the second item stays queued until the first completes.
    const inner = memoryStorage();
    const storage: Storage = { ...inner, capabilities: {} };
    const runtime = await startRuntime({ cacheSize, storage, orchestrators: [two], activities: [copy], maxConcurrentActivities: 1 });
    const id = await runtime.client.startNew(two);
    await reported.wait;
    const during = (await runtime.client.getSteps(id))!;
    const running = during.find((s) => s.status === 'Executing')!;
    expect(during.map((s) => s.status).sort()).toEqual(['Executing', 'Requested']);
    expect(running.progress).toMatchObject({ percent: 40, message: expect.stringMatching(/^copied 4 of 10 files/) });
    expect(running.progress!.at).toBeInstanceOf(Date);
    expect(running.startedAt).toBeInstanceOf(Date);
    expect(during.find((s) => s.status === 'Requested')!.progress).toBeUndefined();
    g.open();
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const after = (await runtime.client.getSteps(id))!;
    expect(after.map((s) => [s.status, s.progress?.percent])).toEqual([
      ['Succeeded', 40],
      ['Succeeded', 40],
    ]);
  });

  it('a retried activity shows each attempt, with its backoff timer in between', async () => {
    let calls = 0;
    const flaky = defineActivity('Flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('first attempt fails');
      return 'ok';
    });
    const first = defineActivity('First', async () => 1);
    const retrying = defineOrchestrator('Retrying', function* (ctx) {
      yield* ctx.callActivity(first);
      return yield* ctx.callActivityWithRetry(flaky, { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 });
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [retrying], activities: [flaky, first] });
    const id = await runtime.client.startNew(retrying);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const steps = (await runtime.client.getSteps(id))!;
    expect(pick(steps)).toEqual([
      { sequence: 0, kind: 'activity', name: 'First', status: 'Succeeded', previous: [], attempt: 1 },
      { sequence: 1, kind: 'activity', name: 'Flaky', status: 'Failed', previous: [0], attempt: 1 },
      { sequence: 2, kind: 'timer', name: expect.any(String), status: 'Succeeded', previous: [1], attempt: 1 },
      { sequence: 3, kind: 'activity', name: 'Flaky', status: 'Succeeded', previous: [0], attempt: 2 },
    ]);
    expect(steps[1]!.error).toEqual({ name: 'Error', message: 'first attempt fails' });
  });

  it('timers and sub-orchestrations: Executing until done; the child id is shown; an abandoned wait is Canceled at the end', async () => {
    const quick = defineActivity('Quick', async () => 'won');
    const child = defineOrchestrator('Child', function* (ctx) {
      yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 300));
      return 'child done';
    });
    const parent = defineOrchestrator('Parent', function* (ctx) {
      const sub = yield* ctx.callSubOrchestrator(child, undefined, `${ctx.instanceId}-child`);
      const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 60_000));
      const winner = yield* ctx.any([ctx.callActivity(quick), timeout]);
      return [sub, winner === timeout];
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [parent, child], activities: [quick] });
    const id = await runtime.client.startNew(parent, { instanceId: `p-${cacheSize}` });
    await eventually(async () => (await runtime.client.getSteps(`p-${cacheSize}-child`))?.[0]?.status === 'Executing', { what: "the child's timer" });
    expect(pick(await runtime.client.getSteps(id))).toEqual([{ sequence: 0, kind: 'subOrchestration', name: 'Child', status: 'Executing', previous: [], attempt: 1 }]);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const steps = (await runtime.client.getSteps(id))!;
    expect(steps[0]).toMatchObject({ kind: 'subOrchestration', status: 'Succeeded', output: 'child done', instanceId: `p-${cacheSize}-child` });
    expect(pick(steps).slice(1)).toEqual([
      { sequence: 1, kind: 'timer', name: expect.any(String), status: 'Canceled', previous: [0], attempt: 1 },
      { sequence: 2, kind: 'activity', name: 'Quick', status: 'Succeeded', previous: [0], attempt: 1 },
    ]);
    expect((await runtime.client.getSteps(`p-${cacheSize}-child`))![0]).toMatchObject({ kind: 'timer', status: 'Succeeded' });
  });
});

describe('cancellation', () => {
  it('steps whose waits a cancel request abandoned are Canceled, and stay so when their results arrive', async () => {
    const g = gate();
    const slow = defineActivity('SlowStep', async () => {
      await g.wait;
      return 'late';
    });
    const undo = defineActivity('Undo', async () => 'undone');
    const orch = defineOrchestrator('Cancellable', function* (ctx) {
      try {
        return yield* ctx.callActivity(slow);
      } catch {
        return yield* ctx.callActivity(undo);
      }
    });
    const runtime = await startRuntime({ orchestrators: [orch], activities: [slow, undo] });
    const id = await runtime.client.startNew(orch);
    await eventually(async () => (await runtime.client.getSteps(id))?.[0]?.status === 'Executing', { what: 'the slow step to run' });
    await runtime.client.requestCancel(id);
    await eventually(async () => (await runtime.client.getSteps(id))?.length === 2, { what: 'the compensation step' });
    g.open();
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(pick(await runtime.client.getSteps(id))).toEqual([
      { sequence: 0, kind: 'activity', name: 'SlowStep', status: 'Canceled', previous: [], attempt: 1 },
      { sequence: 1, kind: 'activity', name: 'Undo', status: 'Succeeded', previous: [0], attempt: 1 },
    ]);
  });
});

describe('progress', () => {
  it('refuses a percent outside 0..100 or a non-string message with InvalidArgumentError', async () => {
    const errors: unknown[] = [];
    const bad = defineActivity('Bad', async (_: undefined, actx) => {
      for (const attempt of [() => actx.reportProgress(101), () => actx.reportProgress(-1), () => actx.reportProgress(Number.NaN), () => actx.reportProgress(5, 7 as unknown as string)]) {
        errors.push(await attempt().then(() => 'accepted', (error: unknown) => error));
      }
      return 'done';
    });
    const orch = defineOrchestrator('BadProgress', function* (ctx) {
      return yield* ctx.callActivity(bad);
    });
    const runtime = await startRuntime({ orchestrators: [orch], activities: [bad] });
    const id = await runtime.client.startNew(orch);
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('done');
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((await runtime.client.getSteps(id))![0]!.progress).toBeUndefined();
  });

  it('merges calls within 100 ms into one store write of the last value, which every caller awaited', async () => {
    const inner = memoryStorage();
    let writes = 0;
    const storage: Storage = { ...inner, capabilities: inner.capabilities, reportProgress: (...args) => ((writes += 1), inner.reportProgress(...args)) };
    const seen: Array<number | undefined> = [];
    let instanceId = '';
    const runtime = await startRuntime({
      storage,
      orchestrators: {
        Burst: function* (ctx) {
          return yield ctx.callActivity('BurstWork');
        },
      },
      activities: {
        BurstWork: async (_: unknown, actx) => {
          await Promise.all(Array.from({ length: 20 }, (_, i) => actx.reportProgress(i * 5)));
          seen.push((await runtime.client.getSteps(instanceId))![0]!.progress?.percent);
          return 'ok';
        },
      },
    });
    instanceId = await runtime.client.startNew('Burst');
    await runtime.client.waitForCompletion(instanceId, { timeoutMs: 10_000 });
    // The first call writes at once; the other 19 wait for the window's end and write the last value once.
    expect(writes).toBe(2);
    expect(seen).toEqual([95]);
  });

  it('a lost lease fences progress: the activity gets LeaseLostError, nothing is written', async () => {
    const inner = memoryStorage();
    // Renewals never reach the store, so a slow activity's lease runs out.
    const storage: Storage = { ...inner, capabilities: inner.capabilities, renewLeases: async () => ({ lostInstances: [], lostActivities: [], canceledActivities: [] }) };
    const outcomes: unknown[] = [];
    let deliveries = 0;
    const runtime = await startRuntime({
      storage,
      leaseMs: 200,
      maxDeliveries: 100,
      orchestrators: {
        Slow: function* (ctx) {
          return yield ctx.callActivity('SlowWork');
        },
      },
      activities: {
        SlowWork: async (_: unknown, actx) => {
          if (deliveries++ > 0) return 'second delivery';
          await sleep(600);
          outcomes.push(await actx.reportProgress(50).then(() => 'written', (error: unknown) => error));
          outcomes.push(await actx.reportProgress(60).then(() => 'written', (error: unknown) => error));
          return 'first delivery';
        },
      },
    });
    const id = await runtime.client.startNew('Slow');
    await eventually(() => outcomes.length === 2, { what: 'two progress reports' });
    for (const outcome of outcomes) expect(isRepriseError(outcome, 'LEASE_LOST')).toBe(true);
    const [step] = (await runtime.client.getSteps(id))!;
    expect(step!.progress?.percent).not.toBe(50);
  });
});

describe('activity logs', () => {
  it('actx.log lines are stored with the step sequence and read with ctx.log lines as one ordered stream', async () => {
    const runtime = await startRuntime({
      logger: () => {},
      orchestrators: {
        Logged: function* (ctx) {
          ctx.log.info('before');
          yield ctx.callActivity('LogWork', 'x');
          ctx.log.info('after');
          return 'ok';
        },
      },
      activities: {
        LogWork: async (input: string, actx) => {
          actx.log.info('working on', input);
          actx.log.warn('almost done');
          return input;
        },
      },
    });
    const id = await runtime.client.startNew('Logged');
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const logs = await runtime.client.getLogs(id);
    expect(logs.map((l) => [l.message, l.sequence])).toEqual([
      ['before', undefined],
      ['working on x', 0],
      ['almost done', 0],
      ['after', undefined],
    ]);
  });
});

describe('restart', () => {
  const echo = defineOrchestrator('Echo', function* (ctx) {
    return ctx.getInput();
  });
  const waits = defineOrchestrator('Waits', function* (ctx) {
    return yield* ctx.waitForExternalEvent('go');
  });

  it('starts a finished instance again: same orchestrator, input, namespace and tags, a new instance id', async () => {
    const runtime = await startRuntime({ orchestrators: [echo, waits] });
    const id = await runtime.client.startNew(echo, { input: { n: 1, at: new Date(5) }, tags: { team: 'a' }, namespace: 'proj-1' });
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const again = await runtime.client.restart(id);
    expect(again).not.toBe(id);
    const status = await runtime.client.waitForCompletion(again, { timeoutMs: 10_000 });
    expect(status).toMatchObject({ name: 'Echo', runtimeStatus: 'Completed', output: { n: 1, at: new Date(5) }, tags: { team: 'a' }, namespace: 'proj-1' });
    expect(await runtime.client.restart(again, { newInstanceId: 'chosen' })).toBe('chosen');
    expect((await runtime.client.waitForCompletion('chosen', { timeoutMs: 10_000 })).output).toEqual({ n: 1, at: new Date(5) });
  });

  it('refuses a running instance (InvalidStateError), an unknown one (InstanceNotFoundError) and a bad new id', async () => {
    const runtime = await startRuntime({ orchestrators: [echo, waits] });
    const id = await runtime.client.startNew(waits);
    await expect(runtime.client.restart(id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(runtime.client.restart('nobody')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await expect(runtime.client.restart(id, { newInstanceId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await runtime.client.getSteps('nobody')).toBeUndefined();
  });
});
