// listInstances and countInstances filter by orchestrator name (the dashboard's orchestrator filter).
import { describe, expect, it } from 'vitest';
import { createRuntime, isRepriseError } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

describe('client lists by orchestrator name', () => {
  it('name is an exact match, combined with the other filters; a bad name is an InvalidArgumentError', async () => {
    const wait = function* (ctx: OrchestrationContext) {
      yield ctx.waitForExternalEvent('never');
    };
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators: { Alpha: wait, AlphaBeta: wait }, logger: () => {} });
    await runtime.client.startNew('Alpha', { instanceId: 'a1' });
    await runtime.client.startNew('Alpha', { instanceId: 'a2', namespace: 'ns' });
    await runtime.client.startNew('AlphaBeta', { instanceId: 'b1' });
    const ids = async (filter: Parameters<typeof runtime.client.listInstances>[0]) => (await runtime.client.listInstances(filter)).instances.map((i) => i.instanceId).sort();
    expect(await ids({ name: 'Alpha' })).toEqual(['a1', 'a2']);
    expect(await ids({ name: 'Alpha', namespace: 'ns' })).toEqual(['a2']);
    expect(await ids({ name: 'AlphaBeta' })).toEqual(['b1']);
    expect(await runtime.client.countInstances({ name: 'Alpha' })).toBe(2);
    expect(await runtime.client.countInstances({ name: 'Alpha', runtimeStatus: ['Pending'], namespace: '' })).toBe(1);
    const error = await runtime.client.listInstances({ name: '' }).catch((e: unknown) => e);
    expect(isRepriseError(error, 'INVALID_ARGUMENT')).toBe(true);
    await runtime.close();
  });
});
