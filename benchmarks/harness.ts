/**
 * The benchmark harness: each workload runs on a fresh store and runtime,
 * once to warm up and then `runs` times; the median of each metric is kept.
 */
import { createRuntime } from '@reprise/core';
import type { OrchestrationClient, RuntimeOptions, Storage } from '@reprise/core';

export type Metrics = Record<string, number>;

export interface Workload {
  name: string;
  definitions: Pick<RuntimeOptions, 'activities' | 'orchestrators' | 'entities'>;
  run(ctx: { client: OrchestrationClient }): Promise<Metrics>;
}

export interface Adapter {
  name: string;
  /** A fresh, empty store. */
  create(): Promise<Storage>;
  /** Stop servers and remove files. */
  dispose?(): Promise<void>;
}

export interface Result {
  adapter: string;
  workload: string;
  runs: Metrics[];
  median: Metrics;
}

export async function measure(adapter: Adapter, workload: Workload, runs: number): Promise<Result> {
  const all: Metrics[] = [];
  for (let i = 0; i <= runs; i++) {
    const storage = await adapter.create();
    const runtime = createRuntime({ storage, ...workload.definitions, logger: () => {}, taskHub: `bench${i}` });
    await runtime.start();
    try {
      const metrics = await workload.run({ client: runtime.client });
      if (i > 0) all.push(metrics); // run 0 is the warm-up
    } finally {
      await runtime.stop();
      await storage.close();
    }
  }
  return { adapter: adapter.name, workload: workload.name, runs: all, median: median(all) };
}

export function median(samples: Metrics[]): Metrics {
  const keys = Object.keys(samples[0] ?? {});
  return Object.fromEntries(
    keys.map((key) => {
      const values = samples.map((s) => s[key]!).sort((a, b) => a - b);
      return [key, values[Math.floor(values.length / 2)]!];
    }),
  );
}
