/**
 * Q2 namespaces at scale: 100,000 instances spread over 10 namespaces (loaded
 * once, not timed), then `countInstances` and a filtered first page of one
 * namespace, ms per call (median of many calls). On SQLite and Redis both are
 * index lookups, so the time does not grow with the 90,000 instances of the
 * other namespaces.
 */
import { createRuntime } from '@reprise/core';
import type { Adapter, Result } from '../harness.js';
import { median, medianCallMs } from '../harness.js';

const TOTAL = 100_000;
const NAMESPACES = 10;
const CALLS = 50;

export async function namespaces(adapter: Adapter, runs: number, total = TOTAL): Promise<Result> {
  const storage = await adapter.create();
  const runtime = createRuntime({ storage, orchestrators: { Idle: function* () {} }, logger: () => {}, taskHub: 'q2' });
  const { client } = runtime;
  try {
    const loadStart = performance.now();
    for (let i = 0; i < total; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, total - i) }, (_, j) => client.startNew('Idle', { instanceId: `i${i + j}`, namespace: `ns${(i + j) % NAMESPACES}` })));
    }
    const loadMs = performance.now() - loadStart;
    const expected = total / NAMESPACES;
    const timeCalls = (call: () => Promise<unknown>) => medianCallMs(call, CALLS, 5);
    const all = [];
    for (let r = 0; r < runs; r++) {
      const count = await client.countInstances({ namespace: 'ns3' });
      if (count !== expected) throw new Error(`Q2: counted ${count}, expected ${expected}`);
      const page = await client.listInstances({ namespace: 'ns3', runtimeStatus: ['Pending'], pageSize: 100 });
      if (page.instances.length !== 100 || page.instances.some((s) => s.namespace !== 'ns3')) throw new Error('Q2: bad first page');
      all.push({
        countMs: await timeCalls(() => client.countInstances({ namespace: 'ns3' })),
        countPendingMs: await timeCalls(() => client.countInstances({ namespace: 'ns3', runtimeStatus: ['Pending'] })),
        firstPageMs: await timeCalls(() => client.listInstances({ namespace: 'ns3', runtimeStatus: ['Pending'], pageSize: 100 })),
        loadSeconds: loadMs / 1000,
      });
    }
    return { adapter: adapter.name, workload: `Q2 namespaces ${total / 1000}k/${NAMESPACES}`, runs: all, median: median(all) };
  } finally {
    await runtime.close();
  }
}
