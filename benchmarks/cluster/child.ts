/**
 * One W3 measurement on plain Redis or on a Redis Cluster, in its own process
 * (so its CPU is its own): a warm-up batch, then one measured batch; sends
 * { totalMs, nodeCpuUs, serverCpuUs } (server: every node's CPU added up).
 */
import { createRuntime } from '@reprise/core';
import { redisStorage } from '@reprise/redis';
import { ownCpuMicros, serverCpuMicros } from '../peers/proc-cpu.js';
import { checkOutput, startAll } from '../peers/program.js';
import type { StartMode } from '../peers/program.js';
import { throughputDefinitions } from '../workloads/w3-throughput.js';

const mode = process.env.W3_MODE as StartMode;
const n = Number(process.env.W3_N);
const pids = process.env.W3_SERVER_PIDS!.split(',').map(Number);
const partitions = Number(process.env.W3_PARTITIONS ?? '1');
const open = () =>
  process.env.W3_NODES
    ? redisStorage({ cluster: JSON.parse(process.env.W3_NODES) as Array<{ host: string; port: number }>, partitions })
    : redisStorage({ url: process.env.W3_REDIS_URL! });
const serverCpu = () => pids.reduce((sum, pid) => sum + serverCpuMicros(pid), 0);

async function run(count: number, tag: string): Promise<void> {
  const storage = open();
  const runtime = createRuntime({ storage, ...throughputDefinitions, logger: () => {}, taskHub: `cluster-${tag}` });
  await runtime.start();
  try {
    const ids = await startAll(mode, count, (i) => runtime.client.startNew('ThreeSteps', { input: i }));
    const statuses = await Promise.all(ids.map((id) => runtime.client.waitForCompletion(id, { timeoutMs: 600_000 })));
    statuses.forEach((s, i) => checkOutput('reprise-redis-cluster', i, s.output));
  } finally {
    await runtime.stop();
    await storage.close();
  }
}

await run(Math.min(n, 300), `${mode}-warmup`);
const cpu0 = ownCpuMicros();
const server0 = serverCpu();
const t0 = performance.now();
await run(n, `${mode}-bench`);
const totalMs = performance.now() - t0;
process.send!({ totalMs, nodeCpuUs: ownCpuMicros() - cpu0, serverCpuUs: serverCpu() - server0 });
process.disconnect();
