/**
 * Histories compared "modulo timestamps": times and random execution ids are
 * blanked, everything else (event types, order, names, ids, payloads) must
 * match a reference run of the same instances, uninterrupted, in memory.
 */
import { createRuntime } from '@reprise/core';
import type { HistoryEvent, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { workloads } from '../fixtures/workloads.js';

const BLANKED = new Set(['Timestamp', 'ExecutionId', 'TargetExecutionId', 'FireAt', 'StartedAt']);

export function normalize(history: HistoryEvent[]): Array<Record<string, unknown>> {
  return history.map((event) => Object.fromEntries(Object.entries(event).filter(([key]) => !BLANKED.has(key))));
}

export async function storedHistory(storage: Storage, hub: string, instanceId: string) {
  return normalize(await storage.getHistory(hub, instanceId));
}

/** Normalized histories of the given starts, each run without interruption on memory storage. */
export async function referenceHistories(starts: Array<{ name: string; instanceId: string; input: unknown }>) {
  const storage = memoryStorage();
  const runtime = createRuntime({ storage, taskHub: 'reference', logger: () => {}, ...workloads(() => {}) });
  await runtime.start();
  try {
    await Promise.all(starts.map((s) => runtime.client.startNew(s.name, { instanceId: s.instanceId, input: s.input })));
    const result = new Map<string, Array<Record<string, unknown>>>();
    for (const s of starts) {
      const status = await runtime.client.waitForCompletion(s.instanceId, { timeoutMs: 60_000 });
      if (status.runtimeStatus !== 'Completed') throw new Error(`reference run of ${s.instanceId}: ${status.runtimeStatus}`);
      result.set(s.instanceId, await storedHistory(storage, 'reference', s.instanceId));
    }
    return result;
  } finally {
    await runtime.stop();
    await storage.close();
  }
}
