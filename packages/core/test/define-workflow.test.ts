/** DAG workflows (`defineWorkflow`): graph checks, parallel starts, results passing, failFast and continue. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, defineActivity, defineWorkflow } from '@reprise/core';
import type { WorkflowTaskInput } from '@reprise/core';
import { cacheModes, eventually, startRuntime } from './helpers.js';

const noop = defineActivity('Noop', async () => 'ok');

describe('defineWorkflow: checked at definition time', () => {
  it('refuses an unknown after key, a self-dependency, a cycle and bad options with InvalidArgumentError', () => {
    const cases: Array<() => unknown> = [
      () => defineWorkflow('w', { tasks: { A: { activity: noop, after: ['B'] } } }),
      () => defineWorkflow('w', { tasks: { A: { activity: noop, after: ['A'] } } }),
      () => defineWorkflow('w', { tasks: { A: { activity: noop, after: ['C'] }, B: { activity: noop, after: ['A'] }, C: { activity: noop, after: ['B'] } } }),
      () => defineWorkflow('w', { tasks: {} }),
      () => defineWorkflow('', { tasks: { A: { activity: noop } } }),
      () => defineWorkflow('w', { tasks: { A: { activity: '' } } }),
      () => defineWorkflow('w', { tasks: { A: { activity: noop } }, onFailure: 'sometimes' as 'continue' }),
      () => defineWorkflow('w', { tasks: { A: { activity: noop, retry: { firstRetryIntervalInMilliseconds: 0, maxNumberOfAttempts: 2 } } } }),
    ];
    for (const define of cases) expect(define).toThrow(InvalidArgumentError);
    expect(() => defineWorkflow('w', { tasks: { A: { activity: noop, after: ['C'] }, B: { activity: noop, after: ['A'] }, C: { activity: noop, after: ['B'] } } })).toThrow(/cycle: A -> C -> B -> A/);
  });
});

describe.each(cacheModes)('defineWorkflow ($label)', ({ cacheSize }) => {
  it('runs a diamond: dependencies first, the middle in parallel, each task given the results it waited for', async () => {
    const seen: Record<string, WorkflowTaskInput> = {};
    const inFlight = { now: 0, max: 0 };
    const step = (key: string) =>
      defineActivity(key, async (arg: WorkflowTaskInput<{ rows: number }>) => {
        seen[key] = arg;
        inFlight.now += 1;
        inFlight.max = Math.max(inFlight.max, inFlight.now);
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight.now -= 1;
        return `${key}:${arg.input.rows}`;
      });
    const [extract, left, right, load] = ['Extract', 'Left', 'Right', 'Load'].map(step) as [ReturnType<typeof step>, ReturnType<typeof step>, ReturnType<typeof step>, ReturnType<typeof step>];
    const etl = defineWorkflow<{ rows: number }>('test.Diamond', {
      tasks: {
        EXTRACT: { activity: extract },
        LEFT: { activity: left, after: ['EXTRACT'] },
        RIGHT: { activity: right, after: ['EXTRACT'] },
        LOAD: { activity: load, after: ['LEFT', 'RIGHT'] },
      },
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [etl], activities: [extract, left, right, load] });
    const id = await runtime.client.startNew(etl, { input: { rows: 3 } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toEqual({ EXTRACT: 'Extract:3', LEFT: 'Left:3', RIGHT: 'Right:3', LOAD: 'Load:3' });
    expect(seen.Extract).toEqual({ input: { rows: 3 }, results: {} });
    expect(seen.Left).toEqual({ input: { rows: 3 }, results: { EXTRACT: 'Extract:3' } });
    expect(seen.Load).toEqual({ input: { rows: 3 }, results: { LEFT: 'Left:3', RIGHT: 'Right:3' } });
    expect(inFlight.max).toBe(2);
    const steps = (await runtime.client.getSteps(id))!;
    expect(steps.map((s) => [s.name, s.status, s.previous])).toEqual([
      ['Extract', 'Succeeded', []],
      ['Left', 'Succeeded', [0]],
      ['Right', 'Succeeded', [0]],
      ['Load', 'Succeeded', [1, 2]],
    ]);
    expect(steps.map((s) => s.key)).toEqual(['EXTRACT', 'LEFT', 'RIGHT', 'LOAD']);
  });

  it('previous is exactly the after tasks, whatever finished in between, and names the successful retry attempt', async () => {
    let flakyCalls = 0;
    const slow = defineActivity('Slow', async () => new Promise((resolve) => setTimeout(() => resolve('slow'), 150)));
    const flaky = defineActivity('Flaky', async () => {
      flakyCalls += 1;
      if (flakyCalls === 1) throw new Error('once');
      return 'flaky';
    });
    const after = defineActivity('After', async (arg: WorkflowTaskInput) => Object.keys(arg.results));
    const wf = defineWorkflow('test.Exact', {
      tasks: {
        SLOW: { activity: slow },
        FLAKY: { activity: flaky, retry: { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 } },
        AFTER_FLAKY: { activity: after, after: ['FLAKY'] },
      },
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [wf], activities: [slow, flaky, after] });
    const id = await runtime.client.startNew(wf);
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual({ SLOW: 'slow', FLAKY: 'flaky', AFTER_FLAKY: ['FLAKY'] });
    const steps = (await runtime.client.getSteps(id))!;
    const flakyOk = steps.find((s) => s.name === 'Flaky' && s.status === 'Succeeded')!;
    expect(flakyOk.attempt).toBe(2);
    // Every attempt of a retried task carries its key; the backoff timer between them is no task of the graph.
    expect(steps.filter((s) => s.kind === 'activity').map((s) => [s.key, s.name, s.attempt])).toEqual(
      expect.arrayContaining([['SLOW', 'Slow', 1], ['FLAKY', 'Flaky', 1], ['FLAKY', 'Flaky', 2], ['AFTER_FLAKY', 'After', 1]]),
    );
    expect(steps.filter((s) => s.kind === 'timer').every((s) => s.key === undefined)).toBe(true);
    expect(steps.find((s) => s.name === 'After')!.previous).toEqual([flakyOk.sequence]);
  });

  it.each(['failFast', 'continue'] as const)('a cancel request ends it Canceled, not Failed, and starts nothing new (%s)', async (onFailure) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const hold = defineActivity('Hold', async () => {
      started.push('Hold');
      await held;
      return 'held';
    });
    const later = defineActivity('Later', async () => {
      started.push('Later');
      return 'later';
    });
    const wf = defineWorkflow('test.Cancel', { onFailure, tasks: { HOLD: { activity: hold }, LATER: { activity: later, after: ['HOLD'] } } });
    const runtime = await startRuntime({ cacheSize, orchestrators: [wf], activities: [hold, later] });
    const id = await runtime.client.startNew(wf);
    await eventually(async () => (await runtime.client.getSteps(id))?.[0]?.status === 'Executing');
    await runtime.client.requestCancel(id, 'stop');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    release();
    expect(status).toMatchObject({ runtimeStatus: 'Canceled', output: 'stop' });
    expect(started).toEqual(['Hold']);
    expect((await runtime.client.getSteps(id))!.map((s) => [s.key, s.status])).toEqual([['HOLD', 'Canceled']]);
  });

  it('failFast: after a failure no task starts; the running ones finish; the workflow fails naming the task', async () => {
    const started: string[] = [];
    const make = (key: string, fail = false, ms = 0) =>
      defineActivity(key, async () => {
        started.push(key);
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (fail) throw new Error(`${key} broke`);
        return key;
      });
    const bad = make('Bad', true);
    const long = make('Long', false, 200);
    const next = make('Next');
    const wf = defineWorkflow('test.FailFast', { tasks: { BAD: { activity: bad }, LONG: { activity: long }, NEXT: { activity: next, after: ['LONG'] } } });
    const runtime = await startRuntime({ cacheSize, orchestrators: [wf], activities: [bad, long, next] });
    const id = await runtime.client.startNew(wf);
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ message: expect.stringContaining('BAD (Bad broke)') });
    expect(started.sort()).toEqual(['Bad', 'Long']);
    const steps = (await runtime.client.getSteps(id))!;
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['Bad', 'Failed'],
      ['Long', 'Succeeded'],
    ]);
  });

  it('continue: tasks that do not depend on a failure still run; the workflow fails at the end naming every failed task', async () => {
    const started: string[] = [];
    const make = (key: string, fail = false) =>
      defineActivity(key, async () => {
        started.push(key);
        if (fail) throw new Error(`${key} broke`);
        return key;
      });
    const [a, b, c, d, e] = [make('A', true), make('B'), make('C', true), make('D'), make('E')];
    const wf = defineWorkflow('test.Continue', {
      onFailure: 'continue',
      tasks: { A: { activity: a }, B: { activity: b }, C: { activity: c, after: ['B'] }, D: { activity: d, after: ['B'] }, E: { activity: e, after: ['A'] } },
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [wf], activities: [a, b, c, d, e] });
    const id = await runtime.client.startNew(wf);
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect((status.output as unknown as { message: string }).message).toMatch(/tasks (A \(A broke\), C \(C broke\)|C \(C broke\), A \(A broke\))/);
    expect(started.sort()).toEqual(['A', 'B', 'C', 'D']);
  });
});
