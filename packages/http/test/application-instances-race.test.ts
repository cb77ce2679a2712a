/**
 * The document's 409 across processes: two OS processes serve the same
 * SQLite file; the same workflow POSTed to both at once runs once: one 200,
 * one 409, whichever wins. The store's admission decides, not a read.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStorage } from '@reprise/sqlite';
import { applicationsClient } from '@reprise/applications';
import { appsRuntime } from './fixtures/apps.js';

const KEY = 'race-key';
const dir = mkdtempSync(join(tmpdir(), 'reprise-apps-race-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))));
  rmSync(dir, { recursive: true, force: true });
});

function serveInChild(path: string): Promise<number> {
  const child = fork(fileURLToPath(new URL('./fixtures/apps-server.ts', import.meta.url)), [path, KEY], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--conditions=@reprise/source', '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before listening`)));
  });
}

describe('409 from two processes on one SQLite file', () => {
  it('one run, one 409, in every round', async () => {
    const path = join(dir, 'apps.db');
    const runtime = appsRuntime(sqliteStorage({ path }));
    await runtime.start();
    const apps = applicationsClient(runtime);
    const id = await apps.launch('PublicSite', { instanceId: 'raced', name: 'Raced', parameters: { 'web.domain': 'example.org' } });
    const ports = await Promise.all([serveInChild(path), serveInChild(path)]);
    const waitRunning = async () => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        if ((await apps.get(id))?.status === 'Running') return;
      }
      throw new Error('the instance did not return to Running');
    };
    await waitRunning();
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        ports.map((port) =>
          fetch(`http://127.0.0.1:${port}/api/1/instances/${id}/deploy`, { method: 'POST', headers: { 'x-functions-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ release: join(dir, `release-${round}`) }) }),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}`).toEqual([200, 409]);
      const refused = answers.find((a) => a.status === 409)!;
      expect(await refused.json()).toMatchObject({ error: 'CONCURRENCY_LIMIT' });
      writeFileSync(join(dir, `release-${round}`), '');
      await waitRunning();
    }
    const history = (await apps.get(id))!.workflowHistory;
    expect(history.map((j) => [j.name, j.status])).toEqual([
      ['launch', 'Succeeded'],
      ['deploy', 'Succeeded'],
      ['deploy', 'Succeeded'],
      ['deploy', 'Succeeded'],
    ]);
    await runtime.stop();
  }, 90_000);
});
