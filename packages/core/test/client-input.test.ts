import { describe, expect, it } from 'vitest';
import {
  InstanceExistsError,
  InvalidArgumentError,
  NotSerializableError,
  UnknownOrchestratorError,
  createRuntime,
} from '@reprise/core';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

const orchestrators = {
  Echo: function* (ctx: OrchestrationContext) {
    const event = yield ctx.waitForExternalEvent('Data');
    return { input: ctx.getInput(), event };
  },
} satisfies Record<string, OrchestratorFunction>;

describe('bad input gets a typed error and stores nothing', () => {
  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['question mark', 'a?b'],
    ['hash', 'a#b'],
    ['control character', 'a\u0001b'],
    ['newline', 'a\nb'],
  ])('rejects an instance id with %s', async (_label, instanceId) => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators });
    await expect(runtime.client.startNew('Echo', { instanceId })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);
  });

  it('accepts a 256-character id', async () => {
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators });
    await expect(runtime.client.startNew('Echo', { instanceId: 'x'.repeat(256) })).resolves.toBe('x'.repeat(256));
  });

  it('rejects an unknown orchestrator name', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators });
    await expect(runtime.client.startNew('Nope')).rejects.toBeInstanceOf(UnknownOrchestratorError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);
  });

  it('rejects starting an id that is still running, leaving it untouched', async () => {
    const runtime = await startRuntime({ orchestrators });
    await runtime.client.startNew('Echo', { instanceId: 'busy', input: 1 });
    await expect(runtime.client.startNew('Echo', { instanceId: 'busy', input: 2 })).rejects.toBeInstanceOf(InstanceExistsError);
    await runtime.client.raiseEvent('busy', 'Data', 'x');
    expect((await runtime.client.waitForCompletion('busy', { timeoutMs: 5000 })).output).toEqual({ input: 1, event: 'x' });
  });

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a class instance', new (class Widget {})()],
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })()],
  ])('rejects non-serializable input: %s', async (_label, input) => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators });
    await expect(runtime.client.startNew('Echo', { input })).rejects.toBeInstanceOf(NotSerializableError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);
    const id = await runtime.client.startNew('Echo');
    await expect(runtime.client.raiseEvent(id, 'Data', { nested: [input] })).rejects.toBeInstanceOf(NotSerializableError);
  });

  it('rejects bad runtime options and filters', async () => {
    expect(() => createRuntime({ storage: memoryStorage(), orchestrators, leaseMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => createRuntime({ storage: memoryStorage(), orchestrators, taskHub: 'a b' })).toThrow(InvalidArgumentError);
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators });
    await expect(runtime.client.listInstances({ runtimeStatus: ['Sleeping'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.listInstances({ createdTimeFrom: new Date('nope') })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.listInstances({ continuationToken: 'garbage!' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.purgeInstanceHistoryBy({} as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('data round trips through superjson', () => {
  it('keeps Date, Map, Set, BigInt and undefined in inputs, outputs, events and custom status', async () => {
    const runtime = await startRuntime({
      activities: { Touch: (v: { when: Date; tags: Set<string> }) => ({ ...v, seen: v.when instanceof Date && v.tags instanceof Set }) },
      orchestrators: {
        Types: function* (ctx: OrchestrationContext<{ when: Date; big: bigint; map: Map<string, number>; tags: Set<string>; gone: undefined }>) {
          const input = ctx.getInput();
          ctx.setCustomStatus({ at: input.when, big: input.big });
          const touched = yield ctx.callActivity('Touch', { when: input.when, tags: input.tags });
          const event = yield ctx.waitForExternalEvent('Data');
          return { input, touched, event, inputKeys: Object.keys(input) };
        },
      },
    });
    const input = { when: new Date('2024-02-29T12:00:00Z'), big: 2n ** 70n, map: new Map([['a', 1]]), tags: new Set(['x', 'y']), gone: undefined };
    const id = await runtime.client.startNew('Types', { input });
    await runtime.client.raiseEvent(id, 'Data', new Map([[1, new Date(0)]]));
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const output = status.output as Record<string, unknown>;
    expect(output.input).toEqual(input);
    expect(output.inputKeys).toContain('gone');
    expect(output.touched).toEqual({ when: input.when, tags: input.tags, seen: true });
    expect(output.event).toEqual(new Map([[1, new Date(0)]]));
    expect(status.customStatus).toEqual({ at: input.when, big: 2n ** 70n });
    expect(status.input).toEqual(input);
  });
});

describe('queries', () => {
  it('lists with filters and continuation tokens, and getStatusBy / getStatusAll gather every page', async () => {
    const runtime = await startRuntime({
      orchestrators: {
        ...orchestrators,
        Done: function* () {
          return 'ok';
        },
      },
    });
    const t0 = new Date(Date.now() - 1);
    for (let i = 0; i < 12; i++) await runtime.client.startNew('Echo', { instanceId: `order-${String(i).padStart(2, '0')}`, input: i });
    for (let i = 0; i < 5; i++) await runtime.client.waitForCompletion(await runtime.client.startNew('Done', { instanceId: `done-${i}` }), { timeoutMs: 5000 });
    const t1 = new Date();

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await runtime.client.listInstances({ instanceIdPrefix: 'order-', pageSize: 5, ...(token && { continuationToken: token }) });
      expect(page.instances.length).toBeLessThanOrEqual(5);
      seen.push(...page.instances.map((s) => s.instanceId));
      token = page.continuationToken;
    } while (token);
    expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `order-${String(i).padStart(2, '0')}`));

    const completed = await runtime.client.getStatusBy({ runtimeStatus: ['Completed'] });
    expect(completed.map((s) => s.instanceId).sort()).toEqual(['done-0', 'done-1', 'done-2', 'done-3', 'done-4']);
    expect(await runtime.client.getStatusBy({ createdTimeFrom: t0, createdTimeTo: t1 })).toHaveLength(17);
    expect(await runtime.client.getStatusBy({ createdTimeFrom: new Date(t1.getTime() + 60_000) })).toHaveLength(0);
    expect(await runtime.client.getStatusAll()).toHaveLength(17);
    const noInput = await runtime.client.listInstances({ instanceIdPrefix: 'order-0', showInput: false });
    expect(noInput.instances.every((s) => s.input === undefined)).toBe(true);
  });

  it('waitForCompletion times out with a typed error', async () => {
    const runtime = await startRuntime({ orchestrators });
    const id = await runtime.client.startNew('Echo');
    await expect(runtime.client.waitForCompletion(id, { timeoutMs: 30 })).rejects.toMatchObject({ name: 'TimeoutError', code: 'TIMEOUT' });
  });

  it('the client works without start(); a later start() runs what was queued', async () => {
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators, logger: () => {} });
    const id = await runtime.client.startNew('Echo', { input: 'early' });
    expect((await runtime.client.getStatus(id))!.runtimeStatus).toBe('Pending');
    await runtime.client.raiseEvent(id, 'Data', 'e');
    await runtime.start();
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toEqual({ input: 'early', event: 'e' });
    await runtime.stop();
  });

  it('task hubs sharing one store are isolated', async () => {
    const storage = memoryStorage();
    const a = await startRuntime({ storage, taskHub: 'hub-a', orchestrators });
    const b = await startRuntime({ storage, taskHub: 'hub-b', orchestrators });
    await a.client.startNew('Echo', { instanceId: 'same', input: 'a' });
    await b.client.startNew('Echo', { instanceId: 'same', input: 'b' });
    await a.client.raiseEvent('same', 'Data', 1);
    expect((await a.client.waitForCompletion('same', { timeoutMs: 5000 })).output).toEqual({ input: 'a', event: 1 });
    expect((await b.client.getStatus('same'))!.runtimeStatus).not.toBe('Completed');
    expect(await b.client.getStatusAll()).toHaveLength(1);
  });
});

describe('hostile keys', () => {
  it('keeps a __proto__ key as plain data and pollutes nothing', async () => {
    const runtime = await startRuntime({ orchestrators });
    const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "ok": 1}') as Record<string, unknown>;
    const id = await runtime.client.startNew('Echo', { input });
    await runtime.client.raiseEvent(id, 'Data', JSON.parse('{"__proto__": {"polluted": true}}'));
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const output = status.output as { input: Record<string, unknown>; event: Record<string, unknown> };
    expect(Object.hasOwn(output.input, '__proto__')).toBe(true);
    expect(output.input.ok).toBe(1);
    expect(Object.hasOwn(output.event, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
