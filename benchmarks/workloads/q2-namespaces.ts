/**
 * Q2: namespace counts and filtered pages at scale. 100,000 orchestration
 * instances in 10 namespaces (10,000 each, statuses mixed) are written once
 * per adapter through the store; then, in one namespace:
 * - countInstances({ namespace }) and countInstances({ namespace, runtimeStatus: ['Failed'] }),
 * - the first page (100) of queryInstances({ namespace, runtimeStatus: ['Failed'] }),
 *   and of queryInstances({ namespace }),
 * each called repeatedly: milliseconds per call. An index lookup stays flat
 * as the hub grows; a scan would read all 100,000 rows per call.
 */
import type { InstanceRecord, NewMessage, RuntimeStatus, Storage } from '@reprise/core';
import type { Adapter, Metrics, Result } from '../harness.js';
import { median } from '../harness.js';

export const Q2_INSTANCES = 100_000;
const NAMESPACES = 10;
const BATCH = 1000;
const CALLS = 20;
const STATUSES: RuntimeStatus[] = ['Completed', 'Completed', 'Running', 'Failed', 'Pending'];

async function seed(storage: Storage, hub: string): Promise<void> {
  const t0 = Date.UTC(2024, 0, 1);
  for (let start = 0; start < Q2_INSTANCES; start += BATCH) {
    const messages: NewMessage[] = [];
    for (let i = start; i < Math.min(start + BATCH, Q2_INSTANCES); i++) {
      const instanceId = `q2-${i}`;
      const record: InstanceRecord = {
        instanceId,
        kind: 'orchestration',
        name: 'Q2',
        executionId: 'e',
        status: STATUSES[Math.floor(i / NAMESPACES) % STATUSES.length]!,
        createdAt: t0 + i,
        updatedAt: t0 + i,
        historyLength: 0,
        namespace: `ns${i % NAMESPACES}`,
      };
      messages.push({ instanceId, event: { EventType: 'ExecutionStarted', Timestamp: new Date(t0).toISOString(), Name: 'Q2', ExecutionId: 'e' }, createIfMissing: record });
    }
    await storage.sendMessages(hub, messages);
  }
}

async function msPerCall(call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await call();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  return (performance.now() - started) / CALLS;
}

export async function namespaceQueries(adapter: Adapter, runs: number): Promise<Result> {
  const storage = await adapter.create();
  await storage.open();
  const hub = 'q2';
  try {
    await seed(storage, hub);
    const namespace = 'ns3';
    const all: Metrics[] = [];
    for (let run = 0; run < runs; run++) {
      all.push({
        countMs: await msPerCall(() => storage.countInstances(hub, { namespace })),
        countFailedMs: await msPerCall(() => storage.countInstances(hub, { namespace, runtimeStatus: ['Failed'] })),
        firstPageMs: await msPerCall(() => storage.queryInstances(hub, { namespace, runtimeStatus: ['Failed'], pageSize: 100 })),
        firstPageAnyStatusMs: await msPerCall(() => storage.queryInstances(hub, { namespace, pageSize: 100 })),
      });
    }
    return { adapter: adapter.name, workload: 'Q2 namespace count/page, 100k', runs: all, median: median(all) };
  } finally {
    await storage.close();
  }
}
