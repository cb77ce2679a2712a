// Offset paging in listInstances, and deleteInstance: terminal purged now, queued canceled and purged now,
// running canceled then purged once it ended by the durable purge orchestration (also across a restart).
import { describe, expect, it } from 'vitest';
import { InstanceNotFoundError, InvalidArgumentError, createRuntime } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, startRuntime } from './helpers.js';

const Echo = function* (ctx: OrchestrationContext) {
  return ctx.getInput();
};
const Idle = function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
  return yield ctx.waitForExternalEvent('go');
};
// Catches the cancellation and keeps running until 'go': a run that outlives the delete request.
const Stubborn = function* (ctx: OrchestrationContext) {
  try {
    yield ctx.waitForExternalEvent('never');
  } catch {
    yield ctx.waitForExternalEvent('go');
  }
  return 'done';
};

describe('listInstances offset', () => {
  it('skips that many matching instances, in page order, across store pages, and says when more follow', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators: { Echo } });
    for (let i = 0; i < 25; i++) await runtime.client.startNew('Echo', { instanceId: `r${String(i).padStart(2, '0')}`, namespace: 'ns' });
    await runtime.client.startNew('Echo', { instanceId: 'other', namespace: 'elsewhere' });
    const all = (await runtime.client.listInstances({ namespace: 'ns', pageSize: 100 })).instances.map((s) => s.instanceId);
    expect(all).toHaveLength(25);
    const page = await runtime.client.listInstances({ namespace: 'ns', offset: 10, pageSize: 5 });
    expect(page.instances.map((s) => s.instanceId)).toEqual(all.slice(10, 15));
    expect(page.continuationToken).toBeDefined();
    const next = await runtime.client.listInstances({ namespace: 'ns', pageSize: 5, continuationToken: page.continuationToken! });
    expect(next.instances.map((s) => s.instanceId)).toEqual(all.slice(15, 20));
    const tail = await runtime.client.listInstances({ namespace: 'ns', offset: 20, pageSize: 10 });
    expect(tail.instances.map((s) => s.instanceId)).toEqual(all.slice(20));
    expect(tail.continuationToken).toBeUndefined();
    expect((await runtime.client.listInstances({ namespace: 'ns', offset: 99 })).instances).toEqual([]);
  });

  it.each([[-1], [1.5], [Number.NaN], ['3']])('refuses offset %s with InvalidArgumentError', async (offset) => {
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators: { Echo } });
    await expect(runtime.client.listInstances({ offset: offset as number })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('deleteInstance', () => {
  it('purges a terminal instance now and refuses an unknown one', async () => {
    const runtime = await startRuntime({ orchestrators: { Echo } });
    const id = await runtime.client.startNew('Echo', { input: 1 });
    await runtime.client.waitForCompletion(id);
    expect(await runtime.client.deleteInstance(id)).toBe('purged');
    expect(await runtime.client.getStatus(id)).toBeUndefined();
    await expect(runtime.client.deleteInstance(id)).rejects.toBeInstanceOf(InstanceNotFoundError);
  });

  it('cancels a queued instance and purges it now', async () => {
    const runtime = await startRuntime({ orchestrators: { Idle } });
    const concurrency = { group: 'g', limit: 1 };
    const first = await runtime.client.startNew('Idle', { concurrency });
    const queued = await runtime.client.startNew('Idle', { concurrency });
    expect((await runtime.client.getStatus(queued))?.queue).toBeDefined();
    expect(await runtime.client.deleteInstance(queued)).toBe('purged');
    expect(await runtime.client.getStatus(queued)).toBeUndefined();
    expect((await runtime.client.getStatus(first))?.runtimeStatus).not.toBe('Canceled');
  });

  it('requests cancellation of a running instance and purges it once it has ended', async () => {
    const runtime = await startRuntime({ orchestrators: { Idle } });
    const id = await runtime.client.startNew('Idle');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    // 'purged' when the cancellation ended it before the call returned, else the purge orchestration does it.
    expect(['purged', 'pending']).toContain(await runtime.client.deleteInstance(id, 'deleted'));
    await eventually(async () => (await runtime.client.getStatus(id)) === undefined);
    // The purge orchestration is hidden from lists.
    expect((await runtime.client.listInstances()).instances).toEqual([]);
  });

  it('keeps the intent across a restart: a run that outlives the request is purged when it ends later', async () => {
    const storage = memoryStorage();
    const first = await startRuntime({ storage, orchestrators: { Stubborn } });
    const id = await first.client.startNew('Stubborn');
    await eventually(async () => (await first.client.getStatus(id))?.runtimeStatus === 'Running');
    expect(await first.client.deleteInstance(id)).toBe('pending');
    await eventually(async () => (await first.client.getStatus(id, { showHistory: true }))?.history?.some((e) => e.EventType === 'ExecutionCancelRequested'));
    await first.stop();
    expect((await first.client.getStatus(id))?.runtimeStatus).toBe('Running');
    const second = await startRuntime({ storage, orchestrators: { Stubborn } });
    await second.client.raiseEvent(id, 'go');
    await eventually(async () => (await second.client.getStatus(id)) === undefined, { timeoutMs: 20_000, what: 'the purge after the run ended' });
  });
});
