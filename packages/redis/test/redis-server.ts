/**
 * A real redis-server for the tests: loopback only, a free port, its own
 * temporary directory, AOF on. No mocks of Redis anywhere.
 *
 * `ensureRedisServer()` finds the binary, or installs Debian's
 * `redis-server` package when it can (root and apt-get present, and
 * REPRISE_REDIS_NO_INSTALL is not '1').
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];

export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  return CANDIDATES.find((path) => existsSync(path));
}

export interface EnsureResult {
  binary?: string;
  /** Why there is no binary, when there is none. */
  reason?: string;
}

/** Finds redis-server, installing Debian's package when it is missing and this process may. */
export function ensureRedisServer(log: (line: string) => void = console.log): EnsureResult {
  const found = findRedisServer();
  if (found) return { binary: found };
  if (process.env.REPRISE_REDIS_NO_INSTALL === '1') {
    return { reason: "'redis-server' is not installed (REPRISE_REDIS_NO_INSTALL=1: not installing it)" };
  }
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).stdout.trim();
  if (process.getuid?.() !== 0 || !aptGet) {
    return { reason: `'redis-server' is not installed and cannot be installed here (${aptGet ? 'not root' : 'no apt-get'})` };
  }
  log("@reprise/redis tests: 'redis-server' is missing; installing Debian's redis-server package (apt-get)...");
  // RUNLEVEL=1 keeps the package's init script from starting a system-wide server.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const install = spawnSync('sh', ['-c', 'apt-get update -q && apt-get install -y -q --no-install-recommends redis-server'], {
    env,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  const binary = findRedisServer();
  if (install.status !== 0 || !binary) {
    const tail = `${install.stdout ?? ''}${install.stderr ?? ''}`.split('\n').slice(-15).join('\n');
    return { reason: `installing redis-server with apt-get failed (exit ${install.status}):\n${tail}` };
  }
  log(`@reprise/redis tests: installed ${binary}`);
  return { binary };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PING over a raw socket: true once the server answers +PONG (not -LOADING). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** The running server's process id. */
  readonly pid: number | undefined;
  /** Stop the server (SIGTERM: a clean shutdown; SIGKILL: a crash) and remove its directory if it made it. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stop and start again on the same port with the same directory (and AOF). */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface StartOptions {
  port?: number;
  dir?: string;
  binary?: string;
  /** @default 'everysec' */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** More `--name value` settings. */
  config?: Record<string, string>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startRedisServer(options: StartOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? findRedisServer();
  if (!binary) throw new Error("'redis-server' is not installed (see ensureRedisServer)");
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'reprise-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', options.appendfsync ?? 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
    '--maxmemory-policy', 'noeviction',
  ];
  for (const [name, value] of Object.entries(options.config ?? {})) args.push(`--${name}`, value);

  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(binary, args, { stdio: 'ignore' });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}; see ${join(dir, 'redis.log')}`);
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port} within 30 s`);
  };
  const halt = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    async stop(signal = 'SIGTERM') {
      await halt(signal);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async restart(signal = 'SIGTERM') {
      await halt(signal);
      await launch();
    },
  };
}
