/** The stores benchmarks run on: every adapter package present in the workspace. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from '@reprise/memory';
import type { Adapter } from './harness.js';
import type { SharedAdapter } from './workloads/w6-scale-out.js';

export async function availableAdapters(only: string[] | undefined): Promise<Adapter[]> {
  const adapters: Adapter[] = [{ name: 'memory', create: async () => memoryStorage() }];
  const wanted = (name: string) => !only || only.includes(name);

  if (wanted('sqlite')) {
    try {
      const { sqliteStorage } = await import('@reprise/sqlite');
      const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
      let n = 0;
      const sqlite: SharedAdapter = {
        name: 'sqlite',
        create: async () => sqliteStorage({ path: join(dir, `bench-${n++}.db`) }),
        async createShared() {
          const path = join(dir, `bench-${n++}.db`);
          return { storage: sqliteStorage({ path }), workerEnv: { REPRISE_SQLITE_PATH: path } };
        },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
      adapters.push(sqlite);
    } catch (error) {
      console.warn(`[bench] sqlite adapter unavailable: ${(error as Error).message}`);
    }
  }
  if (wanted('redis')) {
    try {
      const { redisAdapter } = await import('./redis-adapter.js');
      adapters.push(await redisAdapter());
    } catch (error) {
      console.warn(`[bench] redis adapter unavailable: ${(error as Error).message}`);
    }
  }
  // A partitioned hub on a real Redis Cluster: `--only redis-cluster` (K = 1 and K = 12).
  if (only?.includes('redis-cluster')) {
    try {
      const { redisClusterAdapters } = await import('./redis-cluster-adapter.js');
      adapters.push(...(await redisClusterAdapters([1, 12])));
    } catch (error) {
      console.warn(`[bench] redis-cluster adapter unavailable: ${(error as Error).message}`);
    }
  }
  return adapters.filter((a) => wanted(a.name) || (only?.includes('redis-cluster') && a.name.startsWith('redis-cluster')));
}
