// The runs-api example: one node:http server over a SQLite file serving the Durable Functions API, the
// /api/orchestration facade, the workflow service and the orchestrator-runs document; the README's curl calls, made with fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorIdOf } from '@reprise/core';
import { startServer } from '../src/main.js';

const KEY = 'secret';
const WAIT_FOR_GO_ID = '3efcd12f-74ef-5d2b-b179-6a25e6c8e1cc';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-runs-api-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ dbPath: join(dir, 'runs.db'), systemKey: KEY, port: 0 });
  cleanups.push(() => server.close());
  return server.url;
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

describe('the runs-api example', () => {
  it('serves the Durable Functions API', async () => {
    const B = await start();
    const started = await fetch(`${B}/runtime/webhooks/durabletask/orchestrators/HelloSequence?code=${KEY}`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    const done = await until(async () => {
      const res = await fetch(statusQueryGetUri);
      return res.status === 200 ? ((await res.json()) as { runtimeStatus: string; output: unknown }) : undefined;
    });
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'] });
    expect((await fetch(`${B}/runtime/webhooks/durabletask/instances`)).status).toBe(401);
  });

  it('serves the /api/orchestration facade', async () => {
    const B = await start();
    const res = await fetch(`${B}/api/orchestration/instances/startNew?orchestratorFunctionName=HelloSequence`, { method: 'POST', headers: { 'x-functions-key': KEY } });
    expect(res.status).toBe(200);
    const { instanceId } = (await res.json()) as { instanceId: string };
    const status = await until(async () => {
      const s = (await (await fetch(`${B}/api/orchestration/instances/${instanceId}?code=${KEY}`)).json()) as { runtimeStatus: string };
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(status.runtimeStatus).toBe('Completed');
  });

  it('serves the workflow service: start, read with tasks, list, relaunch, ping', async () => {
    const B = await start();
    const headers = { 'content-type': 'application/json', 'x-functions-key': KEY };
    const created = await fetch(`${B}/api/workflows`, { method: 'POST', headers, body: JSON.stringify({ project: 'demo', name: 'Report', payload: { day: '2026-12-07' } }) });
    expect(created.status).toBe(201);
    const wf = (await created.json()) as { id: string; fullname: string; project: string };
    expect(wf).toMatchObject({ fullname: 'demo.Report', project: 'demo', name: 'Report' });
    type Task = { id: string; key: string; previous: string[]; status: string };
    const done = await until(async () => {
      const body = (await (await fetch(`${B}/api/workflows/${wf.id}`, { headers })).json()) as { status: string; tasks: Task[] };
      return body.status === 'success' ? body : undefined;
    });
    expect(done.tasks.map((t) => [t.key, t.status])).toEqual([['EXTRACT', 'success'], ['COUNT', 'success'], ['PUBLISH', 'success']]);
    expect(done.tasks[1]!.previous).toEqual([done.tasks[0]!.id]);
    const list = (await (await fetch(`${B}/api/workflows?page=1&per_page=10`, { headers })).json()) as Array<{ id: string }>;
    expect(list.map((w) => w.id)).toEqual([wf.id]);
    const relaunched = await fetch(`${B}/api/workflows/${wf.id}/relaunch`, { method: 'POST', headers });
    expect(relaunched.status).toBe(201);
    expect(await relaunched.json()).toMatchObject({ payload: { day: '2026-12-07' }, fullname: 'demo.Report' });
    expect(await (await fetch(`${B}/api/ping`, { headers })).json()).toEqual({ message: 'pong' });
    // The app's own paths under /api are not the workflow service's.
    expect((await fetch(`${B}/api/users/`, { headers })).status).toBe(404);
  });

  it('serves the orchestrator-runs document: create, list, get, logs, cancel, delete', async () => {
    const B = await start();
    const R = `${B}/datasourcesvc/api/v1/orchrun`;
    const body = { orchestratorId: 'b07990cf-c64d-4cc4-a0bc-02a4daf0510d', _actualParams: [{ sequence_type_id: 's1', params: { fileId: 'f1' } }] };
    expect((await fetch(`${R}?code=${KEY}`)).status).toBe(400); // nsfilter is required
    const created = await fetch(`${R}?nsfilter=proj_demo&code=${KEY}`, { method: 'POST', body: JSON.stringify(body) });
    expect(created.status).toBe(200);
    const run = (await created.json()) as { id: string; _status: string; _name: string };
    expect(run).toMatchObject({ _name: 'FileImport' });
    const got = await until(async () => {
      const [r] = (await (await fetch(`${R}/${run.id}?nsfilter=proj_demo&code=${KEY}`)).json()) as Array<{ _status: string; orchrunsteps: unknown[] }>;
      return r?._status === 'COMPLETED' ? r : undefined;
    });
    expect(got.orchrunsteps).toEqual([expect.objectContaining({ _name: 'ImportFile', _status: 'COMPLETED', _statusmsg: 'half way', _sequenceno: 1 })]);
    const list = (await (await fetch(`${R}?nsfilter=proj_demo&_pageSize=10&_offset=0&_status=COMPLETED&code=${KEY}`)).json()) as { _total: number; _list: Array<{ id: string }> };
    expect(list._total).toBe(1);
    expect(list._list[0]!.id).toBe(run.id);
    const logs = (await (await fetch(`${R}/logs/${run.id}?nsfilter=proj_demo&code=${KEY}`)).json()) as string;
    const lines = logs.trimEnd().split('\n').map((l) => JSON.parse(l) as { message: string; end?: boolean });
    expect(lines.map((l) => l.message).slice(0, 2)).toEqual(['Orch run execution has begun', 'importing f1']);
    expect(lines.at(-1)?.end).toBe(true);
    // Another namespace does not see it.
    expect((await fetch(`${R}/${run.id}?nsfilter=other&code=${KEY}`)).status).toBe(404);

    // Cancel a waiting run, then delete it.
    const create = { orchestratorId: orchestratorIdOf('WaitForGo'), _actualParams: [] };
    expect(create.orchestratorId).toBe(WAIT_FOR_GO_ID); // the id the README shows
    const wait = (await (await fetch(`${R}?nsfilter=proj_demo&code=${KEY}`, { method: 'POST', body: JSON.stringify(create) })).json()) as { id: string };
    const canceled = await fetch(`${R}/${wait.id}?nsfilter=proj_demo&code=${KEY}`, { method: 'PUT', body: JSON.stringify({ id: wait.id }) });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as Array<{ _status: string }>)[0]!._status).toMatch(/^(REQUEST_CANCEL|CANCELED)$/);
    expect((await fetch(`${R}/${wait.id}?nsfilter=proj_demo&code=${KEY}`, { method: 'DELETE' })).status).toBe(204);
    await until(async () => ((await fetch(`${R}/${wait.id}?nsfilter=proj_demo&code=${KEY}`)).status === 404 ? true : undefined));
  });
});
