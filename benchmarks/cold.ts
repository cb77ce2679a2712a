/**
 * Cold W1: one orchestration of N sequential activities in this fresh
 * process, with no warm-up, so JIT compilation is part of the figure (what a
 * short-lived script or a new worker pays). Also counts the store calls per
 * step through a Storage proxy (`--count`: the operations the engine makes,
 * at the cost of the proxy's own time).
 *
 *   node --import tsx --conditions=@reprise/source cold.ts --only memory [--n 1000] [--count] [--profile w1.cpuprofile] [--alloc]
 *
 * Run it once per figure: a second run in the same process is warm.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { availableAdapters } from './adapters.js';
import { chainDefinitions } from './workloads/w1-chain.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const only = option('only') ?? 'memory';
const n = Number(option('n') ?? 1000);
const count = args.includes('--count');
/** `--profile <file>`: a CPU profile of the timed window only (module loading and start-up left out). */
const profile = option('profile');
/** `--alloc`: bytes allocated per step in the timed window (V8's sampling heap profiler, 256-byte samples): steadier than time on a busy machine. */
const alloc = args.includes('--alloc');

/** Counts every call of the store's methods (subscribe passes through). */
function counted(base: Storage, calls: Record<string, number>): Storage {
  return new Proxy(base, {
    get(target, key: string | symbol) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function' || key === 'subscribe' || typeof key !== 'string') return typeof value === 'function' ? value.bind(target) : value;
      return (...callArgs: unknown[]) => {
        calls[key] = (calls[key] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, callArgs);
      };
    },
  });
}

const [adapter] = await availableAdapters([only]);
if (!adapter) throw new Error(`adapter '${only}' is not available`);
const calls: Record<string, number> = {};
const base = await adapter.create();
const storage = count ? counted(base, calls) : base;
const runtime = createRuntime({ storage, ...chainDefinitions, logger: () => {} });
// Started first: opening the store and loading optional modules is process start-up, not steps.
await runtime.start();
const session = profile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  // 100 µs samples (the default is 1 ms): a cold run of 1,000 steps is a few hundred ms.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
const heap = alloc ? new Session() : undefined;
if (heap) {
  heap.connect();
  await heap.post('HeapProfiler.enable');
  await heap.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const cpu = process.cpuUsage();
const start = performance.now();
const id = await runtime.client.startNew('Chain', { input: n });
const status = await runtime.client.waitForCompletion(id, { timeoutMs: 600_000 });
const ms = performance.now() - start;
const used = process.cpuUsage(cpu);
if (session) writeFileSync(profile!, JSON.stringify((await session.post('Profiler.stop')).profile));
let allocated = 0;
if (heap) {
  const { profile: sampled } = await heap.post('HeapProfiler.stopSampling');
  const sum = (node: typeof sampled.head): number => node.selfSize + node.children.reduce((total, child) => total + sum(child), 0);
  allocated = sum(sampled.head);
}
if (status.output !== n) throw new Error(`W1: expected ${n}, got ${String(status.output)}`);
const operations = ['commitOrchestration', 'completeActivity', 'lockInstances', 'lockActivities', 'releaseInstance', 'getHistory'];
const stepOps = operations.reduce((sum, op) => sum + (calls[op] ?? 0), 0);
console.log(
  JSON.stringify({
    adapter: only,
    n,
    usPerStep: Number(((ms * 1000) / n).toFixed(1)),
    cpuUsPerStep: Number(((used.user + used.system) / n).toFixed(1)),
    ...(alloc && { allocBytesPerStep: Math.round(allocated / n) }),
    ...(count && { storeOpsPerStep: Number((stepOps / n).toFixed(3)), calls }),
  }),
);
await runtime.close();
await adapter.dispose?.();
process.exit(0);
