/**
 * Issue 12, defect 2: a 100,000-deep `[[…]]` payload was a RangeError (stack
 * overflow) and one nested ~2,500 deep was stored and then broke reads. Every
 * payload is now refused past MAX_PAYLOAD_DEPTH with a NotSerializableError,
 * before anything is stored, and a stored value never makes a read fail.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH, NotSerializableError, createRuntime, deserialize, entityId, serialize } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

/** `[[…[0]…]]` with `levels` arrays. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function depthOf(value: unknown): number {
  let depth = 0;
  while (Array.isArray(value)) {
    depth += 1;
    value = value[0];
  }
  return depth;
}

const orchestrators = {
  Wait: function* (ctx: OrchestrationContext) {
    const data: unknown = yield ctx.waitForExternalEvent('Go');
    return data;
  },
};
const entities = { Box: { put: (ctx: { setState(s: unknown): void; getInput(): unknown }) => ctx.setState(ctx.getInput()) } };

describe('payload nesting limit', () => {
  it('is 512 levels, exported', () => {
    expect(MAX_PAYLOAD_DEPTH).toBe(512);
  });

  it('serializes exactly MAX_PAYLOAD_DEPTH levels and refuses one more, in every container kind', () => {
    expect(depthOf(deserialize(serialize(nested(MAX_PAYLOAD_DEPTH), 'x')))).toBe(MAX_PAYLOAD_DEPTH);
    expect(() => serialize(nested(MAX_PAYLOAD_DEPTH + 1), 'x')).toThrow(NotSerializableError);
    let object: unknown = 1;
    for (let i = 0; i < MAX_PAYLOAD_DEPTH + 1; i++) object = { a: object };
    expect(() => serialize(object, 'x')).toThrow(/nested more than 512 levels/);
    // Non-JSON containers go through superjson, which recurses too.
    let map: unknown = new Date(0);
    for (let i = 0; i < MAX_PAYLOAD_DEPTH + 1; i++) map = new Map([['k', map]]);
    expect(() => serialize(map, 'x')).toThrow(NotSerializableError);
    // A Date at the bottom does not count as a level.
    let dated: unknown = new Date(0);
    for (let i = 0; i < MAX_PAYLOAD_DEPTH; i++) dated = [dated];
    expect(deserialize(serialize(dated, 'x'))).toEqual(dated);
  });

  it('throws a typed error, not a RangeError, for a 100,000-deep value', () => {
    const error = (() => {
      try {
        serialize(nested(100_000), 'input');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NotSerializableError);
    expect((error as Error).message).toMatch(/^input is not serializable: nested more than 512 levels deep at \$\[0\]/);
  });

  it('still reports functions, cycles and class instances with their path', () => {
    expect(() => serialize({ a: [1, { f: () => 1 }] }, 'v')).toThrow('v is not serializable: function at $.a[1].f');
    const cyclic: Record<string, unknown> = { b: {} };
    (cyclic.b as Record<string, unknown>).self = cyclic;
    expect(() => serialize(cyclic, 'v')).toThrow('circular reference at $.b.self');
    const shared = { x: 1 };
    expect(deserialize(serialize({ a: shared, b: shared }, 'v'))).toEqual({ a: { x: 1 }, b: { x: 1 } });
    expect(() => serialize([new (class Widget {})()], 'v')).toThrow('instance of Widget at $[0]');
  });

  it('refuses too-deep input on every client path before storing anything', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators, entities, logger: () => {} });
    const deep = nested(100_000);
    await expect(runtime.client.startNew('Wait', { input: deep })).rejects.toBeInstanceOf(NotSerializableError);
    await expect(runtime.client.startNew('Wait', { instanceId: 'edge', input: nested(MAX_PAYLOAD_DEPTH + 1) })).rejects.toBeInstanceOf(NotSerializableError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);

    const id = await runtime.client.startNew('Wait', { instanceId: 'w' });
    await expect(runtime.client.raiseEvent(id, 'Go', deep)).rejects.toBeInstanceOf(NotSerializableError);
    await expect(runtime.client.terminate(id, deep)).rejects.toBeInstanceOf(NotSerializableError);
    await expect(runtime.client.suspend(id, deep)).rejects.toBeInstanceOf(NotSerializableError);
    await expect(runtime.client.resume(id, deep)).rejects.toBeInstanceOf(NotSerializableError);
    await expect(runtime.client.signalEntity(entityId('Box', 'k'), 'put', deep)).rejects.toBeInstanceOf(NotSerializableError);
    const page = await storage.queryInstances('default', {});
    expect(page.instances.map((r) => r.instanceId)).toEqual(['w']);
  });

  it('carries a value at the limit through an orchestration and reads it back', async () => {
    const runtime = await startRuntime({ orchestrators });
    const id = await runtime.client.startNew('Wait', { input: nested(MAX_PAYLOAD_DEPTH) });
    await runtime.client.raiseEvent(id, 'Go', nested(MAX_PAYLOAD_DEPTH));
    const done = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(done.runtimeStatus).toBe('Completed');
    expect(depthOf(done.output)).toBe(MAX_PAYLOAD_DEPTH);
    expect(depthOf((await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true }))!.input)).toBe(MAX_PAYLOAD_DEPTH);
  });

  it('fails an activity or orchestrator whose output is too deep with a catchable NotSerializableError', async () => {
    const runtime = await startRuntime({
      activities: { Deep: () => nested(MAX_PAYLOAD_DEPTH + 1) },
      orchestrators: {
        CatchDeep: function* (ctx: OrchestrationContext) {
          try {
            yield ctx.callActivity('Deep');
            return 'no error';
          } catch (error) {
            return (error as Error).name;
          }
        },
        ReturnDeep: function* () {
          return nested(100_000);
        },
      },
    });
    const caught = await runtime.client.startNew('CatchDeep');
    expect((await runtime.client.waitForCompletion(caught, { timeoutMs: 5000 })).output).toBe('NotSerializableError');
    const failed = await runtime.client.startNew('ReturnDeep');
    const status = await runtime.client.waitForCompletion(failed, { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ name: 'NotSerializableError' });
  });

  it('reads a value crafted into storage far deeper than the limit', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators, logger: () => {} });
    await runtime.client.listInstances(); // opens the store
    const text = `{"json":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const now = Date.now();
    await storage.createInstance(
      'default',
      { instanceId: 'crafted', kind: 'orchestration', name: 'Wait', executionId: 'e', status: 'Completed', createdAt: now, updatedAt: now, historyLength: 0, input: text, output: text },
      { instanceId: 'crafted', event: { EventType: 'ExecutionStarted', Timestamp: new Date(now).toISOString(), Name: 'Wait', ExecutionId: 'e' } },
    );
    const status = await runtime.client.getStatus('crafted');
    expect(depthOf(status!.output)).toBe(100_000);
    expect((await runtime.client.listInstances()).instances).toHaveLength(1);
  });
});
