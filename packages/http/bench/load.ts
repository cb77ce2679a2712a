/**
 * Load measurement for the HTTP handler (run by hand; not a test):
 *
 *   node --conditions=@reprise/source --import tsx packages/http/bench/load.ts [--storage sqlite|memory]
 *        [--requests 20000] [--concurrency 50] [--seconds 20]
 *
 * Starts a runtime and a node:http server with createHttpHandler on
 * 127.0.0.1, then a load generator in a child process (its own core) with a
 * keep-alive agent. Two phases, each bounded by a request count AND a time limit:
 *   1. starts:  POST /runtime/webhooks/durabletask/orchestrators/Echo/{id}  (the runtime runs them meanwhile)
 *   2. status:  GET  /runtime/webhooks/durabletask/instances/{id}, over the ids started in phase 1
 * Traffic goes to the loopback address only.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';

const KEY = 'bench-key';
const PREFIX = '/runtime/webhooks/durabletask';

interface Phase {
  name: string;
  method: 'GET' | 'POST';
  /** The request path with `{i}` standing for the request's number modulo `count`. */
  path: string;
  count: number;
  body?: string;
}

interface PhaseResult {
  name: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

// ---------------------------------------------------------------------------
// The load generator (child process).

async function runClient(): Promise<void> {
  const { port, phase, requests, concurrency, seconds } = JSON.parse(process.argv[process.argv.indexOf('--client') + 1]!) as {
    port: number;
    phase: Phase;
    requests: number;
    concurrency: number;
    seconds: number;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const one = (path: string) =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, path, method: phase.method, agent, headers: { 'x-functions-key': KEY, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(phase.body);
    });
  const lane = async () => {
    while (issued < requests && performance.now() < deadline) {
      const path = phase.path.replace('{i}', String(issued % phase.count));
      issued++;
      await one(path);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const result: PhaseResult = {
    name: phase.name,
    requests: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
    statuses,
    errors,
  };
  agent.destroy();
  process.send!(result);
}

// ---------------------------------------------------------------------------
// The server (this process).

async function openStorage(kind: string): Promise<{ storage: Storage; label: string; cleanup: () => void }> {
  if (kind === 'sqlite') {
    try {
      const { sqliteStorage } = (await import('@reprise/sqlite')) as { sqliteStorage: (o: { path: string }) => Storage };
      const dir = mkdtempSync(join(tmpdir(), 'reprise-http-bench-'));
      return { storage: sqliteStorage({ path: join(dir, 'bench.db') }), label: 'sqlite (file, WAL, synchronous=NORMAL)', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (error) {
      console.warn(`@reprise/sqlite unavailable (${(error as Error).message}); measuring on memory`);
    }
  }
  return { storage: memoryStorage(), label: 'memory', cleanup: () => {} };
}

function runPhase(port: number, phase: Phase, requests: number, concurrency: number, seconds: number): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify({ port, phase, requests, concurrency, seconds })], { execArgv: process.execArgv });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('message', (message) => {
      clearTimeout(killer);
      resolve(message as PhaseResult);
    });
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
    });
  });
}

async function runServer(): Promise<void> {
  const requests = Number(arg('requests', '20000'));
  const concurrency = Number(arg('concurrency', '50'));
  const seconds = Number(arg('seconds', '20'));
  const { storage, label, cleanup } = await openStorage(arg('storage', 'sqlite'));
  const runtime = createRuntime({
    storage,
    logger: () => {},
    orchestrators: {
      Echo: function* (ctx: OrchestrationContext) {
        return ctx.getInput();
      },
    },
  });
  await runtime.start();
  const handler = createHttpHandler(runtime, { systemKey: KEY });
  const server = http.createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const results: PhaseResult[] = [];
  results.push(await runPhase(port, { name: 'start (POST orchestrators/Echo/{id})', method: 'POST', path: `${PREFIX}/orchestrators/Echo/bench-{i}`, count: requests, body: '{"n":1}' }, requests, concurrency, seconds));
  const started = results[0]!.statuses['202'] ?? 0;
  // Let the runtime finish the started instances, so status reads see a quiet store.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const pending = await runtime.client.listInstances({ runtimeStatus: ['Pending', 'Running'], pageSize: 1 });
    if (pending.instances.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  results.push(await runPhase(port, { name: 'status (GET instances/{id})', method: 'GET', path: `${PREFIX}/instances/bench-{i}`, count: Math.max(1, started) }, requests, concurrency, seconds));

  console.log(`\n@reprise/http load on 127.0.0.1 — storage: ${label}; node ${process.version}; concurrency ${concurrency}; at most ${requests} requests / ${seconds} s per phase\n`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(40)} ${r.requests.toString().padStart(6)} req in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms   statuses ${JSON.stringify(r.statuses)}${r.errors ? `  errors ${r.errors}` : ''}`,
    );
  }
  server.closeAllConnections();
  server.close();
  await runtime.stop();
  cleanup();
}

if (process.argv.includes('--client')) await runClient();
else await runServer();
