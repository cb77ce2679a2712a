/**
 * The pieces a step uses in place of heavier ones (issue 20: a step's own
 * cost): the work loop's slot queue (was p-queue), an activity's cancel mark
 * (an AbortController only when read), the activity ctx as one object, and
 * the observer's quiet path (no watch when nothing observes).
 */
import { describe, expect, it } from 'vitest';
import { loadOtel } from '../src/observability/otel.js';
import { Observer } from '../src/observability/observer.js';
import { Metrics } from '../src/observability/metrics.js';
import type { ActivityWorkItem, LockedInstance } from '@reprise/core';
import { CancelMark } from '../src/runtime/cancel-mark.js';
import { SlotQueue } from '../src/runtime/slot-queue.js';
import { eventually, startRuntime } from './helpers.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SlotQueue', () => {
  it('runs at most `concurrency` tasks, starts queued ones in order as slots free, and tells each freed slot', async () => {
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    let freed = 0;
    const queue = new SlotQueue(2, () => {}, () => (freed += 1));
    gates.forEach((gate, i) =>
      queue.add(() => {
        started.push(i);
        return gate.promise;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect([queue.pending, queue.size]).toEqual([2, 2]);
    gates[1]!.resolve();
    await eventually(async () => started.length === 3);
    expect(started).toEqual([0, 1, 2]);
    expect(freed).toBe(1);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    await queue.onIdle();
    expect([queue.pending, queue.size, freed]).toEqual([0, 0, 4]);
  });

  it('reports a failed task (rejected or thrown) and frees its slot', async () => {
    const errors: unknown[] = [];
    const queue = new SlotQueue(1, (error) => errors.push(error), () => {});
    queue.add(() => Promise.reject(new Error('rejected')));
    queue.add(() => {
      throw new Error('thrown');
    });
    let ran = false;
    queue.add(async () => {
      ran = true;
    });
    await queue.onIdle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['rejected', 'thrown']);
    expect(ran).toBe(true);
  });

  it('onIdle resolves at once when idle, and only once everything queued has run otherwise', async () => {
    const queue = new SlotQueue(1, () => {}, () => {});
    await queue.onIdle();
    const gate = deferred();
    queue.add(() => gate.promise);
    queue.add(async () => {});
    let idle = false;
    void queue.onIdle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.resolve();
    await eventually(async () => idle);
  });
});

describe('CancelMark', () => {
  it('makes no signal until read; a signal read before cancel() fires, one read after is already aborted', () => {
    const before = new CancelMark();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    before.cancel('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');

    const after = new CancelMark();
    after.cancel('late');
    after.cancel('ignored');
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toBe('late');
  });
});

describe('activity ctx', () => {
  it('works destructured: reportProgress, log and signal need no `this`', async () => {
    const seen: { aborted?: boolean; logged?: string } = {};
    const runtime = await startRuntime({
      orchestrators: {
        One: function* (ctx) {
          return yield ctx.callActivity('Work');
        },
      },
      activities: {
        Work: async (_input: unknown, { reportProgress, log, signal, instanceId, name, attempt }) => {
          await reportProgress(50, 'half');
          log('hello');
          seen.aborted = signal.aborted;
          return { instanceId, name, attempt };
        },
      },
    });
    const id = await runtime.client.startNew('One');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toEqual({ instanceId: id, name: 'Work', attempt: 1 });
    expect(seen.aborted).toBe(false);
    const logs = await runtime.client.getLogs(id);
    expect(logs.map((l) => l.message)).toContain('hello');
    const steps = await runtime.client.getSteps(id);
    expect(steps?.find((s) => s.name === 'Work')?.progress).toMatchObject({ percent: 50, message: 'half' });
  });
});

describe('Observer, quiet', () => {
  const locked = { instance: { instanceId: 'i', name: 'N', status: 'Running' }, lockToken: 't', messages: [], deliveries: 1 } as unknown as LockedInstance;
  const item = { id: 'a1', instanceId: 'i', name: 'A', deliveries: 1, taskScheduledId: 0, lockToken: 't' } as unknown as ActivityWorkItem;

  it('makes no watch while nothing observes, and one as soon as a listener is there', async () => {
    await loadOtel();
    const observer = new Observer(undefined, () => 0, () => {});
    expect(observer.quiet).toBe(true);
    expect(observer.episode(locked)).toBeUndefined();
    expect(observer.activityUntraced(item)).toBeUndefined();
    const listener = () => {};
    observer.events.on('instanceCompleted', listener);
    expect(observer.quiet).toBe(false);
    expect(observer.episode(locked)).toBeDefined();
    expect(observer.activityUntraced(item)).toBeDefined();
    observer.events.off('instanceCompleted', listener);
    expect(observer.quiet).toBe(true);
  });

  it('a no-op meter (none given, none registered) records nothing: metrics are off', async () => {
    await loadOtel();
    expect(new Metrics(undefined).on).toBeUndefined();
  });
});
