/**
 * The benchmark harness: each workload runs on a fresh store and runtime,
 * repeatedly for 1.5 s to warm up (JIT), then `runs` times; the median of
 * each metric is kept.
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

/** Warm-up: the workload repeats until this long has passed (at least once), so the JIT has settled. */
const WARM_UP_MS = 1500;

export async function measure(adapter: Adapter, workload: Workload, runs: number): Promise<Result> {
  const warmUpUntil = performance.now() + WARM_UP_MS;
  do {
    await once(adapter, workload, 'warmup');
  } while (performance.now() < warmUpUntil);
  const all: Metrics[] = [];
  for (let i = 0; i < runs; i++) all.push(await once(adapter, workload, `bench${i}`));
  return { adapter: adapter.name, workload: workload.name, runs: all, median: median(all) };
}

/** One run on a fresh store and runtime. */
async function once(adapter: Adapter, workload: Workload, taskHub: string): Promise<Metrics> {
  const storage = await adapter.create();
  const runtime = createRuntime({ storage, ...workload.definitions, logger: () => {}, taskHub });
  await runtime.start();
  try {
    return await workload.run({ client: runtime.client });
  } finally {
    await runtime.stop();
    await storage.close();
  }
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

/** The median wall time (ms) of `calls` calls of `call`, after `warmup` untimed ones. */
export async function medianCallMs(call: () => Promise<unknown>, calls: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
