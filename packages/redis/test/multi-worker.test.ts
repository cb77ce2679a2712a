/**
 * Three worker processes share one hub; one is SIGKILLed mid-run. Every
 * instance still completes exactly once with the right output and the same
 * history shape as an uninterrupted run, and only work items the killed
 * worker held are executed twice.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { Runtime } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { STEPS, expectedOutput, stepDefinitions, waitAllTerminal } from './fixtures/steps.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');
const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const INSTANCES = 30;
const LEASE_MS = 2_000;
const ACTIVITY_MS = 120;
/** Each worker runs at most this many activities at once (see fixtures/worker.ts). */
const WORKER_ACTIVITY_CONCURRENCY = 4;

interface LogLine {
  worker: string;
  phase: 'start' | 'done';
  instanceId: string;
  step: number;
}

const readLog = (file: string): LogLine[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [worker, phase, instanceId, step] = line.split(' ');
      return { worker: worker!, phase: phase as LogLine['phase'], instanceId: instanceId!, step: Number(step) };
    });

describe.skipIf(!binary)('redis: several worker processes, one killed', () => {
  let server: RedisServer | undefined;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startRedisServer({ binary });
    dir = mkdtempSync(join(tmpdir(), 'reprise-workers-'));
  });

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send('stop');
            else child.kill('SIGKILL');
          }),
      ),
    );
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(id: string, hub: string, logFile: string): Promise<ChildProcess> {
    const child = fork(WORKER, [], {
      cwd: PACKAGE_DIR,
      execArgv: ['--conditions=@reprise/source', '--import', 'tsx'],
      env: {
        ...process.env,
        REDIS_URL: server!.url,
        TASK_HUB: hub,
        LOG_FILE: logFile,
        WORKER_ID: id,
        LEASE_MS: String(LEASE_MS),
        ACTIVITY_MS: String(ACTIVITY_MS),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${id} did not start within 30 s`)), 30_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`worker ${id} exited early with code ${code}`)));
    });
  }

  /** The EventType sequence of one uninterrupted run, in this process. */
  async function referenceShape(): Promise<string[]> {
    const storage = redisStorage({ url: server!.url });
    const runtime = createRuntime({ storage, taskHub: 'reference', ...stepDefinitions({ activityMs: 1 }) });
    await runtime.start();
    try {
      const id = await runtime.client.startNew('Steps', { input: 0, instanceId: 'reference' });
      const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
      expect(status.runtimeStatus).toBe('Completed');
      const full = await runtime.client.getStatus(id, { showHistory: true });
      return (full as unknown as { history: Array<{ EventType: string }> }).history.map((e) => e.EventType);
    } finally {
      await runtime.stop();
      await storage.close();
    }
  }

  it('completes every instance exactly once after a worker is SIGKILLed mid-run', { timeout: 120_000 }, async () => {
    const shape = await referenceShape();
    expect(shape.filter((t) => t === 'TaskCompleted')).toHaveLength(STEPS);

    const hub = 'workers';
    const logFile = join(dir, 'activities.log');
    writeFileSync(logFile, '');
    const workers = await Promise.all(['w1', 'w2', 'w3'].map((id) => startWorker(id, hub, logFile)));

    // A client-only runtime (never started) in this process starts the instances.
    const storage = redisStorage({ url: server!.url });
    const starter: Runtime = createRuntime({ storage, taskHub: hub, ...stepDefinitions({ activityMs: 1 }) });
    const ids = Array.from({ length: INSTANCES }, (_, i) => `steps-${i}`);
    try {
      await Promise.all(ids.map((id, i) => starter.client.startNew('Steps', { input: i * 100, instanceId: id })));

      // Kill w1 once the run is well under way, while it is running an activity.
      const victim = 'w1';
      const deadline = Date.now() + 30_000;
      for (;;) {
        const lines = readLog(logFile).filter((l) => l.worker === victim);
        const running = lines.filter((l) => l.phase === 'start').length - lines.filter((l) => l.phase === 'done').length;
        if (running > 0 && lines.length >= 6) break;
        if (Date.now() > deadline) throw new Error('the workers made no progress');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      workers[0]!.kill('SIGKILL');
      const killedAt = readLog(logFile).length;
      expect(killedAt).toBeLessThan(INSTANCES * STEPS * 2); // mid-run, not after

      await waitAllTerminal((id) => starter.client.getStatus(id), ids, 60_000);

      for (const [i, id] of ids.entries()) {
        const status = (await starter.client.getStatus(id, { showHistory: true })) as unknown as {
          runtimeStatus: string;
          output: unknown;
          history: Array<{ EventType: string }>;
        };
        expect(status.runtimeStatus, id).toBe('Completed');
        expect(status.output, id).toBe(expectedOutput(i * 100));
        expect(status.history.map((e) => e.EventType), id).toEqual(shape);
      }

      // Activity executions: every step ran; no worker ran one twice; only
      // items the killed worker held ran again elsewhere.
      const starts = readLog(logFile).filter((l) => l.phase === 'start');
      const byItem = new Map<string, LogLine[]>();
      for (const line of starts) {
        const key = `${line.instanceId}#${line.step}`;
        byItem.set(key, [...(byItem.get(key) ?? []), line]);
      }
      expect(byItem.size).toBe(INSTANCES * STEPS);
      let reExecuted = 0;
      for (const [key, runs] of byItem) {
        const byWorker = new Map<string, number>();
        for (const run of runs) byWorker.set(run.worker, (byWorker.get(run.worker) ?? 0) + 1);
        for (const [worker, count] of byWorker) expect(count, `${key} ran ${count} times on ${worker}`).toBe(1);
        if (runs.length > 1) {
          expect(runs.map((r) => r.worker), `${key} ran again without the killed worker holding it`).toContain(victim);
          expect(runs, key).toHaveLength(2);
          reExecuted += 1;
        }
      }
      // The killed worker held at most its activity concurrency at once.
      expect(reExecuted).toBeLessThanOrEqual(WORKER_ACTIVITY_CONCURRENCY);
      expect(starts).toHaveLength(INSTANCES * STEPS + reExecuted);
    } finally {
      await storage.close();
    }
  });
});
