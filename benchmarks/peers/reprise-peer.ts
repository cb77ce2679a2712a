/** Reprise's own W3 rows, run in a child process like the peers so CPU is measured the same way. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { events as w5 } from '../workloads/w5-events.js';
import { throughputDefinitions } from '../workloads/w3-throughput.js';
import { checkOutput, latencies, startAll } from './program.js';
import type { PeerProgram } from './program.js';

export async function reprisePeer(store: 'sqlite' | 'sqlite-full' | 'redis'): Promise<PeerProgram> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-peer-'));
  let n = 0;
  const open = async (): Promise<Storage> => {
    if (store === 'redis') {
      const { redisStorage } = await import('@reprise/redis');
      return redisStorage({ url: process.env.PEER_REDIS_URL! });
    }
    const { sqliteStorage } = await import('@reprise/sqlite');
    return sqliteStorage({ path: join(dir, `w3-${n++}.db`), synchronous: store === 'sqlite-full' ? 'FULL' : 'NORMAL' });
  };
  return {
    async run(mode, count, tag) {
      const storage = await open();
      const runtime = createRuntime({ storage, ...throughputDefinitions, logger: () => {}, taskHub: `peers-${tag}` });
      await runtime.start();
      try {
        const ids = await startAll(mode, count, (i) => runtime.client.startNew('ThreeSteps', { input: i }));
        const statuses = await Promise.all(ids.map((id) => runtime.client.waitForCompletion(id, { timeoutMs: 600_000 })));
        statuses.forEach((s, i) => checkOutput(`reprise-${store}`, i, s.output));
      } finally {
        await runtime.stop();
        await storage.close();
      }
    },
    // W5 as the workload runs it (workloads/w5-events.ts), for n instances.
    async events(count, tag) {
      const storage = await open();
      const runtime = createRuntime({ storage, ...w5.definitions, logger: () => {}, taskHub: `peers-${tag}` });
      await runtime.start();
      try {
        const { client } = runtime;
        const ids = await Promise.all(Array.from({ length: count }, () => client.startNew('AwaitEvent')));
        for (const id of ids) while ((await client.getStatus(id))?.runtimeStatus !== 'Running') await new Promise((r) => setTimeout(r, 2));
        return await latencies(ids, async (id) => {
          await client.raiseEvent(id, 'Go', 1);
          const status = await client.waitForCompletion(id, { timeoutMs: 60_000 });
          if (status.output !== 1) throw new Error(`reprise-${store} W5: ${id} returned ${String(status.output)}`);
        });
      } finally {
        await runtime.stop();
        await storage.close();
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
