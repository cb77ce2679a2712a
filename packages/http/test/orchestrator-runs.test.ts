// The orchestrator-runs document (/datasourcesvc/api/v1/orchrun) over a real listener on memory storage:
// every endpoint, parameter and status code, the shapes of the document's examples, nsfilter, the cap,
// cancellation and deletion. SQLite and Redis runs of the store-dependent parts: orchestrator-runs-stores.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, orchestratorIdOf } from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { KEY, eventually, makeRuntime, sendRaw } from './helpers.js';
import { IMPORT_ID, RUNS, createBody, serveRuns, stopRuntimes } from './orchrun-helpers.js';
import { capUnderConcurrentCreates, namespaceIsolation, offsetPaging } from './orchrun-scenarios.js';

afterEach(stopRuntimes);

const HOLD_ID = orchestratorIdOf('Hold');
const FAIL_ID = orchestratorIdOf('Fail');
const EPOCH_MS = /^\d{13}$/;

describe('orchrun: nsfilter', () => {
  it('is required on every route: 400 JSON without it, nothing stored', async () => {
    const { call, runtime } = await serveRuns();
    const id = await runtime.client.startNew('Import', { namespace: 'p1', input: [] });
    await runtime.client.waitForCompletion(id);
    for (const [method, path, body] of [
      ['GET', ''],
      ['GET', `/${id}`],
      ['GET', `/logs/${id}`],
      ['POST', '', createBody(IMPORT_ID)],
      ['PUT', `/${id}`, { id }],
      ['DELETE', `/${id}`],
      ['GET', '?nsfilter='],
    ] as const) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.contentType).toMatch(/application\/json/);
      expect(answer.body).toMatchObject({ error: 'NSFILTER_REQUIRED', message: expect.stringContaining('nsfilter') });
    }
    expect(await runtime.client.countInstances()).toBe(1);
    expect(await runtime.client.getStatus(id)).toBeDefined();
  });

  it('refuses a namespace that breaks the id rules with 400', async () => {
    const { call } = await serveRuns();
    for (const ns of ['..', 'a%2Fb', 'x'.repeat(300), '%00']) {
      const answer = await call('GET', `?nsfilter=${ns}`);
      expect(answer.status, ns).toBe(400);
    }
  });

  it('keeps namespaces apart', async () => {
    await namespaceIsolation(await serveRuns());
  });
});

describe('orchrun: create', () => {
  it('answers the run QUEUED in the document’s shape; the run then completes with its step', async () => {
    const { call, runtime } = await serveRuns({ start: false });
    const created = await call('POST', '?nsfilter=test_bXgr468E', createBody(IMPORT_ID, { _fileId: 'cb8d', _fileVersionId: '902a' }));
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String),
      _orchid: IMPORT_ID,
      _name: 'Import',
      _description: 'Test Instant Orch',
      _namespaces: ['test_bXgr468E'],
      _usertype: 'test_instant',
      _createdby: 'system',
      _createdat: expect.stringMatching(EPOCH_MS),
      _updatedat: expect.stringMatching(EPOCH_MS),
      _status: 'QUEUED',
      _result: '',
      orchrunsteps: [],
    });
    const id: string = created.body.id;
    // The orchestrator's input is the actual-params array.
    expect((await runtime.client.getStatus(id))?.input).toEqual([{ sequence_type_id: '9a616686-571e-4167-8a70-d180dcd585a9', params: { _fileId: 'cb8d', _fileVersionId: '902a' } }]);
    await runtime.start();
    await runtime.client.waitForCompletion(id);
    const got = await call('GET', `/${id}?nsfilter=test_bXgr468E`);
    expect(got.status).toBe(200);
    expect(got.body).toHaveLength(1);
    const [run] = got.body;
    expect(run).toMatchObject({ id, _status: 'COMPLETED', _result: JSON.stringify({ rows: 1 }), _createdat: created.body._createdat });
    expect(Number(run._updatedat)).toBeGreaterThanOrEqual(Number(run._createdat));
    expect(run.orchrunsteps).toEqual([
      {
        id: expect.any(String),
        _name: 'Load',
        orchstepid: expect.any(String),
        _compid: expect.any(String),
        _orchrunid: id,
        _actualparams: JSON.stringify([{ sequence_type_id: '9a616686-571e-4167-8a70-d180dcd585a9', params: { _fileId: 'cb8d', _fileVersionId: '902a' } }]),
        _sequenceno: 1,
        _runparams: run.orchrunsteps[0]._actualparams,
        _status: 'COMPLETED',
        _statusmsg: '',
      },
    ]);
    // Step ids are stable across calls.
    expect((await call('GET', `/${id}?nsfilter=test_bXgr468E`)).body[0].orchrunsteps[0]).toEqual(run.orchrunsteps[0]);
  });

  it('accepts `_actualparams` too, and shows the authenticated principal as _createdby', async () => {
    const { call } = await serveRuns({ options: { authenticate: (req) => (req.headers.get('x-user') ? { id: req.headers.get('x-user')! } : undefined) } });
    const created = await call('POST', '?nsfilter=p', { orchestratorId: IMPORT_ID, _actualparams: [] });
    expect(created.status).toBe(200);
    expect(created.body._createdby).toBe('system');
    const { base } = await serveRuns({ options: { authenticate: () => ({ id: 'cea475f0-7a61-4e06-8ab0-90777bcba2bf' }) } });
    const res = await fetch(`${base}${RUNS}?nsfilter=p`, { method: 'POST', body: JSON.stringify(createBody(IMPORT_ID)) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { _createdby: string })._createdby).toBe('cea475f0-7a61-4e06-8ab0-90777bcba2bf');
  });

  it.each([
    ['no body', undefined],
    ['a non-object body', [1]],
    ['no orchestratorId', { _actualParams: [] }],
    ['an empty orchestratorId', { orchestratorId: '', _actualParams: [] }],
    ['no _actualParams', { orchestratorId: IMPORT_ID }],
    ['both spellings', { orchestratorId: IMPORT_ID, _actualParams: [], _actualparams: [] }],
    ['_actualParams not an array', { orchestratorId: IMPORT_ID, _actualParams: {} }],
    ['an item without sequence_type_id', { orchestratorId: IMPORT_ID, _actualParams: [{ params: {} }] }],
    ['an item with params not an object', { orchestratorId: IMPORT_ID, _actualParams: [{ sequence_type_id: 's', params: [] }] }],
    ['an unknown orchestratorId', createBody('00000000-0000-0000-0000-000000000000')],
    ['a body that is not JSON', '{nope'],
    ['a deeply nested body', `{"orchestratorId":"${IMPORT_ID}","_actualParams":[{"sequence_type_id":"s","params":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}`],
  ])('refuses %s with 400 JSON and stores nothing', async (_label, body) => {
    const { call, runtime } = await serveRuns();
    const answer = await call('POST', '?nsfilter=p', body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(await runtime.client.countInstances()).toBe(0);
  });

  it('holds the cap under 50 concurrent creates', async () => {
    await capUnderConcurrentCreates(await serveRuns(), 'capped');
  });

  it('takes the group settings from orchestratorRuns.concurrency', async () => {
    const { call } = await serveRuns({ start: false, options: { orchestratorRuns: { concurrency: { limit: 1, maxQueued: 2 } } } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('POST', '?nsfilter=small', createBody(HOLD_ID))).status);
    expect(statuses).toEqual([200, 200, 200, 400]);
    const refused = await call('POST', '?nsfilter=small', createBody(HOLD_ID));
    expect(refused.body.message).toContain('2 queued');
  });

  it('refuses bad orchestratorRuns options when the handler is created', async () => {
    const runtime = await makeRuntime({ start: false });
    for (const orchestratorRuns of [{ concurrency: { limit: 0 } }, { concurrency: { maxQueued: -1 } }, { concurrency: { limit: 1.5 } }, { concurrency: 'x' }, 'x']) {
      expect(() => createHttpHandler(runtime, { systemKey: KEY, orchestratorRuns: orchestratorRuns as never })).toThrow(InvalidArgumentError);
    }
  });
});

describe('orchrun: list', () => {
  it('pages by offset with _total', async () => {
    await offsetPaging(await serveRuns(), 'paged');
  });

  it('filters by _status (case-insensitive, comma list) and by startDate / endDate', async () => {
    const { call, runtime } = await serveRuns();
    const done = (await call('POST', '?nsfilter=f', createBody(IMPORT_ID))).body.id as string;
    const failed = (await call('POST', '?nsfilter=f', createBody(FAIL_ID))).body.id as string;
    const held = (await call('POST', '?nsfilter=f', createBody(HOLD_ID))).body.id as string;
    await runtime.client.waitForCompletion(done);
    await runtime.client.waitForCompletion(failed);
    await eventually(async () => (await runtime.client.getStatus(held))?.runtimeStatus === 'Running');
    const ids = async (query: string) => {
      const answer = await call('GET', `?nsfilter=f&${query}`);
      expect(answer.status, query).toBe(200);
      expect(answer.body._total, query).toBe(answer.body._list.length);
      return answer.body._list.map((r: { id: string }) => r.id).sort();
    };
    expect(await ids('_status=COMPLETED')).toEqual([done]);
    expect(await ids('_status=failed')).toEqual([failed]);
    expect(await ids('_status=RUNNING')).toEqual([held]);
    expect(await ids('_status=COMPLETED,FAILED')).toEqual([done, failed].sort());
    const failedRun = (await call('GET', `/${failed}?nsfilter=f`)).body[0];
    expect(failedRun).toMatchObject({ _status: 'FAILED', _result: 'the file is broken' });
    const today = new Date().toISOString().slice(0, 10);
    expect(await ids(`startDate=${today}&endDate=${today}`)).toHaveLength(3);
    expect(await ids('endDate=2000-01-01')).toEqual([]);
    expect(await ids(`startDate=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  });

  it.each([
    ['_pageSize=0'],
    ['_pageSize=101'],
    ['_pageSize=abc'],
    ['_offset=-1'],
    ['_offset=1.5'],
    ['_status=DONE'],
    ['_status=REQUEST_CANCEL'],
    ['startDate=yesterday'],
    ['endDate=2023-13-01'],
    ['startDate=2024-01-02&endDate=2024-01-01'],
  ])('refuses %s with 400 JSON', async (query) => {
    const { call } = await serveRuns({ start: false });
    const answer = await call('GET', `?nsfilter=p&${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });
});

describe('orchrun: one run, logs', () => {
  it('answers 404 JSON for an unknown run', async () => {
    const { call } = await serveRuns();
    for (const path of ['/nope?nsfilter=p', '/logs/nope?nsfilter=p']) {
      const answer = await call('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: 'ORCH_RUN_NOT_FOUND' });
    }
  });

  it('answers the logs as a JSON string of NDJSON lines, in order, ending with "end": true once the run ended', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=logs', createBody(IMPORT_ID))).body.id as string;
    await runtime.client.waitForCompletion(id);
    const answer = await call('GET', `/logs/${id}?nsfilter=logs`);
    expect(answer.status).toBe(200);
    expect(typeof answer.body).toBe('string');
    expect(answer.body.endsWith('\n')).toBe(true);
    const lines = (answer.body as string).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.message)).toEqual(['Orch run execution has begun', 'loading the file', 'Orch run is done', 'Orch run has ended with status COMPLETED']);
    for (const line of lines) {
      expect(line).toMatchObject({ orchRunId: id, level: 'info', timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    }
    expect(lines.at(-1)).toMatchObject({ end: true });
    expect(lines.slice(0, -1).some((l) => 'end' in l)).toBe(false);
  });

  it('has no end line while the run is live', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=logs', createBody(HOLD_ID))).body.id as string;
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    const answer = await call('GET', `/logs/${id}?nsfilter=logs`);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
  });
});

describe('orchrun: edit (request cancellation)', () => {
  it('answers a running run as REQUEST_CANCEL in a one-element array; it then ends CANCELED', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=c', createBody(HOLD_ID))).body.id as string;
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    const edited = await call('PUT', `/${id}?nsfilter=c`, { id });
    expect(edited.status).toBe(200);
    expect(edited.body).toHaveLength(1);
    expect(edited.body[0]).toMatchObject({ id, _status: expect.stringMatching(/^(REQUEST_CANCEL|CANCELED)$/) });
    await runtime.client.waitForCompletion(id);
    expect((await call('GET', `/${id}?nsfilter=c`)).body[0]._status).toBe('CANCELED');
    // Ended: a second edit is refused.
    const again = await call('PUT', `/${id}?nsfilter=c`, { id });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'RUN_ENDED' });
  });

  it('answers REQUEST_CANCEL before the run has taken the request (no worker yet)', async () => {
    const { call, runtime } = await serveRuns({ start: false });
    await runtime.client.startNew('Hold', { instanceId: 'plain', namespace: 'c' });
    const edited = await call('PUT', '/plain?nsfilter=c', { id: 'plain' });
    expect(edited.status).toBe(200);
    expect(edited.body[0]).toMatchObject({ id: 'plain', _status: 'REQUEST_CANCEL' });
  });

  it('shows REQUEST_CANCEL while a run that took the request has not ended', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=c', createBody(orchestratorIdOf('Stubborn')))).body.id as string;
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    expect((await call('PUT', `/${id}?nsfilter=c`, { id })).body[0]._status).toBe('REQUEST_CANCEL');
    await eventually(async () => (await runtime.client.getStatus(id, { showHistory: true }))?.history?.some((e) => e.EventType === 'ExecutionCancelRequested'));
    const got = await call('GET', `/${id}?nsfilter=c`);
    expect(got.body[0]._status).toBe('REQUEST_CANCEL');
    expect((await call('GET', '?nsfilter=c')).body._list[0]._status).toBe('REQUEST_CANCEL');
    await runtime.client.raiseEvent(id, 'go');
    await runtime.client.waitForCompletion(id);
    expect((await call('GET', `/${id}?nsfilter=c`)).body[0]._status).toBe('COMPLETED');
  });

  it('cancels a queued run at once (CANCELED)', async () => {
    const { call } = await serveRuns({ start: false, options: { orchestratorRuns: { concurrency: { limit: 1, maxQueued: 5 } } } });
    await call('POST', '?nsfilter=q', createBody(HOLD_ID));
    const queued = (await call('POST', '?nsfilter=q', createBody(HOLD_ID))).body.id as string;
    const edited = await call('PUT', `/${queued}?nsfilter=q`, { id: queued });
    expect(edited.status).toBe(200);
    expect(edited.body[0]._status).toBe('CANCELED');
  });

  it.each([
    ['no body', undefined],
    ['a body without id', {}],
    ['an id that is not the path’s', { id: 'other' }],
    ['a numeric id', { id: 7 }],
  ])('refuses %s with 400 and changes nothing', async (_label, body) => {
    const { call, runtime } = await serveRuns({ start: false });
    const id = (await call('POST', '?nsfilter=c', createBody(HOLD_ID))).body.id as string;
    const answer = await call('PUT', `/${id}?nsfilter=c`, body);
    expect(answer.status).toBe(400);
    expect((await runtime.client.getStatus(id, { showHistory: true }))?.runtimeStatus).toBe('Pending');
  });

  it('answers 404 for an unknown run', async () => {
    const { call } = await serveRuns();
    expect((await call('PUT', '/nope?nsfilter=c', { id: 'nope' })).status).toBe(404);
  });
});

describe('orchrun: delete', () => {
  it('purges an ended run: 204, then 404', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=d', createBody(IMPORT_ID))).body.id as string;
    await runtime.client.waitForCompletion(id);
    const answer = await call('DELETE', `/${id}?nsfilter=d`);
    expect(answer.status).toBe(204);
    expect(answer.body).toBeUndefined();
    expect((await call('GET', `/${id}?nsfilter=d`)).status).toBe(404);
    expect((await call('DELETE', `/${id}?nsfilter=d`)).status).toBe(404);
    expect(await runtime.client.getStatus(id)).toBeUndefined();
  });

  it('cancels a running run first and purges it once it has ended', async () => {
    const { call, runtime } = await serveRuns();
    const id = (await call('POST', '?nsfilter=d', createBody(HOLD_ID))).body.id as string;
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    expect((await call('DELETE', `/${id}?nsfilter=d`)).status).toBe(204);
    await eventually(async () => (await call('GET', `/${id}?nsfilter=d`)).status === 404, { what: 'the run purged' });
    expect((await call('GET', '?nsfilter=d')).body._total).toBe(0);
  });
});

describe('orchrun: hostile paths', () => {
  it('answers dot segments, bad escapes and huge ids with 400 JSON, never routing them', async () => {
    const { port, runtime } = await serveRuns();
    const id = await runtime.client.startNew('Import', { namespace: 'h', input: [] });
    await runtime.client.waitForCompletion(id);
    for (const [method, path] of [
      ['GET', `${RUNS}/%2e%2e?nsfilter=h`],
      ['DELETE', `${RUNS}/..?nsfilter=h`],
      ['DELETE', `${RUNS}/.?nsfilter=h`],
      ['GET', `${RUNS}/logs/%2E?nsfilter=h`],
      ['GET', `${RUNS}/%zz?nsfilter=h`],
      ['PUT', `${RUNS}/${'i'.repeat(300)}?nsfilter=h`],
      ['GET', `${RUNS}/?nsfilter=h`],
      ['DELETE', `${RUNS}/a%2Fb?nsfilter=h`],
    ] as const) {
      const answer = await sendRaw(port, method, `${path}&code=${KEY}`, method === 'PUT' ? '{"id":"x"}' : undefined);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.headers['content-type']).toMatch(/application\/json/);
    }
    expect(await runtime.client.getStatus(id)).toBeDefined();
  });

  it('answers other methods with 405', async () => {
    const { call } = await serveRuns();
    expect((await call('PATCH', '/x?nsfilter=p')).status).toBe(405);
    expect((await call('DELETE', '?nsfilter=p')).status).toBe(405);
  });
});
