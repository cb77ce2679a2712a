/**
 * Issue 12, defect 1: `.` and `..` cannot travel as a URL path segment (every
 * URL parser resolves them), so an instance `.` could be reached by no URL and
 * its own purge URL purged the hub. The client refuses them as instance ids,
 * event names, entity names and keys, before storing anything.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRuntime, entityId, validateInstanceId } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

const orchestrators = {
  Wait: function* (ctx: OrchestrationContext) {
    const data: unknown = yield ctx.waitForExternalEvent('Go');
    return data;
  },
};
const entities = { Counter: { add: () => {} } };

describe.each(['.', '..'])('%s as an id or name', (dots) => {
  it('is refused as an instance id', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators, logger: () => {} });
    expect(() => validateInstanceId(dots)).toThrow(InvalidArgumentError);
    await expect(runtime.client.startNew('Wait', { instanceId: dots })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.getStatus(dots)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.purgeInstanceHistory(dots)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.terminate(dots)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);
  });

  it('is refused as an event name', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators, logger: () => {} });
    const id = await runtime.client.startNew('Wait', { instanceId: 'w' });
    await expect(runtime.client.raiseEvent(id, dots, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await storage.getHistory('default', id)).toHaveLength(0);
  });

  it('is refused as an entity name or key', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, orchestrators, entities, logger: () => {} });
    await expect(runtime.client.signalEntity(entityId('Counter', dots), 'add', 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.signalEntity({ name: dots, key: 'k' }, 'add', 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.client.readEntityState(entityId('Counter', dots))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await storage.queryInstances('default', {})).instances).toHaveLength(0);
  });
});

it('accepts ids and names that only contain dots among other characters', async () => {
  const runtime = createRuntime({ storage: memoryStorage(), orchestrators, entities, logger: () => {} });
  for (const id of ['...', '.a', 'a.', 'a..b', '%2e']) expect(await runtime.client.startNew('Wait', { instanceId: id })).toBe(id);
  await runtime.client.raiseEvent('.a', '...', 1);
  await runtime.client.signalEntity(entityId('Counter', '...'), 'add', 1);
});
