/** The stores benchmarks run on: every adapter package present in the workspace. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from '@reprise/memory';
import type { Adapter } from './harness.js';

export async function availableAdapters(only: string[] | undefined): Promise<Adapter[]> {
  const adapters: Adapter[] = [{ name: 'memory', create: async () => memoryStorage() }];
  const wanted = (name: string) => !only || only.includes(name);

  if (wanted('sqlite')) {
    try {
      const { sqliteStorage } = await import('@reprise/sqlite');
      const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
      let n = 0;
      adapters.push({
        name: 'sqlite',
        create: async () => sqliteStorage({ path: join(dir, `bench-${n++}.db`) }),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      });
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
  return adapters.filter((a) => wanted(a.name));
}
