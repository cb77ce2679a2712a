// Flow control in the core: bad concurrency options and namespaces are refused with a typed error and store
// nothing; definitions' groups (objects and functions) apply; a child may not wait in its parent's group;
// cancellation is deterministic under replay (cached and not).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, defineOrchestrator } from '@reprise/core';
import type { ActivityContext, OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { cacheModes, eventually, sleep, startRuntime } from './helpers.js';

const Idle = function* (c: OrchestrationContext) {
  return yield c.waitForExternalEvent('go');
} satisfies OrchestratorFunction;

describe('flow control: bad input', () => {
  it.each([
    ['a negative limit', { group: 'g', limit: -1 }],
    ['a zero limit', { group: 'g', limit: 0 }],
    ['a fractional limit', { group: 'g', limit: 1.5 }],
    ['a string limit', { group: 'g', limit: '2' }],
    ['a negative maxQueued', { group: 'g', limit: 1, maxQueued: -1 }],
    ['a fractional maxQueued', { group: 'g', limit: 1, maxQueued: 0.5 }],
    ['an empty group', { group: '', limit: 1 }],
    ['a missing group', { limit: 1 }],
    ['an unknown onFull', { group: 'g', limit: 1, onFull: 'drop' }],
    ['not an object', 'g'],
  ])('refuses %s with InvalidArgumentError and stores nothing', async (_label, concurrency) => {
    const runtime = await startRuntime({ orchestrators: { Idle } });
    const error = await runtime.client.startNew('Idle', { instanceId: 'x', concurrency: concurrency as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(await runtime.client.getStatus('x')).toBeUndefined();
    expect(await runtime.client.countInstances()).toBe(0);
  });

  it.each([
    ['a slash', 'a/b'],
    ['a dot segment', '..'],
    ['a control character', 'a\u0000'],
    ['too long', 'n'.repeat(257)],
    ['not a string', 42],
  ])('refuses a namespace with %s everywhere it is accepted', async (_label, namespace) => {
    const runtime = await startRuntime({ orchestrators: { Idle } });
    const { client } = runtime;
    const bad = namespace as string;
    for (const call of [
      () => client.startNew('Idle', { instanceId: 'x', namespace: bad }),
      () => client.listInstances({ namespace: bad }),
      () => client.countInstances({ namespace: bad }),
      () => client.purgeInstanceHistoryBy({ namespace: bad, createdTimeFrom: new Date(0) }),
    ]) {
      expect(await call().catch((e: unknown) => e)).toBeInstanceOf(InvalidArgumentError);
    }
    expect(await client.getStatus('x')).toBeUndefined();
  });

  it('refuses a definition whose concurrency function returns bad options, or throws', async () => {
    const BadLimit = defineOrchestrator('BadLimit', Idle, { concurrency: () => ({ group: 'g', limit: -2 }) });
    const Throws = defineOrchestrator('Throws', Idle, {
      concurrency: () => {
        throw new Error('boom');
      },
    });
    const runtime = await startRuntime({ orchestrators: [BadLimit, Throws] });
    for (const handle of [BadLimit, Throws]) {
      expect(await runtime.client.startNew(handle, { instanceId: handle.name }).catch((e: unknown) => e)).toBeInstanceOf(InvalidArgumentError);
      expect(await runtime.client.getStatus(handle.name)).toBeUndefined();
    }
  });

  it('refuses a sub-orchestration whose group is its parent’s: the parent catches a typed error and no child is stored', async () => {
    const Child = defineOrchestrator('Child', Idle, { concurrency: { group: 'shared', limit: 1 } });
    const Parent = defineOrchestrator(
      'Parent',
      function* (c: OrchestrationContext) {
        try {
          yield c.callSubOrchestrator(Child, undefined, 'child-1');
          return 'started';
        } catch (error) {
          return `${(error as Error).name}: ${(error as { code?: string }).code}`;
        }
      },
      { concurrency: { group: 'shared', limit: 1 } },
    );
    const runtime = await startRuntime({ orchestrators: [Parent, Child] });
    const id = await runtime.client.startNew(Parent);
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5_000 })).output).toBe('InvalidArgumentError: INVALID_ARGUMENT');
    expect(await runtime.client.getStatus('child-1')).toBeUndefined();
  });
});

describe('flow control: definitions and sub-orchestrations', () => {
  it('a definition’s concurrency function picks the group from the input and the namespace', async () => {
    const seen: Array<{ namespace: string; instanceId: string }> = [];
    const PerTenant = defineOrchestrator(
      'PerTenant',
      function* (c: OrchestrationContext<{ tenant: string }>) {
        return yield c.waitForExternalEvent('go');
      },
      {
        concurrency: (input, meta) => {
          seen.push(meta);
          return { group: `tenant-${input.tenant}`, limit: 1 };
        },
      },
    );
    const runtime = await startRuntime({ orchestrators: [PerTenant] });
    const { client } = runtime;
    await client.startNew(PerTenant, { instanceId: 'a1', input: { tenant: 'a' }, namespace: 'ns' });
    await client.startNew(PerTenant, { instanceId: 'a2', input: { tenant: 'a' } });
    await client.startNew(PerTenant, { instanceId: 'b1', input: { tenant: 'b' } });
    expect((await client.getStatus('a2'))!.queue).toEqual({ group: 'tenant-a', position: 1 });
    expect((await client.getStatus('b1'))!.queue).toBeUndefined();
    expect(seen[0]).toEqual({ namespace: 'ns', instanceId: 'a1' });
    // startNew's own option wins over the definition.
    await client.startNew(PerTenant, { instanceId: 'a3', input: { tenant: 'a' }, concurrency: { group: 'elsewhere', limit: 1 } });
    expect((await client.getStatus('a3'))!.queue).toBeUndefined();
  });

  it('sub-orchestrations in a group queue behind its limit and run as slots free up', async () => {
    let running = 0;
    let max = 0;
    const Work = defineOrchestrator(
      'Work',
      function* (c: OrchestrationContext<number>) {
        yield c.callActivity('Enter');
        yield c.callActivity('Leave');
        return c.getInput() * 2;
      },
      { concurrency: { group: 'workers', limit: 2 } },
    );
    const FanOut = defineOrchestrator('FanOut', function* (c: OrchestrationContext) {
      return yield c.all([1, 2, 3, 4, 5, 6].map((n) => c.callSubOrchestrator(Work, n)));
    });
    const runtime = await startRuntime({
      orchestrators: [FanOut, Work],
      activities: {
        Enter: async () => {
          max = Math.max(max, ++running);
          await sleep(10);
        },
        Leave: async () => {
          running -= 1;
        },
      },
    });
    const id = await runtime.client.startNew(FanOut, { namespace: 'fan' });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual([2, 4, 6, 8, 10, 12]);
    expect(max).toBe(2);
    expect(await runtime.client.countInstances({ namespace: 'fan' })).toBe(7);
  });
});

describe.each(cacheModes)('cancellation ($label)', ({ cacheSize }) => {
  it('is deterministic under replay: the same tasks reject, compensation is recorded once', async () => {
    const storage = memoryStorage();
    const Flow = function* (c: OrchestrationContext) {
      const results: string[] = [];
      try {
        yield c.all([c.callActivity('Slow'), c.createTimer(new Date(c.currentUtcDateTime.getTime() + 3_600_000))]);
      } catch (error) {
        results.push(`${(error as Error).name}:${String(c.isCancellationRequested)}`);
        results.push(yield c.callActivity('Undo', 1));
        results.push(yield c.callActivity('Undo', 2));
      }
      return results;
    } satisfies OrchestratorFunction;
    const runtime = await startRuntime({
      storage,
      cacheSize,
      leaseMs: 300,
      orchestrators: { Flow },
      activities: {
        Slow: async (_: unknown, a: ActivityContext) => {
          while (!a.signal.aborted) await sleep(5);
          throw new Error('stopped');
        },
        Undo: (n: number) => `undo ${n}`,
      },
    });
    const id = await runtime.client.startNew('Flow');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    await runtime.client.requestCancel(id);
    const done = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(done.output).toEqual(['CancellationRequestedError:true', 'undo 1', 'undo 2']);
    const types = (await runtime.client.getStatus(id, { showHistory: true }))!.history!.map((e) => e.EventType);
    expect(types.filter((t) => t === 'ExecutionCancelRequested')).toHaveLength(1);
    expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(3);
    expect(types[types.length - 1]).toBe('ExecutionCompleted');
  });

  it('a delayed start canceled before it runs ends Canceled without running code', async () => {
    let ran = false;
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Later: function* () {
          ran = true;
          return 'ran';
        },
      },
    });
    const id = await runtime.client.startNew('Later', { startAt: new Date(Date.now() + 3_600_000) });
    await runtime.client.requestCancel(id, 'not now');
    const done = await runtime.client.waitForCompletion(id, { timeoutMs: 5_000 });
    expect(done).toMatchObject({ runtimeStatus: 'Canceled', output: 'not now' });
    expect(ran).toBe(false);
  });
});
