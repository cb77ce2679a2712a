/**
 * Core reads never fail because of a stored value: a payload that is not
 * JSON, or JSON whose superjson meta does not decode (only a store written by
 * other means holds one), is shown as a `[not shown: …]` note in status,
 * list and history reads instead of throwing.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { HistoryEvent, Runtime, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

const NOT_JSON = 'not json{';
/** Valid JSON, but superjson cannot apply its meta. */
const NOT_SUPERJSON = '{"json":{"a":1},"meta":{"values":{"a":["bogus"]}}}';
const NOT_JSON_NOTE = '[not shown: the stored value is not valid JSON]';
const NOT_DECODED_NOTE = '[not shown: the stored value cannot be decoded]';

/**
 * Writes a completed instance whose every payload is corrupt, through the
 * Storage API only: created, locked and committed as a worker would.
 */
async function storeCorruptInstance(storage: Storage, hub: string, instanceId: string): Promise<void> {
  const now = Date.now();
  const timestamp = new Date(now).toISOString();
  const record = { instanceId, kind: 'orchestration' as const, name: 'Echo', executionId: 'e', createdAt: now, updatedAt: now };
  await storage.createInstance(hub, { ...record, status: 'Pending', historyLength: 0, input: NOT_JSON }, { instanceId, event: { EventType: 'ExecutionStarted', Timestamp: timestamp, Name: 'Echo', ExecutionId: 'e' } });
  const locked = (await storage.lockInstances(hub, { max: 10, leaseMs: 60_000 })).items.find((i) => i.instance.instanceId === instanceId);
  if (!locked) throw new Error(`could not lock ${instanceId}`);
  const history: HistoryEvent[] = [
    { EventType: 'ExecutionStarted', Timestamp: timestamp, Name: 'Echo', ExecutionId: 'e', Input: NOT_JSON },
    { EventType: 'ExecutionSuspended', Timestamp: timestamp, Reason: NOT_SUPERJSON },
    { EventType: 'ExecutionCompleted', Timestamp: timestamp, OrchestrationStatus: 'Completed', Result: NOT_JSON },
  ];
  await storage.commitOrchestration(hub, {
    instanceId,
    lockToken: locked.lockToken,
    instance: { ...record, status: 'Completed', historyLength: history.length, input: NOT_JSON, output: NOT_JSON, customStatus: NOT_SUPERJSON },
    history: { append: history },
    consumedMessageIds: locked.messages.map((m) => m.id),
    messages: [],
    activities: [],
    logs: [],
  });
}

async function runtimeWithCorruptInstance(): Promise<Runtime> {
  const storage = memoryStorage();
  // Not started: nothing but the test touches the store.
  const runtime = createRuntime({ storage, orchestrators: { Echo: function* () {} }, logger: () => {} });
  await runtime.client.listInstances(); // opens the store
  await storeCorruptInstance(storage, runtime.taskHub, 'corrupt');
  return runtime;
}

describe('a corrupt stored payload', () => {
  it('reads as a note in getStatus, with and without history', async () => {
    const runtime = await runtimeWithCorruptInstance();
    const status = await runtime.client.getStatus('corrupt', { showHistory: true, showHistoryOutput: true });
    expect(status).toMatchObject({ instanceId: 'corrupt', runtimeStatus: 'Completed', input: NOT_JSON_NOTE, output: NOT_JSON_NOTE, customStatus: NOT_DECODED_NOTE });
    expect(status!.history).toMatchObject([
      { EventType: 'ExecutionStarted', Input: NOT_JSON_NOTE },
      { EventType: 'ExecutionSuspended', Reason: NOT_DECODED_NOTE },
      { EventType: 'ExecutionCompleted', Result: NOT_JSON_NOTE },
    ]);
    // Reasons are decoded even without showHistoryOutput.
    const quiet = await runtime.client.getStatus('corrupt', { showHistory: true });
    expect(quiet!.history![1]).toMatchObject({ Reason: NOT_DECODED_NOTE });
    expect(quiet!.history![0]).not.toHaveProperty('Input');
  });

  it('reads as a note in listInstances and waitForCompletion', async () => {
    const runtime = await runtimeWithCorruptInstance();
    const page = await runtime.client.listInstances({ showInput: true });
    expect(page.instances).toHaveLength(1);
    expect(page.instances[0]).toMatchObject({ input: NOT_JSON_NOTE, output: NOT_JSON_NOTE, customStatus: NOT_DECODED_NOTE });
    expect((await runtime.client.waitForCompletion('corrupt', { timeoutMs: 1000 })).output).toBe(NOT_JSON_NOTE);
  });
});
