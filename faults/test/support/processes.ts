/**
 * Child processes of the fault tests: TypeScript fixtures run by Node with
 * tsx, resolving workspace packages from source (as the sqlite and redis
 * packages' multi-process tests do). Every child is tracked so a test that
 * fails half-way still leaves no process behind (`killAll` in afterEach).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoreStats } from '../fixtures/child-store.js';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const live = new Map<ChildProcess, Promise<unknown>>();
/** The last lines each child wrote to stderr, shown when a test fails. */
const stderrTails = new Map<string, string>();

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The next IPC message of this type. */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `fixtures/<fixture>` with the given environment; resolves once it sends { type: 'ready' }. */
export async function startChild(fixture: string, name: string, env: Record<string, string>): Promise<Child> {
  const proc = fork(fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url)), [], {
    cwd: PACKAGE_DIR,
    execArgv: ['--conditions=@reprise/source', '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  live.set(proc, exited);
  proc.stderr?.on('data', (chunk: Buffer) => stderrTails.set(name, ((stderrTails.get(name) ?? '') + chunk.toString('utf8')).slice(-4000)));
  const child: Child = {
    name,
    process: proc,
    pid: proc.pid!,
    exited,
    next<T>(type: string, timeoutMs = 30_000) {
      return new Promise<T>((resolve, reject) => {
        const onMessage = (message: unknown) => {
          if ((message as { type?: string } | null)?.type !== type) return;
          cleanup();
          resolve(message as T);
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(new Error(`${name} exited (${code ?? signal}) before sending '${type}'\n${stderrTails.get(name) ?? ''}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name} sent no '${type}' within ${timeoutMs} ms\n${stderrTails.get(name) ?? ''}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          proc.off('message', onMessage);
          proc.off('exit', onExit);
        };
        proc.on('message', onMessage);
        proc.once('exit', onExit);
      });
    },
    send(message) {
      if (proc.connected) proc.send(message as never);
    },
    kill(signal) {
      proc.kill(signal);
    },
  };
  await child.next('ready');
  return child;
}

/** A worker process (fixtures/worker.ts). */
export function startWorker(name: string, env: Record<string, string>): Promise<Child> {
  return startChild('worker.ts', name, { FAULT_WORKER: name, ...env });
}

/** Graceful stop: runtime.stop(), storage closed, exit 0; resolves with the worker's store counts. */
export async function stopWorker(worker: Child, timeoutMs = 30_000): Promise<StoreStats> {
  const stopped = worker.next<{ stats: StoreStats }>('stopped', timeoutMs);
  worker.send('stop');
  const { stats } = await stopped;
  const { code } = await worker.exited;
  if (code !== 0) throw new Error(`${worker.name} exited with ${code} after a graceful stop`);
  return stats;
}

export async function workerStats(worker: Child): Promise<StoreStats> {
  const reply = worker.next<{ stats: StoreStats }>('stats');
  worker.send('stats');
  return (await reply).stats;
}

/** SIGKILL and wait for the exit. */
export async function killWorker(worker: Child): Promise<void> {
  worker.kill('SIGKILL');
  await worker.exited;
}

/** Kills every child still running (a stopped one too); for afterEach. */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const [proc] of procs) proc.kill('SIGKILL');
  await Promise.all(procs.map(([, exited]) => exited));
}

/** stderr of the children of a failed test. */
export function childOutput(): string {
  const text = [...stderrTails].filter(([, tail]) => tail.trim()).map(([name, tail]) => `--- ${name} stderr (tail) ---\n${tail}`).join('\n');
  stderrTails.clear();
  return text;
}
