/**
 * W3 and W3-awaited on a 3-master Redis Cluster (partitioned hubs, K = 1 and
 * K = 12 by default) beside plain Redis, in one invocation, each row in its
 * own child process as the peers comparison runs them; plus, with --idle,
 * the server commands an idle worker costs per second on the Cluster.
 * With --write, the table goes into RESULTS.md between `cluster:start` and `cluster:end`.
 *   node --import tsx --conditions=@reprise/source cluster-w3.ts [--n 500] [--partitions 1,12] [--idle 16] [--write]
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRuntime } from '@reprise/core';
import { redisStorage } from '@reprise/redis';
import { ensureRedisServer, startRedisServer } from '../packages/redis/test/redis-server.js';
import { startRedisCluster } from '../packages/redis/test/redis-cluster.js';
import type { OrchestrationContext } from '@reprise/core';
import { throughputDefinitions } from './workloads/w3-throughput.js';

/** `input` timers of 100 ms in a row. */
function* Ticker(ctx: OrchestrationContext<number>): Generator<unknown, number, unknown> {
  const n = ctx.getInput();
  for (let i = 0; i < n; i++) yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 100));
  return n;
}

const here = dirname(fileURLToPath(import.meta.url));
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const n = Number(option('n') ?? 500);
const counts = (option('partitions') ?? '1,12').split(',').map(Number);
const idle = option('idle');

interface Measured {
  totalMs: number;
  nodeCpuUs: number;
  serverCpuUs: number;
}

function child(env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const c = fork(join(here, 'cluster', 'child.ts'), { execArgv: [...process.execArgv, '--no-deprecation'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Measured | undefined;
    c.on('message', (m) => (result = m as Measured));
    c.on('error', reject);
    c.on('exit', (code) => (result ? resolve(result) : reject(new Error(`child exited with code ${code}`))));
  });
}

const found = ensureRedisServer((line) => console.warn(line));
if (!found.binary) throw new Error(found.reason ?? 'redis-server is missing');
const plain = await startRedisServer({ binary: found.binary, appendfsync: 'everysec' });
const cluster = await startRedisCluster({ binary: found.binary });
const flush = async () => {
  for (const node of [{ host: '127.0.0.1', port: plain.port }, ...cluster.nodes]) {
    const admin = new Redis(node.port, node.host);
    await admin.flushall();
    admin.disconnect();
  }
};
const commands = async () => {
  let total = 0;
  for (const node of cluster.nodes) {
    const admin = new Redis(node.port, node.host);
    const info = await admin.info('stats');
    admin.disconnect();
    total += Number(/total_commands_processed:(\d+)/.exec(info)![1]);
  }
  return total;
};

try {
  if (idle) {
    // One runtime: first with no work, then with one orchestration whose timer fires every 100 ms (one
    // partition busy, K - 1 idle): the server commands its lock calls, renewals and heartbeats cost.
    for (const ticking of [false, true]) {
      await flush();
      const storage = redisStorage({ cluster: cluster.nodes, partitions: Number(idle) });
      const runtime = createRuntime({ storage, ...throughputDefinitions, orchestrators: { Ticker }, logger: () => {}, taskHub: 'idle' });
      await runtime.start();
      if (ticking) await runtime.client.startNew('Ticker', { input: 150 });
      await new Promise((r) => setTimeout(r, 2000));
      const c0 = await commands();
      const seconds = 10;
      await new Promise((r) => setTimeout(r, seconds * 1000));
      // The INFO calls (one per node) are not the worker's.
      const counted = (await commands()) - c0 - cluster.nodes.length;
      await runtime.stop();
      await storage.close();
      console.log(`worker, K = ${idle}, ${ticking ? 'one timer every 100 ms' : 'no work'}: ${(counted / seconds).toFixed(1)} server commands per second`);
    }
  }
  const rows = [
    { name: 'reprise-redis', env: { W3_REDIS_URL: plain.url, W3_SERVER_PIDS: String(plain.pid) } },
    ...counts.map((k) => ({
      name: `reprise-redis-cluster-k${k}`,
      env: { W3_NODES: JSON.stringify(cluster.nodes), W3_PARTITIONS: String(k), W3_SERVER_PIDS: cluster.masters.map((m) => m.pid).join(',') },
    })),
  ];
  const table: string[] = [];
  for (const row of n > 0 ? rows : []) {
    for (const mode of ['all', 'awaited']) {
      await flush();
      const m = await child({ ...row.env, W3_MODE: mode, W3_N: String(n) });
      table.push(`| ${mode === 'all' ? 'W3' : 'W3-awaited'} | ${row.name} | ${((n * 1000) / m.totalMs).toFixed(0)} | ${((m.nodeCpuUs + m.serverCpuUs) / n).toFixed(0)} (${(m.nodeCpuUs / n).toFixed(0)} + ${(m.serverCpuUs / n).toFixed(0)}) |`);
      console.log(
        `${row.name.padEnd(26)} ${(mode === 'all' ? 'W3' : 'W3-awaited').padEnd(11)} orch/s=${((n * 1000) / m.totalMs).toFixed(0)}  cpu µs/orch=${((m.nodeCpuUs + m.serverCpuUs) / n).toFixed(0)} (node ${(m.nodeCpuUs / n).toFixed(0)} + server ${(m.serverCpuUs / n).toFixed(0)})`,
      );
    }
  }
  if (process.argv.includes('--write') && table.length > 0) writeSection(table);
} finally {
  await cluster.stop();
  await plain.stop();
}

/** The Cluster section of RESULTS.md (the main run keeps it). */
function writeSection(rows: string[]): void {
  const file = join(here, 'RESULTS.md');
  const section = [
    '<!-- cluster:start (written by `node --import tsx --conditions=@reprise/source cluster-w3.ts --write`) -->',
    '## Redis Cluster (partitioned hubs)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`cluster-w3.ts --n ${n}\`: ${n} orchestrations of 3 sequential activities per row, each row in its own Node process, on a 3-master Redis Cluster on loopback (AOF everysec) beside one plain \`redis-server\`; CPU = the Node process + every server. Load average (1 min) ${loadavg()[0]!.toFixed(2)} at the end. \`kN\` is \`redisStorage({ cluster, partitions: N })\`.`,
    '',
    '| workload | store | orch/s | CPU µs/orch (node + servers) |',
    '| --- | --- | --- | --- |',
    ...rows,
    '<!-- cluster:end -->',
    '',
  ].join('\n');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = existing.indexOf('<!-- cluster:start');
  const end = existing.indexOf('<!-- cluster:end -->');
  const next = start >= 0 && end >= 0 ? `${existing.slice(0, start)}${section.trimEnd()}${existing.slice(end + '<!-- cluster:end -->'.length)}` : `${existing.trimEnd()}\n\n${section}`;
  writeFileSync(file, next);
  console.log('wrote the Cluster section of benchmarks/RESULTS.md');
}
