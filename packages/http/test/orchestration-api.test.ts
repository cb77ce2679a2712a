// The orchestration REST facade (/api/orchestration), over a real listener.
import { describe, expect, it } from 'vitest';
import { API, DF, KEY, eventually, flaky, serveApi, statusOf } from './helpers.js';

const k = `code=${KEY}`;

function post(url: string, body?: string): Promise<Response> {
  return fetch(url, { method: 'POST', ...(body !== undefined && { body }), headers: { 'content-type': 'application/json' } });
}

describe('/api/orchestration', () => {
  it('starts with startNew (200 { instanceId }), query names case-insensitive', async () => {
    const { base, runtime } = await serveApi();
    const res = await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=manualTrigger123&${k}`, JSON.stringify({ id: 1, name: 'Fred' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ instanceId: 'manualTrigger123' });
    expect((await runtime.client.waitForCompletion('manualTrigger123', { timeoutMs: 5000 })).output).toEqual({ id: 1, name: 'Fred' });
    const upper = await post(`${base}${API}/instances/startNew?OrchestratorFunctionName=Echo&${k}`, '2');
    expect(upper.status).toBe(200);
    const { instanceId } = (await upper.json()) as { instanceId: string };
    expect(instanceId).toMatch(/^[\w-]{8,}$/);
    const shouting = await post(`${base}${API}/instances/startNew?ORCHESTRATORFUNCTIONNAME=Echo&INSTANCEID=loud&${k}`);
    expect(await shouting.json()).toEqual({ instanceId: 'loud' });
  });

  it('refuses a missing or unknown orchestrator, bad JSON and a bad instance id (400)', async () => {
    const { base } = await serveApi();
    const missing = await post(`${base}${API}/instances/startNew?${k}`);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'INVALID_ARGUMENT', message: expect.stringContaining('orchestratorFunctionName') });
    expect((await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Nope&${k}`)).status).toBe(400);
    expect((await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&${k}`, '{"id":')).status).toBe(400);
    expect((await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=a%2Fb&${k}`)).status).toBe(400);
  });

  it('queries one instance: 200 in every state, history as `history`, 404 when unknown', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=q1&${k}`, '{"a":1}');
    await eventually(async () => (await statusOf(runtime, 'q1')) === 'Running');
    const running = await fetch(`${base}${API}/instances/q1?${k}`);
    expect(running.status).toBe(200);
    expect(running.headers.get('location')).toBeNull();
    expect(await running.json()).toMatchObject({ name: 'Wait', instanceId: 'q1', runtimeStatus: 'Running', input: { a: 1 }, customStatus: { waiting: 'Go' }, output: null });
    const noInput = (await (await fetch(`${base}${API}/instances/q1?${k}&ShowInput=false`)).json()) as { input: unknown };
    expect(noInput.input).toBeNull();
    await post(`${base}${API}/instances/q1/raiseEvent?eventName=Go&${k}`, '"now"');
    await runtime.client.waitForCompletion('q1', { timeoutMs: 5000 });
    const res = await fetch(`${base}${API}/instances/q1?showHistory=true&showHistoryOutput=true&showInput=true&${k}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { history: Array<Record<string, unknown>>; historyEvents?: unknown };
    expect(body.historyEvents).toBeUndefined();
    expect(body.history[0]).toMatchObject({ EventType: 'ExecutionStarted', FunctionName: 'Wait' });
    expect(body.history.at(-1)).toMatchObject({ EventType: 'ExecutionCompleted', OrchestrationStatus: 'Completed', Result: { got: 'now' } });
    const unknown = await fetch(`${base}${API}/instances/acb2c631?${k}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'INSTANCE_NOT_FOUND' });
  });

  it('lists with filters: { durableOrchestrationState, continuationToken } paged by query parameter', async () => {
    const { base, runtime } = await serveApi();
    for (let i = 0; i < 5; i++) await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=item-${i}&${k}`, String(i));
    for (let i = 0; i < 5; i++) await runtime.client.waitForCompletion(`item-${i}`, { timeoutMs: 5000 });
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=other&${k}`);
    await eventually(async () => (await statusOf(runtime, 'other')) === 'Running');

    const all = (await (await fetch(`${base}${API}/instances?${k}`)).json()) as { durableOrchestrationState: Array<Record<string, unknown>>; continuationToken: string | null };
    expect(all.durableOrchestrationState).toHaveLength(6);
    expect(all.continuationToken).toBeNull();
    // "ShowInput: If set to true, will include the orchestration inputs": left out otherwise.
    expect(all.durableOrchestrationState.every((s) => s.input === null)).toBe(true);
    const withInput = (await (await fetch(`${base}${API}/instances?${k}&showInput=true&instanceIdPrefix=item-3`)).json()) as typeof all;
    expect(withInput.durableOrchestrationState.map((s) => s.input)).toEqual([3]);
    const running = (await (await fetch(`${base}${API}/instances?${k}&RuntimeStatus=Running,Completed&InstanceIdPrefix=oth`)).json()) as typeof all;
    expect(running.durableOrchestrationState.map((s) => s.instanceId)).toEqual(['other']);
    const created = (await (await fetch(`${base}${API}/instances?${k}&CreatedTimeFrom=${new Date(Date.now() + 60_000).toISOString()}`)).json()) as typeof all;
    expect(created.durableOrchestrationState).toEqual([]);
    const until = (await (await fetch(`${base}${API}/instances?${k}&createdTimeTo=${new Date(Date.now() + 60_000).toISOString()}`)).json()) as typeof all;
    expect(until.durableOrchestrationState).toHaveLength(6);
    const withHistory = (await (await fetch(`${base}${API}/instances?${k}&instanceIdPrefix=item-0&showHistory=true`)).json()) as typeof all;
    expect(withHistory.durableOrchestrationState[0]!.history).toBeInstanceOf(Array);

    const ids: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const url: string = `${base}${API}/instances?${k}&PageSize=4${token ? `&ContinuationToken=${encodeURIComponent(token)}` : ''}`;
      const page = (await (await fetch(url)).json()) as typeof all;
      ids.push(...page.durableOrchestrationState.map((s) => s.instanceId as string));
      token = page.continuationToken;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(2);
    expect(ids.sort()).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4', 'other']);
    // The document's example end token (base64 "null") reads as "from the start".
    expect(((await (await fetch(`${base}${API}/instances?${k}&continuationToken=bnVsbA==`)).json()) as typeof all).durableOrchestrationState).toHaveLength(6);
    expect((await fetch(`${base}${API}/instances?${k}&continuationToken=zzz`)).status).toBe(400);
    expect((await fetch(`${base}${API}/instances?${k}&pageSize=0`)).status).toBe(400);
  });

  it('terminates and rewinds with a required reason (400 without), 202, 404, 410', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=t1&${k}`);
    const noReason = await post(`${base}${API}/instances/t1/terminate?${k}`);
    expect(noReason.status).toBe(400);
    expect(await noReason.json()).toMatchObject({ message: expect.stringContaining('reason') });
    expect((await post(`${base}${API}/instances/t1/terminate?reason=Instance%20taking%20too%20long&${k}`)).status).toBe(202);
    expect((await runtime.client.waitForCompletion('t1', { timeoutMs: 5000 })).output).toBe('Instance taking too long');
    expect((await post(`${base}${API}/instances/t1/terminate?Reason=again&${k}`)).status).toBe(410);
    expect((await post(`${base}${API}/instances/none/terminate?reason=x&${k}`)).status).toBe(404);

    flaky.broken = true;
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Rewindable&instanceId=rw&${k}`);
    await runtime.client.waitForCompletion('rw', { timeoutMs: 5000 });
    expect((await post(`${base}${API}/instances/rw/rewind?${k}`)).status).toBe(400);
    flaky.broken = false;
    expect((await post(`${base}${API}/instances/rw/rewind?reason=Rollback%20due%20to%20failure&${k}`)).status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 'rw')) === 'Completed');
    expect((await post(`${base}${API}/instances/rw/rewind?reason=again&${k}`)).status).toBe(410);
    expect((await post(`${base}${API}/instances/none/rewind?reason=x&${k}`)).status).toBe(404);
  });

  it('raises events with a required eventName: 202 no body, 400 without a name or with bad JSON, 404, 410', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=e1&${k}`);
    expect((await post(`${base}${API}/instances/e1/raiseEvent?${k}`, '1')).status).toBe(400);
    expect((await post(`${base}${API}/instances/e1/raiseEvent?eventName=Go&${k}`, '{"id":1,')).status).toBe(400);
    const res = await post(`${base}${API}/instances/e1/raiseEvent?EventName=Go&TaskHubName=default&ConnectionName=Storage&${k}`, JSON.stringify({ id: 1, name: 'Fred' }));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect((await runtime.client.waitForCompletion('e1', { timeoutMs: 5000 })).output).toEqual({ got: { id: 1, name: 'Fred' } });
    expect((await post(`${base}${API}/instances/e1/raiseEvent?eventName=Go&${k}`, '1')).status).toBe(410);
    expect((await post(`${base}${API}/instances/zz/raiseEvent?eventName=Go&${k}`, '1')).status).toBe(404);
  });

  it('returns management webhook URLs pointing at the Durable Functions API (404 when unknown)', async () => {
    const { base } = await serveApi();
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=${encodeURIComponent('my id')}&${k}`);
    const res = await fetch(`${base}${API}/instances/my%20id/managementWebhookUrls?${k}&taskHub=default&connection=Storage`);
    expect(res.status).toBe(200);
    const urls = (await res.json()) as Record<string, string>;
    const q = `taskHub=default&connection=Storage&${k}`;
    expect(urls).toMatchObject({
      id: 'my id',
      statusQueryGetUri: `${base}${DF}/instances/my%20id?${q}`,
      sendEventPostUri: `${base}${DF}/instances/my%20id/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${base}${DF}/instances/my%20id/terminate?reason={text}&${q}`,
      rewindPostUri: `${base}${DF}/instances/my%20id/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${base}${DF}/instances/my%20id?${q}`,
    });
    expect((await fetch(urls.statusQueryGetUri!)).status).toBe(202);
    expect((await fetch(`${base}${API}/instances/unknown/managementWebhookUrls?${k}`)).status).toBe(404);
  });

  it('purges one instance ({ instancesDeleted }: 1, then 0), refusing a running one (409)', async () => {
    const { base, runtime } = await serveApi();
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=p1&${k}`, '1');
    await runtime.client.waitForCompletion('p1', { timeoutMs: 5000 });
    const res = await post(`${base}${API}/instances/p1/purgeInstanceHistory?${k}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 1 });
    expect(await (await post(`${base}${API}/instances/p1/purgeInstanceHistory?${k}`)).json()).toEqual({ instancesDeleted: 0 });
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=p2&${k}`);
    expect((await post(`${base}${API}/instances/p2/purgeInstanceHistory?${k}`)).status).toBe(409);
  });

  it('purges by filter: createdTimeFrom required, statuses limited to Completed/Terminated/Failed, 200 even for 0', async () => {
    const { base, runtime } = await serveApi();
    const from = new Date(Date.now() - 1000).toISOString();
    for (const id of ['x1', 'x2']) await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=${id}&${k}`, '1');
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Fail&instanceId=x3&${k}`);
    await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Wait&instanceId=x4&${k}`);
    for (const id of ['x1', 'x2', 'x3']) await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect((await post(`${base}${API}/instances/purgeInstanceHistory?${k}`)).status).toBe(400);
    expect((await post(`${base}${API}/instances/purgeInstanceHistory?createdTimeFrom=${from}&runtimeStatus=Running&${k}`)).status).toBe(400);
    expect((await post(`${base}${API}/instances/purgeInstanceHistory?createdTimeFrom=not-a-date&${k}`)).status).toBe(400);
    const failed = await post(`${base}${API}/instances/purgeInstanceHistory?createdTimeFrom=${from}&createdTimeTo=${new Date(Date.now() + 60_000).toISOString()}&runtimeStatus=Failed&${k}`);
    expect(failed.status).toBe(200);
    expect(await failed.json()).toEqual({ instancesDeleted: 1 });
    const rest = await post(`${base}${API}/instances/purgeInstanceHistory?CreatedTimeFrom=${from}&${k}`);
    expect(await rest.json()).toEqual({ instancesDeleted: 2 });
    const none = await post(`${base}${API}/instances/purgeInstanceHistory?createdTimeFrom=${from}&runtimeStatus=Completed,Terminated,Failed&${k}`);
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ instancesDeleted: 0 });
    expect(await statusOf(runtime, 'x4')).toBeDefined();
  });
});
