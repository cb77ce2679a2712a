import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InstanceRecord, NewMessage } from '@reprise/core';

/** Runs a TypeScript fixture in a new Node process, resolving workspace packages from source. */
export function forkFixture(name: string, args: string[]): ChildProcess {
  return fork(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--conditions=@reprise/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A Pending orchestration row and its start message (the SQLite-only tests and fixtures build their data with it). */
export function pending(instanceId: string, now = Date.now()): { record: InstanceRecord; message: NewMessage } {
  return {
    record: { instanceId, kind: 'orchestration', name: 'Test', executionId: 'e1', status: 'Pending', createdAt: now, updatedAt: now, historyLength: 0 },
    message: { instanceId, event: { EventType: 'ExecutionStarted', Timestamp: new Date(now).toISOString(), Name: 'Test', ExecutionId: 'e1' } },
  };
}
