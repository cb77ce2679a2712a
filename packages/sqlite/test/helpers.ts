import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
