/**
 * A real 3-master Redis Cluster on loopback for the tests: three
 * redis-server processes (cluster mode, AOF, each in its own temporary
 * directory) on free ports whose cluster bus ports (port + 10000) are free
 * too, joined by `redis-cli --cluster create`. Each master can be killed and
 * restarted with its own nodes.conf and AOF.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

export interface RedisCluster {
  nodes: Array<{ host: string; port: number }>;
  masters: RedisServer[];
  stop(): Promise<void>;
}

/** The highest port the test may use: its bus port (port + 10000) must stay a valid port. */
const MAX_PORT = 55535;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A random port from 20000 to MAX_PORT that is free along with its bus port, and not in `taken`. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * (MAX_PORT - 20000));
    if (taken.has(port) || taken.has(port + 10000) || taken.has(port - 10000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

export function findRedisCli(serverBinary: string): string | undefined {
  const beside = join(dirname(serverBinary), 'redis-cli');
  if (existsSync(beside)) return beside;
  const found = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}

function cli(binary: string, args: string[]): string {
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

/** Resolves once every node reports cluster_state:ok (also after a master's restart). */
export async function clusterReady(cliBinary: string, ports: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = ports.every((port) => {
      const run = spawnSync(cliBinary, ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'], { encoding: 'utf8', timeout: 5000 });
      return run.status === 0 && run.stdout.includes('cluster_state:ok');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster on ports ${ports.join(', ')} did not reach cluster_state:ok`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(options: { binary: string; masters?: number }): Promise<RedisCluster & { cli: string }> {
  const cliBinary = findRedisCli(options.binary);
  if (!cliBinary) throw new Error("'redis-cli' is not installed (Debian: it comes with redis-server, in redis-tools)");
  const count = options.masters ?? 3;
  const taken = new Set<number>();
  const masters: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port).add(port + 10000);
      masters.push(
        await startRedisServer({
          binary: options.binary,
          port,
          config: { 'cluster-enabled': 'yes', 'cluster-config-file': 'nodes.conf', 'cluster-node-timeout': '2000' },
        }),
      );
    }
    const ports = masters.map((m) => m.port);
    cli(cliBinary, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await clusterReady(cliBinary, ports);
  } catch (error) {
    await Promise.all(masters.map((m) => m.stop('SIGKILL')));
    throw error;
  }
  return {
    cli: cliBinary,
    nodes: masters.map((m) => ({ host: '127.0.0.1', port: m.port })),
    masters,
    async stop() {
      await Promise.all(masters.map((m) => m.stop()));
    },
  };
}
