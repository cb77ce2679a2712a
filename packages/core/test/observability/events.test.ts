import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@reprise/memory';
import type { Clock, Runtime, RuntimeEventName, RuntimeEventPayload } from '@reprise/core';
import { cacheModes, eventually, startRuntime } from '../helpers.js';

/** Records every lifecycle event in order, as `kind` + payload. */
function record(runtime: Runtime, kinds: RuntimeEventName[]) {
  const seen: { kind: RuntimeEventName; payload: RuntimeEventPayload<RuntimeEventName> }[] = [];
  for (const kind of kinds) runtime.events.on(kind, (payload: RuntimeEventPayload<RuntimeEventName>) => seen.push({ kind, payload }));
  return seen;
}

const ALL: RuntimeEventName[] = ['instanceStarted', 'instanceCompleted', 'instanceFailed', 'instanceTerminated', 'instanceCanceled', 'activityStarted', 'activityCompleted', 'activityFailed', 'activityRetrying', 'leaseLost', 'scheduleFired'];

describe.each(cacheModes)('runtime.events ($label)', ({ cacheSize }) => {
  it('a chain: started, each activity started and completed once (never again on replay), completed — in order', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Chain: function* (ctx) {
          yield ctx.callActivity('Step', 1);
          yield ctx.callActivity('Step', 2);
          return 'done';
        },
      },
      activities: { Step: async (n: number) => n },
    });
    const seen = record(runtime, ALL);
    const id = await runtime.client.startNew('Chain');
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => seen.some((e) => e.kind === 'instanceCompleted'));
    expect(seen.map((e) => e.kind)).toEqual(['instanceStarted', 'activityStarted', 'activityCompleted', 'activityStarted', 'activityCompleted', 'instanceCompleted']);
    for (const { payload } of seen) expect((payload as { instanceId: string }).instanceId).toBe(id);
    expect(seen[1]!.payload).toMatchObject({ name: 'Step', attempt: 1, taskScheduledId: 0 });
    expect(seen[5]!.payload).toMatchObject({ name: 'Chain', durationMs: expect.any(Number) });
  });

  it('a retry: activityFailed for the failed attempt, then activityRetrying with the next attempt', async () => {
    let calls = 0;
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Retry: function* (ctx) {
          return yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 });
        },
      },
      activities: {
        Flaky: async () => {
          calls += 1;
          if (calls < 3) throw new Error(`attempt ${calls} fails`);
          return 'ok';
        },
      },
    });
    const seen = record(runtime, ALL);
    const id = await runtime.client.startNew('Retry');
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => seen.some((e) => e.kind === 'instanceCompleted'));
    expect(seen.map((e) => e.kind)).toEqual([
      'instanceStarted',
      'activityStarted',
      'activityFailed',
      'activityRetrying',
      'activityStarted',
      'activityFailed',
      'activityRetrying',
      'activityStarted',
      'activityCompleted',
      'instanceCompleted',
    ]);
    expect(seen[2]!.payload).toMatchObject({ name: 'Flaky', error: expect.objectContaining({ message: 'attempt 1 fails' }) });
    expect(seen.filter((e) => e.kind === 'activityRetrying').map((e) => (e.payload as { attempt: number }).attempt)).toEqual([2, 3]);
  });

  it('failed and terminated instances', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Fails: function* () {
          throw new Error('boom');
        },
        Waits: function* (ctx) {
          yield ctx.waitForExternalEvent('never');
        },
      },
    });
    const seen = record(runtime, ALL);
    const failed = await runtime.client.startNew('Fails');
    await runtime.client.waitForCompletion(failed, { timeoutMs: 10_000 });
    const waiting = await runtime.client.startNew('Waits');
    await eventually(() => seen.some((e) => e.kind === 'instanceStarted' && (e.payload as { instanceId: string }).instanceId === waiting));
    await runtime.client.terminate(waiting, 'enough');
    await runtime.client.waitForCompletion(waiting, { timeoutMs: 10_000 });
    await eventually(() => seen.some((e) => e.kind === 'instanceTerminated'));
    expect(seen.find((e) => e.kind === 'instanceFailed')?.payload).toMatchObject({ instanceId: failed, name: 'Fails', reason: 'boom' });
    expect(seen.find((e) => e.kind === 'instanceTerminated')?.payload).toMatchObject({ instanceId: waiting, name: 'Waits' });
  });
});

describe('runtime.events isolation and the rest of the kinds', () => {
  it('a throwing listener does not affect the run nor the listeners after it; onError hears of it', async () => {
    const errors: unknown[] = [];
    const runtime = await startRuntime({
      onError: (error) => errors.push(error),
      orchestrators: {
        One: function* (ctx) {
          return yield ctx.callActivity('Echo', 'x');
        },
      },
      activities: { Echo: async (x: string) => x },
    });
    const after: string[] = [];
    runtime.events.on('activityStarted', () => {
      throw new Error('listener bug');
    });
    runtime.events.on('activityStarted', (e) => after.push(e.name));
    runtime.events.once('instanceCompleted', (e) => after.push(`done ${e.instanceId}`));
    const id = await runtime.client.startNew('One');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('x');
    await eventually(() => after.length === 2);
    expect(after).toEqual(['Echo', `done ${id}`]);
    expect(errors).toEqual([expect.objectContaining({ message: 'listener bug' })]);
    expect(runtime.events.listenerCount('instanceCompleted')).toBe(0);
  });

  it('scheduleFired when a schedule starts a run; error with what onError receives', async () => {
    const runtime = await startRuntime({ orchestrators: { Echo: function* () { return 1; } } });
    const fired: unknown[] = [];
    runtime.events.on('scheduleFired', (e) => fired.push(e));
    await runtime.client.schedules.create({ scheduleId: 'once', orchestrator: 'Echo', at: new Date() });
    await eventually(() => fired.length === 1);
    expect(fired[0]).toMatchObject({ scheduleId: 'once', orchestrator: 'Echo', instanceId: expect.any(String) });
  });

  it('error carries what onError receives (a commit the store refused once; the episode is retried)', async () => {
    const storage = memoryStorage();
    let failures = 1;
    // The real store, with one commit failing as a dropped connection would.
    const flaky = new Proxy(storage, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'commitOrchestration') {
          return (...args: Parameters<typeof storage.commitOrchestration>) => (failures-- > 0 ? Promise.reject(new Error('connection reset')) : storage.commitOrchestration(...args));
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const handled: unknown[] = [];
    const runtime = await startRuntime({ storage: flaky, onError: (error) => handled.push(error), orchestrators: { Echo: function* () { return 1; } } });
    const emitted: unknown[] = [];
    runtime.events.on('error', (e) => emitted.push(e.error));
    const id = await runtime.client.startNew('Echo');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(1);
    expect(emitted).toEqual(handled);
    expect(emitted).toEqual([expect.objectContaining({ message: 'connection reset' })]);
  });

  it('leaseLost when another worker takes over an activity whose lease expired', async () => {
    let offset = 0;
    // The store's clock, moved forward to expire a lease the runtime still holds.
    const storeClock: Clock = { now: () => Date.now() + offset, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const storage = memoryStorage({ clock: storeClock });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const errors: unknown[] = [];
    const runtime = await startRuntime({
      storage,
      leaseMs: 200,
      onError: (error) => errors.push(error),
      orchestrators: {
        Slow: function* (ctx) {
          return yield ctx.callActivity('Held');
        },
      },
      activities: { Held: () => gate.then(() => 'late') },
    });
    const lost: unknown[] = [];
    runtime.events.on('leaseLost', (e) => lost.push(e));
    const id = await runtime.client.startNew('Slow');
    await eventually(async () => (await storage.getActivityStates('default', id)).some((s) => s.running));
    offset = 60_000;
    const stolen = await storage.lockActivities('default', { max: 1, leaseMs: 60_000, redelivered: true });
    expect(stolen.items).toHaveLength(1);
    await eventually(() => lost.length === 1);
    release();
    expect(lost).toEqual([{ kind: 'activity', instanceId: id }]);
  });
});
