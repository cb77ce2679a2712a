/**
 * What packages built on the runtime read back from it: `runtime.getOrchestrator`
 * (the function registered under a name) and `ctx.client` in activities (the
 * runtime's own client, as the Durable Functions client binding).
 */
import { describe, expect, it } from 'vitest';
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { startRuntime } from './helpers.js';

describe('runtime.getOrchestrator', () => {
  it('finds a function registered by name or by handle, and nothing else', async () => {
    const byName = function* (_ctx: OrchestrationContext) {
      return 1;
    };
    const handle = defineOrchestrator('ByHandle', function* () {
      return 2;
    });
    const runtime = await startRuntime({ orchestrators: { ByName: byName, ByHandle: handle } });
    expect(runtime.getOrchestrator('ByName')).toBe(byName);
    expect(runtime.getOrchestrator('ByHandle')).toBe(handle.fn);
    expect(runtime.getOrchestrator('Missing')).toBeUndefined();
    expect(runtime.getOrchestrator(42 as unknown as string)).toBeUndefined();
  });
});

describe('ctx.client in activities', () => {
  it('is the runtime client: an activity starts and reads another instance', async () => {
    const child = defineOrchestrator('Child', function* (ctx: OrchestrationContext<number>) {
      return ctx.getInput() * 10;
    });
    const spawn = defineActivity('Spawn', async (n: number, ctx) => {
      const client = ctx.client!;
      const id = await client.startNew(child, { input: n, instanceId: `child-${n}` });
      const done = await client.waitForCompletion(id, { timeoutMs: 10_000 });
      return { id, output: done.output, same: client === runtimeRef.client };
    });
    const parent = defineOrchestrator('Parent', function* (ctx: OrchestrationContext<number>) {
      return yield* ctx.callActivity(spawn, ctx.getInput());
    });
    const runtimeRef = await startRuntime({ orchestrators: [child, parent], activities: [spawn] });
    const id = await runtimeRef.client.startNew(parent, { input: 4 });
    const status = await runtimeRef.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ id: 'child-4', output: 40, same: true });
  });
});
