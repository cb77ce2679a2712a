// The Durable Functions HTTP API, over a real listener.
import { describe, expect, it } from 'vitest';
import { API, DF, DF1, KEY, eventually, flaky, serveApi, statusOf } from './helpers.js';

const k = `code=${KEY}`;

async function post(url: string, body?: unknown, raw = false): Promise<Response> {
  return fetch(url, { method: 'POST', ...(body !== undefined && { body: raw ? (body as string) : JSON.stringify(body) }), headers: { 'content-type': 'application/json' } });
}

describe('start orchestration', () => {
  it('answers 202 with the management payload, Location and Retry-After', async () => {
    const { base } = await serveApi();
    const res = await post(`${base}${DF}/orchestrators/Hello?${k}`, 'Tokyo');
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const payload = (await res.json()) as Record<string, string>;
    expect(Object.keys(payload).sort()).toEqual(
      ['id', 'purgeHistoryDeleteUri', 'resumePostUri', 'rewindPostUri', 'sendEventPostUri', 'statusQueryGetUri', 'suspendPostUri', 'terminatePostUri'].sort(),
    );
    const instance = `${base}${DF}/instances/${payload.id}`;
    expect(payload.statusQueryGetUri).toBe(`${instance}?${k}`);
    expect(payload.sendEventPostUri).toBe(`${instance}/raiseEvent/{eventName}?${k}`);
    expect(payload.terminatePostUri).toBe(`${instance}/terminate?reason={text}&${k}`);
    expect(payload.purgeHistoryDeleteUri).toBe(`${instance}?${k}`);
    expect(payload.rewindPostUri).toBe(`${instance}/rewind?reason={text}&${k}`);
    expect(payload.suspendPostUri).toBe(`${instance}/suspend?reason={text}&${k}`);
    expect(payload.resumePostUri).toBe(`${instance}/resume?reason={text}&${k}`);
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(res.headers.get('retry-after')).toBe('10');
  });

  it('takes the instance id from the path, percent-encoded in every URL', async () => {
    const { base, runtime } = await serveApi();
    const res = await post(`${base}${DF}/orchestrators/Echo/${encodeURIComponent('order 42+ü')}?${k}`, { a: 1 });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as Record<string, string>;
    expect(payload.id).toBe('order 42+ü');
    expect(payload.statusQueryGetUri).toContain('/instances/order%2042%2B%C3%BC?');
    const done = await runtime.client.waitForCompletion('order 42+ü', { timeoutMs: 5000 });
    expect(done.output).toEqual({ a: 1 });
  });

  it('follows the polling pattern: start, then follow Location until 200', async () => {
    const { base } = await serveApi();
    const start = await post(`${base}${DF}/orchestrators/Hello?${k}`, 'Lisbon');
    let location = start.headers.get('location')!;
    let res: Response;
    let polls = 0;
    for (;;) {
      res = await fetch(location);
      polls++;
      if (res.status !== 202) break;
      expect(res.headers.get('retry-after')).toBe('10');
      location = res.headers.get('location')!;
      await new Promise((r) => setTimeout(r, 10));
      expect(polls).toBeLessThan(500);
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.json()).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello Lisbon!', input: 'Lisbon' });
  });

  it('refuses an unknown orchestrator, bad JSON, a bad instance id (400) and a running id (409)', async () => {
    const { base } = await serveApi();
    const unknown = await post(`${base}${DF}/orchestrators/Nope?${k}`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'UNKNOWN_ORCHESTRATOR' });
    const badJson = await post(`${base}${DF}/orchestrators/Hello?${k}`, '{"a":', true);
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: 'INVALID_JSON', message: expect.any(String) });
    expect((await post(`${base}${DF}/orchestrators/Hello/${'x'.repeat(300)}?${k}`)).status).toBe(400);
    expect((await post(`${base}${DF}/orchestrators/Hello/${encodeURIComponent('@reserved')}?${k}`)).status).toBe(400);
    expect((await post(`${base}${DF}/orchestrators/Wait/singleton?${k}`)).status).toBe(202);
    const again = await post(`${base}${DF}/orchestrators/Wait/singleton?${k}`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'INSTANCE_EXISTS' });
  });
});

describe('instance status', () => {
  it('is 202 with Location and Retry-After while Pending', async () => {
    const { base } = await serveApi({}, { start: false });
    await post(`${base}${DF}/orchestrators/Hello/pending-one?${k}`);
    const res = await fetch(`${base}${DF}/instances/pending-one?${k}&showInput=false`);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`${base}${DF}/instances/pending-one?${k}&showInput=false`);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toMatchObject({ runtimeStatus: 'Pending', input: null, output: null, name: 'Hello', instanceId: 'pending-one' });
  });

  it('is 202 while Running and Suspended, 200 once Terminated', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Wait/w1?${k}`, { x: 1 });
    await eventually(async () => (await statusOf(runtime, 'w1')) === 'Running');
    const running = await fetch(`${base}${DF}/instances/w1?${k}`);
    expect(running.status).toBe(202);
    const body = (await running.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ runtimeStatus: 'Running', input: { x: 1 }, customStatus: { waiting: 'Go' }, output: null });
    expect(body.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.lastUpdatedTime).toMatch(/Z$/);
    expect((await post(`${base}${DF}/instances/w1/suspend?reason=maintenance&${k}`)).status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 'w1')) === 'Suspended');
    const suspended = await fetch(`${base}${DF}/instances/w1?${k}`);
    expect(suspended.status).toBe(202);
    expect(suspended.headers.get('location')).toContain('/instances/w1');
    expect((await suspended.json()) as object).toMatchObject({ runtimeStatus: 'Suspended' });
    expect((await post(`${base}${DF}/instances/w1/terminate?reason=enough&${k}`)).status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 'w1')) === 'Terminated');
    const terminated = await fetch(`${base}${DF}/instances/w1?${k}`);
    expect(terminated.status).toBe(200);
    expect(await terminated.json()).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
  });

  it('is 200 for Completed with history on request, without outputs unless asked', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Hello/h1?${k}`, 'Tokyo');
    await runtime.client.waitForCompletion('h1', { timeoutMs: 5000 });
    const plain = (await (await fetch(`${base}${DF}/instances/h1?${k}`)).json()) as Record<string, unknown>;
    // 001: "This field is null unless the showHistory query string parameter is set to true" (issue 12, item 9).
    expect(plain).toHaveProperty('historyEvents', null);
    const res = await fetch(`${base}${DF}/instances/h1?${k}&showHistory=true`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { historyEvents: Array<Record<string, unknown>> };
    expect(body.historyEvents.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);
    expect(body.historyEvents[0]).toMatchObject({ EventType: 'ExecutionStarted', FunctionName: 'Hello' });
    expect(body.historyEvents[2]).toMatchObject({ FunctionName: 'SayHello', ScheduledTime: expect.stringMatching(/Z$/) });
    expect(body.historyEvents[2]!.Result).toBeUndefined();
    const withOutput = (await (await fetch(`${base}${DF}/instances/h1?${k}&showHistory=true&showHistoryOutput=true`)).json()) as typeof body;
    expect(withOutput.historyEvents[2]).toMatchObject({ EventType: 'TaskCompleted', Result: 'Hello Tokyo!' });
    expect(withOutput.historyEvents[3]).toMatchObject({ EventType: 'ExecutionCompleted', OrchestrationStatus: 'Completed', Result: 'Hello Tokyo!' });
  });

  it('answers HEAD as GET without a body (issue 12, item 9: it was a 405)', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Hello/hd?${k}`, 'Tokyo');
    await runtime.client.waitForCompletion('hd', { timeoutMs: 5000 });
    for (const path of [`${DF}/instances/hd?${k}`, `${DF}/instances?${k}`, `${DF}/entities?${k}`, `${API}/instances/hd?${k}`, `${DF}/instances/nobody?${k}`]) {
      const get = await fetch(`${base}${path}`);
      const getBody = await get.arrayBuffer();
      const head = await fetch(`${base}${path}`, { method: 'HEAD' });
      expect(head.status, path).toBe(get.status);
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      expect(head.headers.get('content-length'), path).toBe(String(getBody.byteLength));
      expect((await head.arrayBuffer()).byteLength, path).toBe(0);
    }
    const running = await post(`${base}${DF}/orchestrators/Wait/hw?${k}`);
    expect(running.status).toBe(202);
    const polled = await fetch(`${base}${DF}/instances/hw?${k}`, { method: 'HEAD' });
    expect(polled.status).toBe(202);
    expect(polled.headers.get('location')).toContain('/instances/hw');
    expect((await fetch(`${base}${DF}/instances/hd`, { method: 'HEAD' })).status).toBe(401);
  });

  it('is 200 for Failed, 500 with returnInternalServerErrorOnFailure=true, 404 when unknown', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Fail/f1?${k}`);
    await runtime.client.waitForCompletion('f1', { timeoutMs: 5000 });
    const failed = await fetch(`${base}${DF}/instances/f1?${k}`);
    expect(failed.status).toBe(200);
    expect(await failed.json()).toMatchObject({ runtimeStatus: 'Failed', output: { message: 'boom' } });
    const asError = await fetch(`${base}${DF}/instances/f1?${k}&returnInternalServerErrorOnFailure=true`);
    expect(asError.status).toBe(500);
    expect(await asError.json()).toMatchObject({ runtimeStatus: 'Failed' });
    await post(`${base}${DF}/orchestrators/Echo/e1?${k}`, 1);
    await runtime.client.waitForCompletion('e1', { timeoutMs: 5000 });
    expect((await fetch(`${base}${DF}/instances/e1?${k}&returnInternalServerErrorOnFailure=true`)).status).toBe(200);
    const missing = await fetch(`${base}${DF}/instances/nobody?${k}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await missing.json()).toMatchObject({ error: 'INSTANCE_NOT_FOUND', message: expect.stringContaining('nobody') });
  });
});

describe('list instances', () => {
  it('filters by status list, prefix and created time, and pages with x-ms-continuation-token', async () => {
    const { base, runtime } = await serveApi();
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 5; i++) await post(`${base}${DF}/orchestrators/Echo/done-${i}?${k}`, i);
    for (let i = 0; i < 5; i++) await runtime.client.waitForCompletion(`done-${i}`, { timeoutMs: 5000 });
    await post(`${base}${DF}/orchestrators/Wait/wait-0?${k}`);
    await eventually(async () => (await statusOf(runtime, 'wait-0')) === 'Running');

    const all = await fetch(`${base}${DF}/instances?${k}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('x-ms-continuation-token')).toBeNull();
    expect((await all.json()) as unknown[]).toHaveLength(6);

    const byStatus = (await (await fetch(`${base}${DF}/instances?${k}&runtimeStatus=Running,Pending`)).json()) as Array<{ instanceId: string }>;
    expect(byStatus.map((s) => s.instanceId)).toEqual(['wait-0']);
    const lower = (await (await fetch(`${base}${DF}/instances?${k}&runtimeStatus=completed`)).json()) as unknown[];
    expect(lower).toHaveLength(5);
    const byPrefix = (await (await fetch(`${base}${DF}/instances?${k}&instanceIdPrefix=done-`)).json()) as unknown[];
    expect(byPrefix).toHaveLength(5);
    const future = (await (await fetch(`${base}${DF}/instances?${k}&createdTimeFrom=${new Date(Date.now() + 60_000).toISOString()}`)).json()) as unknown[];
    expect(future).toHaveLength(0);
    const range = (await (await fetch(`${base}${DF}/instances?${k}&createdTimeFrom=${before}&createdTimeTo=${new Date(Date.now() + 1000).toISOString()}`)).json()) as unknown[];
    expect(range).toHaveLength(6);
    const noInput = (await (await fetch(`${base}${DF}/instances?${k}&instanceIdPrefix=done-&showInput=false`)).json()) as Array<{ input: unknown }>;
    expect(noInput.every((s) => s.input === null)).toBe(true);
    const withInput = (await (await fetch(`${base}${DF}/instances?${k}&instanceIdPrefix=done-1`)).json()) as Array<{ input: unknown }>;
    expect(withInput[0]!.input).toBe(1);

    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const res: Response = await fetch(`${base}${DF}/instances?${k}&top=2`, { headers: token ? { 'x-ms-continuation-token': token } : {} });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Array<{ instanceId: string }>;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((s) => s.instanceId));
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['done-0', 'done-1', 'done-2', 'done-3', 'done-4', 'wait-0']);
  });

  it('includes each instance history with showHistory=true', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Echo/hist-1?${k}`, 'x');
    await runtime.client.waitForCompletion('hist-1', { timeoutMs: 5000 });
    const list = (await (await fetch(`${base}${DF}/instances?${k}&showHistory=true`)).json()) as Array<{ historyEvents: unknown[] }>;
    expect(list[0]!.historyEvents.length).toBeGreaterThan(1);
  });

  it('answers 400 for a bad status, date, top or continuation token', async () => {
    const { base } = await serveApi();
    for (const query of ['runtimeStatus=Sleeping', 'createdTimeFrom=yesterday', 'createdTimeTo=2020-13-01T00:00:00Z', 'top=0', 'top=-1', 'top=abc', 'top=1.5', 'showInput=maybe']) {
      const res = await fetch(`${base}${DF}/instances?${k}&${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'INVALID_ARGUMENT' });
    }
    expect((await fetch(`${base}${DF}/instances?${k}`, { headers: { 'x-ms-continuation-token': 'garbage' } })).status).toBe(400);
  });
});

describe('purge', () => {
  it('purges one terminal instance (200), 404 when unknown, 409 while running', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Echo/p1?${k}`, 1);
    await runtime.client.waitForCompletion('p1', { timeoutMs: 5000 });
    const res = await fetch(`${base}${DF}/instances/p1?${k}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(`${base}${DF}/instances/p1?${k}`)).status).toBe(404);
    expect((await fetch(`${base}${DF}/instances/p1?${k}`, { method: 'DELETE' })).status).toBe(404);
    await post(`${base}${DF}/orchestrators/Wait/p2?${k}`);
    const running = await fetch(`${base}${DF}/instances/p2?${k}`, { method: 'DELETE' });
    expect(running.status).toBe(409);
    expect(await running.json()).toMatchObject({ error: 'INVALID_STATE' });
  });

  it('purges by filter (200 with the count), 404 when nothing matched', async () => {
    const { base, runtime } = await serveApi();
    const from = new Date(Date.now() - 1000).toISOString();
    for (const id of ['a', 'b', 'c']) await post(`${base}${DF}/orchestrators/Echo/${id}?${k}`, id);
    for (const id of ['a', 'b', 'c']) await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    await post(`${base}${DF}/orchestrators/Fail/d?${k}`);
    await runtime.client.waitForCompletion('d', { timeoutMs: 5000 });
    const completed = await fetch(`${base}${DF}/instances?${k}&createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    expect(completed.status).toBe(200);
    expect(await completed.json()).toEqual({ instancesDeleted: 3 });
    const none = await fetch(`${base}${DF}/instances?${k}&createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    expect(none.status).toBe(404);
    // createdTimeFrom is optional in the Durable Functions HTTP API
    const rest = await fetch(`${base}${DF}/instances?${k}`, { method: 'DELETE' });
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual({ instancesDeleted: 1 });
  });
});

describe('raise event, terminate, suspend, resume, rewind', () => {
  it('raises an event (202) that completes the instance; 404 unknown, 410 completed, 400 bad JSON', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Wait/r1?${k}`);
    const bad = await post(`${base}${DF}/instances/r1/raiseEvent/Go?${k}`, 'not json', true);
    expect(bad.status).toBe(400);
    const res = await post(`${base}${DF}/instances/r1/raiseEvent/Go?${k}`, 'incr');
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect((await runtime.client.waitForCompletion('r1', { timeoutMs: 5000 })).output).toEqual({ got: 'incr' });
    expect((await post(`${base}${DF}/instances/r1/raiseEvent/Go?${k}`, 1)).status).toBe(410);
    expect((await post(`${base}${DF}/instances/ghost/raiseEvent/Go?${k}`, 1)).status).toBe(404);
  });

  it('terminates (202, reason recorded); 404 unknown, 410 once terminal, 400 bad JSON body', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Wait/t1?${k}`);
    expect((await post(`${base}${DF}/instances/t1/terminate?reason=buggy&${k}`, '{oops', true)).status).toBe(400);
    expect((await post(`${base}${DF}/instances/t1/terminate?reason=buggy&${k}`)).status).toBe(202);
    expect((await runtime.client.waitForCompletion('t1', { timeoutMs: 5000 })).output).toBe('buggy');
    expect((await post(`${base}${DF}/instances/t1/terminate?reason=again&${k}`)).status).toBe(410);
    expect((await post(`${base}${DF}/instances/nope/terminate?${k}`)).status).toBe(404);
  });

  it('suspends and resumes (202); 404 unknown, 410 when terminal', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${DF}/orchestrators/Wait/s1?${k}`);
    await eventually(async () => (await statusOf(runtime, 's1')) === 'Running');
    expect((await post(`${base}${DF}/instances/s1/suspend?reason=pause&${k}`)).status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 's1')) === 'Suspended');
    await post(`${base}${DF}/instances/s1/raiseEvent/Go?${k}`, 7);
    expect((await post(`${base}${DF}/instances/s1/resume?reason=go&${k}`)).status).toBe(202);
    expect((await runtime.client.waitForCompletion('s1', { timeoutMs: 5000 })).output).toEqual({ got: 7 });
    expect((await post(`${base}${DF}/instances/s1/suspend?${k}`)).status).toBe(410);
    expect((await post(`${base}${DF}/instances/s1/resume?${k}`)).status).toBe(410);
    expect((await post(`${base}${DF}/instances/zz/suspend?${k}`)).status).toBe(404);
    expect((await post(`${base}${DF}/instances/zz/resume?${k}`)).status).toBe(404);
    expect((await post(`${base}${DF}/instances/s1/resume?${k}`, '[1,', true)).status).toBe(400);
  });

  it('rewinds a Failed instance (202); 410 unless Failed; 404 unknown', async () => {
    const { base, runtime } = await serveApi();
    flaky.broken = true;
    await post(`${base}${DF}/orchestrators/Rewindable/rw?${k}`);
    expect((await runtime.client.waitForCompletion('rw', { timeoutMs: 5000 })).runtimeStatus).toBe('Failed');
    flaky.broken = false;
    expect((await post(`${base}${DF}/instances/rw/rewind?reason=fixed&${k}`)).status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 'rw')) === 'Completed');
    const completedAgain = await post(`${base}${DF}/instances/rw/rewind?reason=again&${k}`);
    expect(completedAgain.status).toBe(410);
    expect(await completedAgain.json()).toMatchObject({ error: 'INVALID_STATE' });
    await post(`${base}${DF}/orchestrators/Wait/rw-running?${k}`);
    expect((await post(`${base}${DF}/instances/rw-running/rewind?${k}`)).status).toBe(410);
    expect((await post(`${base}${DF}/instances/nobody/rewind?${k}`)).status).toBe(404);
    expect((await post(`${base}${DF}/instances/rw-running/rewind?${k}`, '}', true)).status).toBe(400);
  });
});

describe('entities', () => {
  it('signals (202), reads (200 / 404) and refuses unknown names (404), bad JSON and a missing op (400)', async () => {
    const { base, runtime } = await serveApi();
    expect((await post(`${base}${DF}/entities/Counter/steps?op=add&${k}`, 5)).status).toBe(202);
    expect((await post(`${base}${DF}/entities/counter/steps?op=add&${k}`, 2)).status).toBe(202);
    await eventually(async () => (await runtime.client.readEntityState({ name: 'counter', key: 'steps' })).entityState === 7);
    const res = await fetch(`${base}${DF}/entities/Counter/steps?${k}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(7);
    expect((await fetch(`${base}${DF}/entities/Counter/nobody?${k}`)).status).toBe(404);
    const unknown = await post(`${base}${DF}/entities/Nope/x?op=add&${k}`, 1);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'UNKNOWN_ENTITY' });
    expect((await post(`${base}${DF}/entities/Counter/steps?op=add&${k}`, '5+', true)).status).toBe(400);
    expect((await post(`${base}${DF}/entities/Counter/steps?${k}`, 1)).status).toBe(400);
    expect((await post(`${base}${DF}/entities/${encodeURIComponent('Count@er')}/steps?op=add&${k}`, 1)).status).toBe(400);
  });

  it('lists entities by name case-insensitively, with state, time range, top and continuation header', async () => {
    const { base, runtime } = await serveApi();
    const from = new Date(Date.now() - 1000).toISOString();
    for (const key of ['cats', 'dogs', 'mice']) await post(`${base}${DF}/entities/Counter/${key}?op=add&${k}`, key.length);
    await eventually(async () => (await runtime.client.listEntities({ name: 'counter' })).entities.length === 3);
    await eventually(async () => (await runtime.client.readEntityState({ name: 'counter', key: 'mice' })).entityExists);
    const all = await fetch(`${base}${DF}/entities?${k}`);
    expect(all.status).toBe(200);
    const list = (await all.json()) as Array<{ entityId: { name: string; key: string }; lastOperationTime: string; state?: unknown }>;
    expect(list.map((e) => e.entityId.key).sort()).toEqual(['cats', 'dogs', 'mice']);
    expect(list[0]!.entityId.name).toBe('counter');
    expect(list[0]!.lastOperationTime).toMatch(/Z$/);
    expect(list[0]!.state).toBeUndefined();
    const byName = (await (await fetch(`${base}${DF}/entities/COUNTER?${k}&fetchState=true`)).json()) as typeof list;
    expect(byName).toHaveLength(3);
    expect(byName.find((e) => e.entityId.key === 'dogs')!.state).toBe(4);
    expect((await (await fetch(`${base}${DF}/entities/device?${k}`)).json()) as unknown[]).toEqual([]);
    const inRange = (await (await fetch(`${base}${DF}/entities?${k}&lastOperationTimeFrom=${from}&lastOperationTimeTo=${new Date(Date.now() + 60_000).toISOString()}`)).json()) as unknown[];
    expect(inRange).toHaveLength(3);
    const later = (await (await fetch(`${base}${DF}/entities?${k}&lastOperationTimeFrom=${new Date(Date.now() + 60_000).toISOString()}`)).json()) as unknown[];
    expect(later).toHaveLength(0);

    const first = await fetch(`${base}${DF}/entities/counter?${k}&top=2`);
    const page1 = (await first.json()) as typeof list;
    const token = first.headers.get('x-ms-continuation-token');
    expect(page1).toHaveLength(2);
    expect(token).toBeTruthy();
    const second = await fetch(`${base}${DF}/entities/counter?${k}&top=2`, { headers: { 'x-ms-continuation-token': token! } });
    const page2 = (await second.json()) as typeof list;
    expect(page2).toHaveLength(1);
    expect(second.headers.get('x-ms-continuation-token')).toBeNull();
    expect([...page1, ...page2].map((e) => e.entityId.key).sort()).toEqual(['cats', 'dogs', 'mice']);
    expect((await fetch(`${base}${DF}/entities?${k}&fetchState=perhaps`)).status).toBe(400);
    expect((await fetch(`${base}${DF}/entities?${k}&lastOperationTimeFrom=nope`)).status).toBe(400);
  });
});

describe('the 1.x prefix', () => {
  it('serves the same API under /admin/extensions/DurableTaskExtension, with its own URLs', async () => {
    const { base, runtime } = await serveApi();
    const res = await post(`${base}${DF1}/orchestrators/Hello/v1?${k}`, 'Oslo');
    expect(res.status).toBe(202);
    const payload = (await res.json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toBe(`${base}${DF1}/instances/v1?${k}`);
    await runtime.client.waitForCompletion('v1', { timeoutMs: 5000 });
    const status = await fetch(payload.statusQueryGetUri!);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ output: 'Hello Oslo!' });
    // The document spells the 2.x list path /runtime/webhooks/durableTask/instances.
    expect((await fetch(`${base}/runtime/webhooks/durableTask/instances?${k}`)).status).toBe(200);
    expect((await fetch(`${base}${DF1}/instances?${k}`)).status).toBe(200);
    expect((await fetch(`${base}${DF1}/entities?${k}`)).status).toBe(200);
    expect((await fetch(`${base}${DF1}/instances/v1?${k}`, { method: 'DELETE' })).status).toBe(200);
  });
});
