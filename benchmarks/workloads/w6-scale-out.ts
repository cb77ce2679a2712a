/**
 * W6 scale-out: W3 with 1, 2 and 4 worker processes sharing one store
 * (SQLite file or Redis), the client in this process starting and awaiting.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import type { Adapter, Metrics, Result } from '../harness.js';
import { median } from '../harness.js';
import { N_ORCHESTRATIONS, throughputDefinitions } from './w3-throughput.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface SharedAdapter extends Adapter {
  /** A fresh store, and the environment that lets benchmarks/worker.ts open the same one. */
  createShared(): Promise<{ storage: Storage; workerEnv: Record<string, string> }>;
}

export async function scaleOut(adapter: Adapter, runs: number, workerCounts: number[] = [1, 2, 4]): Promise<Result[]> {
  if (!('createShared' in adapter)) return [];
  const shared = adapter as SharedAdapter;
  const results: Result[] = [];
  for (const workers of workerCounts) {
    const samples: Metrics[] = [];
    for (let i = 0; i <= runs; i++) {
      const metrics = await once(shared, workers);
      if (i > 0) samples.push(metrics);
    }
    results.push({ adapter: adapter.name, workload: `W6 scale-out ${workers} proc`, runs: samples, median: median(samples) });
  }
  return results;
}

async function once(adapter: SharedAdapter, workers: number): Promise<Metrics> {
  const { storage, workerEnv } = await adapter.createShared();
  const taskHub = `w6_${workers}_${Date.now()}`;
  const children: ChildProcess[] = [];
  try {
    for (let w = 0; w < workers; w++) {
      const child = fork(join(here, '..', 'worker.ts'), [], {
        // The same module resolution as this process (built packages, or sources with --conditions=@reprise/source).
        execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
        env: { ...process.env, ...workerEnv, REPRISE_TASK_HUB: taskHub },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }
    // The client alone: this process never starts dispatching.
    const client = createRuntime({ storage, taskHub, ...throughputDefinitions }).client;
    const start = performance.now();
    const ids = await Promise.all(Array.from({ length: N_ORCHESTRATIONS }, (_, i) => client.startNew('ThreeSteps', { input: i })));
    await Promise.all(ids.map((id) => client.waitForCompletion(id, { timeoutMs: 600_000 })));
    const ms = performance.now() - start;
    return { totalMs: ms, perSecond: (N_ORCHESTRATIONS * 1000) / ms };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.send('stop');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await storage.close();
  }
}
