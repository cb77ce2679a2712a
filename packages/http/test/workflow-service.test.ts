/**
 * The workflow service document (`/api/workflows`, `/api/ping`) over a real
 * listener on memory storage: every endpoint, parameter and status code,
 * statuses as the service names them, tasks with `previous`, periodic runs,
 * relaunch. Hostile input and the fuzz are in workflow-service-hostile.test.ts;
 * SQLite and Redis in workflow-service-stores.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '@reprise/core';
import { eventually } from './helpers.js';
import { SERVICE_TIME, UUID, WS, create, gate, instanceCount, k, serveWorkflows } from './workflow-service-app.js';

type Workflow = Record<string, unknown> & { id: string; status: string; created: string; updated: string };
type Task = { created: string; id: string; key: string; previous: string[]; status: string; task: string; updated: string };

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${WS}${path}${path.includes('?') ? '&' : '?'}${k}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: await res.json() };
}

async function started(base: string, body: unknown): Promise<Workflow> {
  const res = await create(base, body);
  expect(res.status).toBe(201);
  return (await res.json()) as Workflow;
}

async function statusOf(base: string, id: string): Promise<string> {
  return (await get(base, `/workflows/${encodeURIComponent(id)}`)).body.status as string;
}

async function ended(runtime: Runtime, id: string): Promise<void> {
  await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
}

describe('POST /api/workflows', () => {
  it('starts `project.name` in the namespace `project` and answers 201 with the workflow, as in the document', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const res = await create(base, { project: 'example', name: 'ETL', payload: { foo: 'bar' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Workflow;
    expect(Object.keys(body)).toEqual(['created', 'fullname', 'id', 'name', 'payload', 'periodic', 'project', 'status', 'updated']);
    expect(body).toMatchObject({ fullname: 'example.ETL', name: 'ETL', payload: { foo: 'bar' }, periodic: false, project: 'example', status: 'pending' });
    expect(body.created).toMatch(SERVICE_TIME);
    expect(body.updated).toMatch(SERVICE_TIME);
    const status = await runtime.client.getStatus(body.id);
    expect(status).toMatchObject({ name: 'example.ETL', namespace: 'example', input: { foo: 'bar' }, runtimeStatus: 'Pending' });
    expect(new Date(body.created).getTime()).toBe(status!.createdTime.getTime());
  });

  it('answers 404 JSON for a project.name nobody registered, and stores nothing', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    for (const body of [
      { project: 'example', name: 'Nope', payload: {} },
      { project: 'nope', name: 'ETL', payload: {} },
      // Registered as `example.ETL`, but that is project 'example', name 'ETL'.
      { project: 'example.ETL', name: 'x', payload: {} },
      // A name outside any project is not a workflow.
      { project: 'x', name: 'Echo', payload: {} },
    ]) {
      const res = await create(base, body);
      expect(res.status, JSON.stringify(body)).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'WORKFLOW_NOT_FOUND', message: expect.stringContaining(`${body.project}.${body.name}`) });
    }
    expect(await instanceCount(runtime)).toBe(0);
  });

  it('answers 400 JSON for a missing or ill-typed field or body, and stores nothing', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const bodies: unknown[] = [
      '',
      'not json',
      [],
      'null',
      '"example"',
      { name: 'ETL', payload: {} },
      { project: 'example', payload: {} },
      { project: 'example', name: 'ETL' },
      { project: 1, name: 'ETL', payload: {} },
      { project: 'example', name: ['ETL'], payload: {} },
      { project: 'example', name: 'ETL', payload: null },
      { project: 'example', name: 'ETL', payload: [1] },
      { project: 'example', name: 'ETL', payload: 'x' },
      { project: '', name: 'ETL', payload: {} },
      { project: 'example', name: '', payload: {} },
      { project: '..', name: 'ETL', payload: {} },
      { project: 'a/b', name: 'ETL', payload: {} },
      { project: '~~example', name: 'ETL', payload: {} },
      { project: 'p'.repeat(300), name: 'ETL', payload: {} },
      { project: 'example', name: 'E\u0000TL', payload: {} },
    ];
    for (const body of bodies) {
      const res = await create(base, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json(), JSON.stringify(body)).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect(await instanceCount(runtime)).toBe(0);
  });
});

describe('GET /api/workflows', () => {
  it('lists workflows newest first (defaults page 1, per_page 1000); other instances are not workflows', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await started(base, { project: i % 2 === 0 ? 'example' : 'other', name: i % 2 === 0 ? 'ETL' : 'Echo', payload: { i } })).id);
      await new Promise((r) => setTimeout(r, 2)); // distinct created times
    }
    await runtime.client.startNew('Echo', { input: 'not a workflow' });
    await runtime.client.startNew('Echo', { input: 'not one either', namespace: 'example' });
    const { status, body } = await get(base, '/workflows');
    expect(status).toBe(200);
    expect(body.map((w: Workflow) => w.id)).toEqual([...ids].reverse());
    expect(body.map((w: Workflow) => w.payload)).toEqual([{ i: 4 }, { i: 3 }, { i: 2 }, { i: 1 }, { i: 0 }]);
    expect(body[1]).toMatchObject({ project: 'other', name: 'Echo', fullname: 'other.Echo' });
    for (const w of body) expect(Object.keys(w)).toEqual(['created', 'fullname', 'id', 'name', 'payload', 'periodic', 'project', 'status', 'updated']);
  });

  it('pages with page and per_page; a page past the end is empty; bad values are 400', async () => {
    const { base } = await serveWorkflows({ start: false });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await started(base, { project: 'example', name: 'ETL', payload: { i } })).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    const newest = [...ids].reverse();
    const page = async (query: string) => ((await get(base, `/workflows?${query}`)).body as Workflow[]).map((w) => w.id);
    expect(await page('per_page=3')).toEqual(newest.slice(0, 3));
    expect(await page('per_page=3&page=2')).toEqual(newest.slice(3, 6));
    expect(await page('per_page=3&page=3')).toEqual(newest.slice(6));
    expect(await page('per_page=3&page=4')).toEqual([]);
    expect(await page('page=1')).toEqual(newest);
    expect(await page('page=2')).toEqual([]);
    expect(await page('per_page=1&page=7')).toEqual([ids[0]]);
    for (const query of ['page=0', 'page=-1', 'page=x', 'per_page=0', 'per_page=1.5', 'per_page=1e3', 'page=9999999999']) {
      const { status, body } = await get(base, `/workflows?${query}`);
      expect(status, query).toBe(400);
      expect(body).toMatchObject({ error: 'INVALID_ARGUMENT' });
    }
  });

  it('walks every store page: the newest come from the last one', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const ids: string[] = [];
    // More than one store page (1000) of workflows, stored directly: the runtime is not running.
    for (let i = 0; i < 1005; i++) ids.push(await runtime.client.startNew('example.Wait', { namespace: 'example', instanceId: `w-${String(i).padStart(4, '0')}` }));
    const newest = [...ids].reverse();
    const page = async (query: string) => ((await get(base, `/workflows?${query}`)).body as Workflow[]).map((w) => w.id);
    expect(await page('per_page=4')).toEqual(newest.slice(0, 4));
    expect(await page('per_page=4&page=251')).toEqual(newest.slice(1000, 1004));
    expect(await page('per_page=4&page=252')).toEqual(newest.slice(1004));
    expect(await page('per_page=1000&page=2')).toEqual(newest.slice(1000));
    expect((await page('')).length).toBe(1000);
  });
});

describe('GET /api/workflows/<id>', () => {
  it('shows the workflow with one task per step: key, previous by task id, statuses, stable ids', async () => {
    const { base, runtime } = await serveWorkflows();
    const created = await started(base, { project: 'example', name: 'ETL', payload: {} });
    await ended(runtime, created.id);
    const { status, body } = await get(base, `/workflows/${created.id}`);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['created', 'fullname', 'id', 'name', 'payload', 'periodic', 'project', 'status', 'tasks', 'updated']);
    expect(body).toMatchObject({ id: created.id, fullname: 'example.ETL', name: 'ETL', project: 'example', payload: {}, periodic: false, status: 'success' });
    const tasks = body.tasks as Task[];
    expect(tasks.map((t) => t.key)).toEqual(['EXTRACT', 'TRANSFORM', 'LOAD']);
    for (const t of tasks) {
      expect(Object.keys(t)).toEqual(['created', 'id', 'key', 'previous', 'status', 'task', 'updated']);
      expect(t.id).toMatch(UUID);
      expect(t.task).toBe(t.id);
      expect(t.status).toBe('success');
      expect(t.created).toMatch(SERVICE_TIME);
      expect(t.updated).toMatch(SERVICE_TIME);
      expect(t.updated >= t.created).toBe(true);
    }
    expect(tasks.map((t) => t.previous)).toEqual([[], [tasks[0]!.id], [tasks[1]!.id]]);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(3);
    // The same ids on every read.
    expect((await get(base, `/workflows/${created.id}`)).body.tasks).toEqual(tasks);
    // Another workflow's tasks have other ids.
    const second = await started(base, { project: 'example', name: 'ETL', payload: {} });
    await ended(runtime, second.id);
    const others = (await get(base, `/workflows/${second.id}`)).body.tasks as Task[];
    expect(others.filter((t) => tasks.some((u) => u.id === t.id))).toEqual([]);
  });

  it('names a task outside a DAG by its step name', async () => {
    const { base, runtime } = await serveWorkflows();
    const created = await started(base, { project: 'example', name: 'Plain', payload: {} });
    await ended(runtime, created.id);
    const tasks = (await get(base, `/workflows/${created.id}`)).body.tasks as Task[];
    expect(tasks.map((t) => [t.key, t.status])).toEqual([
      ['Plain', 'success'],
      ['Plain', 'success'],
    ]);
    expect(tasks[1]!.previous).toEqual([tasks[0]!.id]);
  });

  it('task statuses: pending (requested), progress (running), error (failed), canceled', async () => {
    const { base, runtime } = await serveWorkflows();
    const release = gate('hold');
    // One activity slot: FIRST runs and holds it, SECOND waits its turn.
    const wf = await started(base, { project: 'example', name: 'Gated', payload: { gate: 'hold' } });
    const tasks = await eventually(async () => {
      const t = (await get(base, `/workflows/${wf.id}`)).body.tasks as Task[];
      return t.length === 2 && t.some((x) => x.status === 'progress') && t;
    });
    expect(tasks.map((t) => t.status).sort()).toEqual(['pending', 'progress']);
    expect(await statusOf(base, wf.id)).toBe('progress');
    await runtime.client.requestCancel(wf.id);
    await ended(runtime, wf.id);
    const after = (await get(base, `/workflows/${wf.id}`)).body;
    expect(after.status).toBe('canceled');
    expect((after.tasks as Task[]).map((t) => t.status)).toEqual(['canceled', 'canceled']);
    release(); // the canceled task's activity still holds the one slot until it returns

    const failing = await started(base, { project: 'example', name: 'Gated', payload: { fail: true } });
    await ended(runtime, failing.id);
    const failed = (await get(base, `/workflows/${failing.id}`)).body;
    expect(failed.status).toBe('error');
    expect((failed.tasks as Task[]).map((t) => [t.key, t.status])).toContainEqual(['FIRST', 'error']);
  });

  it('answers 404 JSON for an unknown id and for an instance that is not a workflow; 400 for a bad id', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const plainId = await runtime.client.startNew('Echo', { instanceId: 'plain' });
    const strayId = await runtime.client.startNew('Echo', { instanceId: 'stray', namespace: 'example' });
    for (const id of ['nobody', plainId, strayId]) {
      const { status, body } = await get(base, `/workflows/${id}`);
      expect(status, id).toBe(404);
      expect(body).toMatchObject({ error: 'WORKFLOW_NOT_FOUND' });
    }
    for (const id of ['%7E%7Eschedule%3Ax', `${'i'.repeat(300)}`, '%40entity', '%zz']) {
      const { status, body } = await get(base, `/workflows/${id}`);
      expect(status, id).toBe(400);
      expect(body).toMatchObject({ error: expect.any(String) });
    }
  });
});

describe('statuses as the service names them', () => {
  it('pending (not started, or queued in its group), progress (running, suspended), success, error (failed, terminated), canceled', async () => {
    const { base, runtime } = await serveWorkflows();
    const running = await started(base, { project: 'example', name: 'Wait', payload: {} });
    await eventually(async () => (await runtime.client.getStatus(running.id))?.runtimeStatus === 'Running');
    expect(await statusOf(base, running.id)).toBe('progress');
    await runtime.client.suspend(running.id);
    await eventually(async () => (await runtime.client.getStatus(running.id))?.runtimeStatus === 'Suspended');
    expect(await statusOf(base, running.id)).toBe('progress');
    await runtime.client.terminate(running.id, 'stop');
    await ended(runtime, running.id);
    expect(await statusOf(base, running.id)).toBe('error');

    const holder = await started(base, { project: 'example', name: 'Single', payload: {} });
    const queued = await started(base, { project: 'example', name: 'Single', payload: {} });
    expect((await runtime.client.getStatus(queued.id))!.queue).toMatchObject({ group: 'single', position: 1 });
    expect(queued.status).toBe('pending');
    expect(await statusOf(base, queued.id)).toBe('pending');
    await runtime.client.requestCancel(queued.id);
    expect(await statusOf(base, queued.id)).toBe('canceled');
    await runtime.client.raiseEvent(holder.id, 'Go', 1);
    await ended(runtime, holder.id);
    expect(await statusOf(base, holder.id)).toBe('success');

    const failing = await started(base, { project: 'example', name: 'Fail', payload: {} });
    await ended(runtime, failing.id);
    expect(await statusOf(base, failing.id)).toBe('error');
  });
});

describe('periodic', () => {
  it('is true for a run a schedule started, false for one started over HTTP or relaunched', async () => {
    const { base, runtime } = await serveWorkflows();
    const at = new Date(Date.now() + 200);
    await runtime.client.schedules.create({ scheduleId: 'nightly', orchestrator: 'example.ETL', namespace: 'example', input: { from: 'schedule' }, at });
    const runId = `nightly@${at.toISOString()}`;
    await eventually(() => runtime.client.getStatus(runId));
    await ended(runtime, runId);
    const run = (await get(base, `/workflows/${encodeURIComponent(runId)}`)).body;
    expect(run).toMatchObject({ id: runId, periodic: true, project: 'example', name: 'ETL', payload: { from: 'schedule' }, status: 'success' });
    expect((await get(base, '/workflows')).body).toEqual([expect.objectContaining({ id: runId, periodic: true })]);
    const relaunched = await fetch(`${base}${WS}/workflows/${encodeURIComponent(runId)}/relaunch?${k}`, { method: 'POST' });
    expect(relaunched.status).toBe(201);
    expect(await relaunched.json()).toMatchObject({ periodic: false, payload: { from: 'schedule' } });
  });
});

describe('POST /api/workflows/<id>/relaunch', () => {
  it('answers 201 with a new workflow of the same project, name and payload', async () => {
    const { base, runtime } = await serveWorkflows();
    const first = await started(base, { project: 'example', name: 'ETL', payload: { n: 1, nested: { a: [1, 2] } } });
    await ended(runtime, first.id);
    const res = await fetch(`${base}${WS}/workflows/${first.id}/relaunch?${k}`, { method: 'POST' });
    expect(res.status).toBe(201);
    const again = (await res.json()) as Workflow;
    expect(Object.keys(again)).toEqual(['created', 'fullname', 'id', 'name', 'payload', 'periodic', 'project', 'status', 'updated']);
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({ project: 'example', name: 'ETL', fullname: 'example.ETL', payload: { n: 1, nested: { a: [1, 2] } }, periodic: false });
    expect(['pending', 'progress', 'success']).toContain(again.status);
    await ended(runtime, again.id);
    expect((await get(base, '/workflows')).body.map((w: Workflow) => w.id)).toEqual([again.id, first.id]);
  });

  it('answers 409 JSON for a workflow still running, 404 for an unknown one or a non-workflow, and starts nothing', async () => {
    const { base, runtime } = await serveWorkflows();
    const running = await started(base, { project: 'example', name: 'Wait', payload: {} });
    const plainId = await runtime.client.startNew('Echo', { instanceId: 'plain' });
    await ended(runtime, plainId);
    const before = await instanceCount(runtime);
    const relaunch = (id: string) => fetch(`${base}${WS}/workflows/${id}/relaunch?${k}`, { method: 'POST' });
    const conflict = await relaunch(running.id);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: 'INVALID_STATE' });
    for (const id of ['nobody', plainId]) {
      const res = await relaunch(id);
      expect(res.status, id).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'WORKFLOW_NOT_FOUND' });
    }
    expect(await instanceCount(runtime)).toBe(before);
    const wrongMethod = await fetch(`${base}${WS}/workflows/${running.id}/relaunch?${k}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('GET /api/ping', () => {
  it('answers {"message":"pong"} while the store answers', async () => {
    const { base } = await serveWorkflows({ start: false });
    const { status, body } = await get(base, '/ping');
    expect(status).toBe(200);
    expect(body).toEqual({ message: 'pong' });
  });
});

describe('the mount', () => {
  it('claims only its own paths under /api: the app keeps the rest, the facade keeps /api/orchestration', async () => {
    const passed: string[] = [];
    const { base } = await serveWorkflows({
      start: false,
      next: (req, res) => {
        passed.push(req.url!);
        res.statusCode = 299;
        res.end('app');
      },
    });
    for (const path of ['/api/users', '/api/workflowsx', '/api', '/api/pings', '/apiworkflows']) {
      expect((await fetch(`${base}${path}?${k}`)).status, path).toBe(299);
    }
    expect(passed).toHaveLength(5);
    expect((await fetch(`${base}/api/orchestration/instances?${k}`)).status).toBe(200);
    expect((await fetch(`${base}/api/workflows?${k}`)).status).toBe(200);
    expect((await fetch(`${base}/API/Workflows?${k}`)).status).toBe(200);
    expect((await fetch(`${base}/api/ping?${k}`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/api/workflows?${k}`, { method: 'DELETE' })).status).toBe(405);
  });

  it('answers 401 JSON on every route without the key', async () => {
    const { base } = await serveWorkflows({ start: false });
    for (const [method, path] of [
      ['GET', '/workflows'],
      ['POST', '/workflows'],
      ['GET', '/workflows/x'],
      ['POST', '/workflows/x/relaunch'],
      ['GET', '/ping'],
    ] as const) {
      const res = await fetch(`${base}${WS}${path}`, { method, ...(method === 'POST' && { body: '{}' }) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    }
  });

  it('moves with workflowServicePrefixes, and [] turns it off', async () => {
    const moved = await serveWorkflows({ start: false, options: { workflowServicePrefixes: ['/director/api'] } });
    expect((await fetch(`${moved.base}/director/api/ping?${k}`)).status).toBe(200);
    expect((await fetch(`${moved.base}/api/ping?${k}`)).status).toBe(299);
    const off = await serveWorkflows({ start: false, options: { workflowServicePrefixes: [] } });
    expect((await fetch(`${off.base}/api/ping?${k}`)).status).toBe(299);
    expect((await fetch(`${off.base}/api/workflows?${k}`, { method: 'POST', body: '{}' })).status).toBe(299);
  });
});
