import { describe, expect, it } from 'vitest';
import type { OrchestrationContext, Task } from '@reprise/core';
import { cacheModes, eventually, startRuntime } from './helpers.js';

describe.each(cacheModes)('orchestration features ($label)', ({ cacheSize }) => {
  it('runs sub-orchestrations and propagates their failures as catchable errors', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: { Double: (x: number) => x * 2 },
      orchestrators: {
        Child: function* (ctx: OrchestrationContext<number>) {
          if (ctx.getInput() < 0) throw new RangeError(`negative: ${ctx.getInput()}`);
          return yield ctx.callActivity('Double', ctx.getInput());
        },
        Parent: function* (ctx) {
          const ok = yield ctx.callSubOrchestrator('Child', 21);
          const many: number[] = yield ctx.all([1, 2, 3].map((i) => ctx.callSubOrchestrator('Child', i, `${ctx.instanceId}-child-${i}`)));
          let caught: unknown;
          try {
            yield ctx.callSubOrchestrator('Child', -1);
          } catch (error) {
            caught = { name: (error as Error).name, message: (error as Error).message };
          }
          return { ok, many, caught };
        },
      },
    });
    const id = await runtime.client.startNew('Parent', { instanceId: 'parent-1' });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual({ ok: 42, many: [2, 4, 6], caught: { name: 'RangeError', message: 'negative: -1' } });
    const child = await runtime.client.getStatus('parent-1-child-2');
    expect(child).toMatchObject({ runtimeStatus: 'Completed', output: 4, parentInstanceId: 'parent-1', name: 'Child' });
  });

  it('fires durable timers no earlier than their due time', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Sleep: function* (ctx) {
          const due = new Date(ctx.currentUtcDateTime.getTime() + 150);
          yield ctx.createTimer(due);
          return { due: due.getTime(), woke: ctx.currentUtcDateTime.getTime() };
        },
      },
    });
    const start = Date.now();
    const ids = await Promise.all(Array.from({ length: 20 }, () => runtime.client.startNew('Sleep')));
    for (const id of ids) {
      const { output } = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
      const { due, woke } = output as { due: number; woke: number };
      expect(woke).toBeGreaterThanOrEqual(due);
    }
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
  });

  it('buffers external events raised before the orchestrator waits, and delivers by name in order', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: { Slow: () => new Promise((r) => setTimeout(() => r('slow'), 100)) },
      orchestrators: {
        Waiter: function* (ctx) {
          yield ctx.callActivity('Slow');
          const first = yield ctx.waitForExternalEvent('Approval');
          const second = yield ctx.waitForExternalEvent('Approval');
          const other = yield ctx.waitForExternalEvent('Other');
          return [first, second, other];
        },
      },
    });
    const id = await runtime.client.startNew('Waiter');
    await runtime.client.raiseEvent(id, 'Other', 'o');
    await runtime.client.raiseEvent(id, 'Approval', { by: 'ann' });
    await runtime.client.raiseEvent(id, 'Approval', { by: 'bob' });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual([{ by: 'ann' }, { by: 'bob' }, 'o']);
  });

  it('waits with a timeout through Task.any, which resolves to the winning task', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Approval: function* (ctx: OrchestrationContext<number>) {
          const timer = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + ctx.getInput()));
          const event = ctx.waitForExternalEvent('Approve');
          const winner: Task = yield ctx.Task.any([event, timer]);
          if (winner === event) {
            timer.cancel();
            return { approved: event.result };
          }
          return 'timed out';
        },
      },
    });
    const fast = await runtime.client.startNew('Approval', { input: 60_000 });
    const slow = await runtime.client.startNew('Approval', { input: 50 });
    await runtime.client.raiseEvent(fast, 'Approve', 'yes');
    expect((await runtime.client.waitForCompletion(fast, { timeoutMs: 5000 })).output).toEqual({ approved: 'yes' });
    expect((await runtime.client.waitForCompletion(slow, { timeoutMs: 5000 })).output).toBe('timed out');
  });

  it('retries failing activities with durable backoff and the handle predicate', async () => {
    const attempts = new Map<string, number>();
    const runtime = await startRuntime({
      cacheSize,
      activities: {
        Flaky: (key: string) => {
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          if (n < 3) throw new Error(`attempt ${n} failed`);
          return `ok after ${n}`;
        },
        Fatal: () => {
          const error = new TypeError('bad request');
          throw error;
        },
      },
      orchestrators: {
        Retry: function* (ctx) {
          const started = ctx.currentUtcDateTime.getTime();
          const ok = yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 20, maxNumberOfAttempts: 5, backoffCoefficient: 2 }, 'a');
          const waited = ctx.currentUtcDateTime.getTime() - started;
          let exhausted: string | undefined;
          try {
            yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 5, maxNumberOfAttempts: 2 }, 'b');
          } catch (error) {
            exhausted = (error as Error).message;
          }
          let notHandled: string | undefined;
          try {
            yield ctx.callActivityWithRetry('Fatal', { firstRetryIntervalInMilliseconds: 5, maxNumberOfAttempts: 5, handle: (e) => e.name !== 'TypeError' });
          } catch (error) {
            notHandled = (error as Error).name;
          }
          return { ok, waited, exhausted, notHandled };
        },
      },
    });
    const id = await runtime.client.startNew('Retry');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const output = status.output as { ok: string; waited: number; exhausted: string; notHandled: string };
    expect(output.ok).toBe('ok after 3');
    expect(output.waited).toBeGreaterThanOrEqual(20 + 40); // two backoff timers: 20 ms, then 40 ms
    expect(output.exhausted).toBe('attempt 2 failed');
    expect(output.notHandled).toBe('TypeError');
    expect(attempts.get('b')).toBe(2);
    const history = (await runtime.client.getStatus(id, { showHistory: true }))!.history!;
    expect(history.filter((e) => e.EventType === 'TimerCreated').length).toBe(3); // 2 for 'a', 1 for 'b'
  });

  it('continues as new with a fresh history, carrying unprocessed events over', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Counter: function* (ctx: OrchestrationContext<number>) {
          const n = ctx.getInput();
          if (n >= 3) return n;
          const add: number = yield ctx.waitForExternalEvent('Add');
          ctx.continueAsNew(n + add);
        },
      },
    });
    const id = await runtime.client.startNew('Counter', { input: 0 });
    // All three events arrive before the first is processed: two must be carried over.
    await runtime.client.raiseEvent(id, 'Add', 1);
    await runtime.client.raiseEvent(id, 'Add', 1);
    await runtime.client.raiseEvent(id, 'Add', 1);
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toBe(3);
    expect(status.input).toBe(3);
    const history = (await runtime.client.getStatus(id, { showHistory: true }))!.history!;
    expect(history[0]!.EventType).toBe('ExecutionStarted');
    expect(history.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1); // reset, not appended
  });

  it('keeps custom status, deterministic guids and replay-safe logs', async () => {
    const lines: string[] = [];
    const runtime = await startRuntime({
      cacheSize,
      logger: (entry) => lines.push(`${entry.level}:${entry.message}`),
      activities: { Noop: () => null },
      orchestrators: {
        Status: function* (ctx) {
          const guid = ctx.newGuid();
          ctx.log.info('starting', { step: 1 });
          ctx.setCustomStatus({ stage: 'one', at: new Date(0) });
          yield ctx.callActivity('Noop');
          const again = ctx.newGuid();
          ctx.setCustomStatus({ stage: 'two' });
          yield ctx.waitForExternalEvent('Go');
          ctx.log.warn('finishing');
          return [guid, again];
        },
      },
    });
    const id = await runtime.client.startNew('Status');
    const status = await eventually(async () => {
      const s = await runtime.client.getStatus(id);
      return (s?.customStatus as { stage?: string } | undefined)?.stage === 'two' && s;
    });
    expect(status.customStatus).toEqual({ stage: 'two' });
    await runtime.client.raiseEvent(id, 'Go');
    const done = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const [a, b] = done.output as string[];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    // Logged once each, whatever the number of replays.
    expect(lines).toEqual(['info:starting {"step":1}', 'warn:finishing']);
    expect((await runtime.client.getLogs(id)).map((l) => `${l.level}:${l.message}`)).toEqual(lines);
  });
});

describe.each(cacheModes)('regressions ($label)', ({ cacheSize }) => {
  // Guards against: a throwing user logger failing the orchestration that logged.
  it('a logger that throws does not fail the orchestration, and the line is still stored', async () => {
    const runtime = await startRuntime({
      cacheSize,
      logger: () => {
        throw new Error('log sink down');
      },
      orchestrators: {
        Logs: function* (ctx: OrchestrationContext) {
          ctx.log.info('hello');
          return 'ok';
        },
      },
    });
    const id = await runtime.client.startNew('Logs');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe('ok');
    expect((await runtime.client.getLogs(id)).map((l) => l.message)).toEqual(['hello']);
  });

  // Guards against: an event raised before a delayed start was recorded ahead of ExecutionStarted
  // but not seen by the live run, so a later replay diverged (NonDeterminismError).
  it('an event raised before a delayed start is delivered, live and on replay', async () => {
    const runtime = await startRuntime({
      cacheSize,
      activities: { Record: (s: string) => s },
      orchestrators: {
        Gate: function* (ctx: OrchestrationContext) {
          const go = ctx.waitForExternalEvent('Go');
          const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 60_000));
          const winner: Task = yield ctx.any([go, timeout]);
          const first = yield ctx.callActivity('Record', winner === go ? 'went' : 'timed out');
          const next = yield ctx.waitForExternalEvent('Next');
          return [first, next];
        },
      },
    });
    const id = await runtime.client.startNew('Gate', { startAt: new Date(Date.now() + 100) });
    await runtime.client.raiseEvent(id, 'Go', 1);
    await eventually(async () => ((await runtime.client.getStatus(id, { showHistory: true }))?.history ?? []).some((e) => e.EventType === 'TaskCompleted'));
    runtime.clearReplayCache();
    await runtime.client.raiseEvent(id, 'Next', 2);
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(['went', 2]);
  });

  // Guards against: two sub-orchestrations given one instance id ran two generators in one instance.
  it('a second sub-orchestration with an id already in use fails with InstanceExistsError', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Child: function* (ctx: OrchestrationContext<number>) {
          yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 20));
          return ctx.getInput();
        },
        Parent: function* (ctx: OrchestrationContext) {
          const a = ctx.callSubOrchestrator('Child', 1, 'fixed-child');
          const b = ctx.callSubOrchestrator('Child', 2, 'fixed-child');
          const settled: unknown[] = [];
          for (const task of [a, b]) {
            try {
              settled.push(yield task);
            } catch (error) {
              settled.push((error as Error).name);
            }
          }
          return settled;
        },
      },
    });
    const id = await runtime.client.startNew('Parent');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toEqual([1, 'InstanceExistsError']);
  });
});
