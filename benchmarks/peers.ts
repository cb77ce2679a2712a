/**
 * `pnpm bench --peers`: W3 on Reprise and on the engines a Node developer
 * would pick instead, each measurement in its own child process:
 * Reprise on SQLite (NORMAL and FULL) and on Redis, BullMQ (step jobs and
 * flows) on the same redis-server build with the same AOF everysec, and
 * DBOS Transact on a PostgreSQL this script creates. W3 starts every
 * orchestration at once; W3-awaited starts them one by one, each start awaited.
 * W5 (Reprise Redis and BullMQ, `bullmq-events`): 200 workflows waiting for
 * an event, then each event's round trip (sent → completion observed), p50 / p99.
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ensureRedisServer, startRedisServer } from '../packages/redis/test/redis-server.js';
import type { RedisServer } from '../packages/redis/test/redis-server.js';
import type { Result } from './harness.js';
import type { ChildResult, PeerName } from './peers/child.js';
import { startPostgres } from './peers/postgres-server.js';
import type { PostgresServer } from './peers/postgres-server.js';

const here = dirname(fileURLToPath(import.meta.url));

export const PEER_WORKLOADS = { all: 'W3', awaited: 'W3-awaited' } as const;

/** W5 (events mode): event round trips per run, as workloads/w5-events.ts. */
const W5_N = 200;

const PEERS: Array<{ peer: PeerName; server: 'none' | 'redis' | 'postgres'; modes?: Array<'all' | 'awaited' | 'events'> }> = [
  { peer: 'reprise-sqlite', server: 'none' },
  { peer: 'reprise-sqlite-full', server: 'none' },
  { peer: 'dbos', server: 'postgres' },
  { peer: 'reprise-redis', server: 'redis', modes: ['all', 'awaited', 'events'] },
  { peer: 'bullmq-steps', server: 'redis' },
  { peer: 'bullmq-flow', server: 'redis' },
  // W5 beside Reprise Redis: a job parked in delayed until the event promotes it.
  { peer: 'bullmq-events', server: 'redis', modes: ['events'] },
];

export interface PeersRun {
  results: Result[];
  /** The 1-minute load average before and after the run. */
  load: [number, number];
  n: number;
}

export async function runPeers(n: number, only?: string[]): Promise<PeersRun> {
  const loadBefore = loadavg()[0]!;
  const wanted = PEERS.filter((p) => !only || only.includes(p.peer));
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  const results: Result[] = [];
  try {
    if (wanted.some((p) => p.server === 'redis')) {
      const found = ensureRedisServer((line) => console.warn(line));
      if (!found.binary) throw new Error(found.reason ?? 'redis-server is missing');
      redis = await startRedisServer({ binary: found.binary, appendfsync: 'everysec' });
    }
    if (wanted.some((p) => p.server === 'postgres')) {
      try {
        postgres = await startPostgres();
      } catch (error) {
        console.warn(`[bench] DBOS peer skipped: ${(error as Error).message}`);
      }
    }
    const admin = redis && new Redis(redis.url);
    try {
      for (const { peer, server, modes } of wanted) {
        if (server === 'postgres' && !postgres) continue;
        for (const mode of modes ?? (['all', 'awaited'] as const)) {
          await admin?.flushall();
          const workload = mode === 'events' ? 'W5' : PEER_WORKLOADS[mode];
          process.stdout.write(`${peer.padEnd(20)} ${workload.padEnd(11)} `);
          const serverPid = server === 'redis' ? redis!.pid : server === 'postgres' ? postgres!.pid : undefined;
          const env: Record<string, string> = { ...process.env, PEER: peer, PEER_MODE: mode, PEER_N: String(mode === 'events' ? W5_N : n) } as Record<string, string>;
          if (serverPid !== undefined) env.PEER_SERVER_PID = String(serverPid);
          if (redis) env.PEER_REDIS_URL = redis.url;
          if (postgres) env.PEER_POSTGRES_URL = postgres.url;
          const measured = await measureInChild(env);
          if (mode === 'events') {
            const metrics = { p50Ms: measured.p50Ms!, p99Ms: measured.p99Ms!, nodeCpuUs: measured.nodeCpuUs / W5_N, serverCpuUs: measured.serverCpuUs / W5_N };
            results.push({ adapter: peer, workload, runs: [metrics], median: metrics });
            console.log(`p50=${metrics.p50Ms.toFixed(2)} ms  p99=${metrics.p99Ms.toFixed(2)} ms  cpu µs/round trip=${(metrics.nodeCpuUs + metrics.serverCpuUs).toFixed(0)} (node ${metrics.nodeCpuUs.toFixed(0)} + server ${metrics.serverCpuUs.toFixed(0)})`);
            continue;
          }
          const metrics = {
            perSecond: (n * 1000) / measured.totalMs,
            nodeCpuUs: measured.nodeCpuUs / n,
            serverCpuUs: measured.serverCpuUs / n,
            cpuUs: (measured.nodeCpuUs + measured.serverCpuUs) / n,
          };
          results.push({ adapter: peer, workload, runs: [metrics], median: metrics });
          console.log(`orch/s=${metrics.perSecond.toFixed(0)}  cpu µs/orch=${metrics.cpuUs.toFixed(0)} (node ${metrics.nodeCpuUs.toFixed(0)} + server ${metrics.serverCpuUs.toFixed(0)})`);
        }
      }
    } finally {
      admin?.disconnect();
    }
  } finally {
    await redis?.stop();
    await postgres?.stop();
  }
  return { results, load: [loadBefore, loadavg()[0]!], n };
}

function measureInChild(env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'peers', 'child.ts'), { execArgv: [...process.execArgv, '--no-deprecation'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (message) => (result = message as ChildResult));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${env.PEER} ${env.PEER_MODE}: child exited with code ${code}`))));
  });
}
