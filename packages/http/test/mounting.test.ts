// Mounting: several task hubs behind one handler, prefixes, management URLs, the fetch handler.
import { describe, expect, it } from 'vitest';
import { createFetchHandler, createHttpHandler } from '@reprise/http';
import { API, DF, KEY, listen, makeRuntime, serveHandler } from './helpers.js';

const k = `code=${KEY}`;

describe('several task hubs', () => {
  it('picks the hub with taskHub (default: the first), 404 for an unknown hub', async () => {
    const alpha = await makeRuntime({ taskHub: 'alpha' });
    const beta = await makeRuntime({ taskHub: 'beta' });
    const { base } = await serveHandler(createHttpHandler([alpha, beta], { systemKey: KEY }));
    const start = await fetch(`${base}${DF}/orchestrators/Echo/same-id?taskHub=beta&${k}`, { method: 'POST', body: '"in beta"' });
    expect(start.status).toBe(202);
    const payload = (await start.json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toBe(`${base}${DF}/instances/same-id?taskHub=beta&${k}`);
    expect(payload.terminatePostUri).toBe(`${base}${DF}/instances/same-id/terminate?reason={text}&taskHub=beta&${k}`);
    await beta.client.waitForCompletion('same-id', { timeoutMs: 5000 });
    expect((await fetch(`${base}${DF}/instances/same-id?${k}`)).status).toBe(404);
    expect((await fetch(`${base}${DF}/instances/same-id?taskHub=alpha&${k}`)).status).toBe(404);
    expect(await (await fetch(`${base}${DF}/instances/same-id?taskHub=BETA&${k}`)).json()).toMatchObject({ output: 'in beta' });
    const unknown = await fetch(`${base}${DF}/instances/same-id?taskHub=gamma&${k}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'TASK_HUB_NOT_FOUND' });
    expect((await fetch(`${base}${DF}/orchestrators/Echo?taskHub=gamma&${k}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}${API}/instances?taskHubName=gamma&${k}`)).status).toBe(404);

    await fetch(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=in-alpha&${k}`, { method: 'POST' });
    await alpha.client.waitForCompletion('in-alpha', { timeoutMs: 5000 });
    expect((await fetch(`${base}${API}/instances/in-alpha?TaskHubName=alpha&${k}`)).status).toBe(200);
    expect((await fetch(`${base}${API}/instances/in-alpha?taskHubName=beta&${k}`)).status).toBe(404);
  });

  it('lists across the hubs named in taskHubNames (the facade), page by page', async () => {
    const alpha = await makeRuntime({ taskHub: 'alpha' });
    const beta = await makeRuntime({ taskHub: 'beta' });
    const { base } = await serveHandler(createFetchBridge(createFetchHandler([alpha, beta], { systemKey: KEY })));
    for (const [hub, id] of [['alpha', 'a1'], ['alpha', 'a2'], ['beta', 'b1']] as const) {
      await fetch(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=${id}&taskHub=${hub}&${k}`, { method: 'POST' });
    }
    const both = await collect(`${base}${API}/instances?taskHubNames=alpha,beta&${k}`);
    expect(both.sort()).toEqual(['a1', 'a2', 'b1']);
    const paged = await collect(`${base}${API}/instances?taskHubNames=alpha,beta&pageSize=1&${k}`);
    expect(paged.sort()).toEqual(['a1', 'a2', 'b1']);
    expect(await collect(`${base}${API}/instances?TaskHubNames=beta&${k}`)).toEqual(['b1']);
    expect((await fetch(`${base}${API}/instances?taskHubNames=alpha,nope&${k}`)).status).toBe(404);
    expect((await fetch(`${base}${API}/instances?taskHubNames=alpha,beta&continuationToken=h.bad&${k}`)).status).toBe(400);
  });

  it('refuses the same hub twice and an empty list', async () => {
    const a = await makeRuntime({ taskHub: 'same', start: false });
    const b = await makeRuntime({ taskHub: 'same', start: false });
    expect(() => createHttpHandler([a, b], { systemKey: KEY })).toThrow(/twice/);
    expect(() => createHttpHandler([], { systemKey: KEY })).toThrow();
  });
});

async function collect(url: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | null = null;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(token ? `${url}&continuationToken=${encodeURIComponent(token)}` : url);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { durableOrchestrationState: Array<{ instanceId: string }>; continuationToken: string | null };
    ids.push(...body.durableOrchestrationState.map((s) => s.instanceId));
    token = body.continuationToken;
    if (!token) return ids;
  }
  throw new Error('too many pages');
}

describe('management URLs', () => {
  it('carry connection and code from the request, percent-encoded', async () => {
    const runtime = await makeRuntime();
    const key = 'a&b=c d/é';
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: key }));
    const res = await fetch(`${base}${DF}/orchestrators/Echo/${encodeURIComponent('id#1?')}?connection=${encodeURIComponent('My Storage')}&code=${encodeURIComponent(key)}`, { method: 'POST' });
    expect(res.status).toBe(400); // '#' and '?' are not allowed in instance ids
    const ok = await fetch(`${base}${DF}/orchestrators/Echo/${encodeURIComponent('id 1')}?connection=${encodeURIComponent('My Storage')}&code=${encodeURIComponent(key)}`, { method: 'POST' });
    const payload = (await ok.json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toBe(`${base}${DF}/instances/id%201?connection=My%20Storage&code=a%26b%3Dc%20d%2F%C3%A9`);
    expect((await fetch(payload.statusQueryGetUri!)).status).not.toBe(401);
  });

  it('are built on publicBaseUrl when configured, Location included', async () => {
    const runtime = await makeRuntime({ start: false });
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, publicBaseUrl: 'https://api.example.com/durable/' }));
    const res = await fetch(`${base}${DF}/orchestrators/Echo/pub?${k}`, { method: 'POST' });
    const payload = (await res.json()) as Record<string, string>;
    expect(payload.statusQueryGetUri).toBe(`https://api.example.com/durable${DF}/instances/pub?${k}`);
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    const status = await fetch(`${base}${DF}/instances/pub?${k}`);
    expect(status.status).toBe(202);
    expect(status.headers.get('location')).toBe(`https://api.example.com/durable${DF}/instances/pub?${k}`);
    expect(() => createHttpHandler(runtime, { systemKey: KEY, publicBaseUrl: 'not a url' })).toThrow();
  });

  it('keep the mount path of a sub-mounted handler (Express-style originalUrl)', async () => {
    const runtime = await makeRuntime({ start: false });
    const handler = createHttpHandler(runtime, { systemKey: KEY });
    const { base } = await listen((req, res) => {
      if (!req.url!.startsWith('/durable/')) return void res.writeHead(404).end();
      Object.assign(req, { originalUrl: req.url, url: req.url!.slice('/durable'.length) });
      void handler(req, res);
    });
    const res = await fetch(`${base}/durable${DF}/orchestrators/Echo/m1?${k}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`${base}/durable${DF}/instances/m1?${k}`);
  });

  it('follow X-Forwarded-Proto/Host only with trustProxy', async () => {
    const runtime = await makeRuntime({ start: false });
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' };
    const plain = await serveHandler(createHttpHandler(runtime, { systemKey: KEY }));
    const trusted = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, trustProxy: true }));
    const a = await fetch(`${plain.base}${DF}/orchestrators/Echo/fw1?${k}`, { method: 'POST', headers: forwarded });
    expect(a.headers.get('location')).toBe(`${plain.base}${DF}/instances/fw1?${k}`);
    const b = await fetch(`${trusted.base}${DF}/orchestrators/Echo/fw2?${k}`, { method: 'POST', headers: forwarded });
    expect(b.headers.get('location')).toBe(`https://public.example${DF}/instances/fw2?${k}`);
  });
});

describe('prefixes', () => {
  it('are options: custom prefixes serve, the defaults then pass through, [] turns a document off', async () => {
    const runtime = await makeRuntime({ start: false });
    const handler = createHttpHandler(runtime, { systemKey: KEY, durableFunctionsPrefixes: ['/ops/df/'], orchestrationApiPrefixes: [] });
    const { base } = await listen((req, res) => handler(req, res, () => res.writeHead(418).end()));
    const res = await fetch(`${base}/ops/df/orchestrators/Echo/p1?${k}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`${base}/ops/df/instances/p1?${k}`);
    expect((await fetch(`${base}${DF}/instances?${k}`)).status).toBe(418);
    expect((await fetch(`${base}${API}/instances?${k}`)).status).toBe(418);
    expect(() => createHttpHandler(runtime, { systemKey: KEY, durableFunctionsPrefixes: ['no-slash'] })).toThrow();
  });

  it('point managementWebhookUrls (the facade) at the first Durable Functions prefix', async () => {
    const runtime = await makeRuntime({ start: false });
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, durableFunctionsPrefixes: ['/df'], orchestrationApiPrefixes: ['/orch'] }));
    await fetch(`${base}/orch/instances/startNew?orchestratorFunctionName=Echo&instanceId=u1&${k}`, { method: 'POST' });
    const urls = (await (await fetch(`${base}/orch/instances/u1/managementWebhookUrls?${k}`)).json()) as Record<string, string>;
    expect(urls.statusQueryGetUri).toBe(`${base}/df/instances/u1?${k}`);
  });
});

describe('createFetchHandler', () => {
  it('answers Web Requests directly: start, status, 404 outside the API, 401 without the key', async () => {
    const runtime = await makeRuntime();
    const fetchHandler = createFetchHandler(runtime, { systemKey: KEY });
    const start = await fetchHandler(new Request(`http://app.local${DF}/orchestrators/Hello/f1?${k}`, { method: 'POST', body: '"Rome"' }));
    expect(start.status).toBe(202);
    expect(start.headers.get('location')).toBe(`http://app.local${DF}/instances/f1?${k}`);
    await runtime.client.waitForCompletion('f1', { timeoutMs: 5000 });
    const status = await fetchHandler(new Request(`http://app.local${DF}/instances/f1?${k}`));
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ output: 'Hello Rome!' });
    const started = await fetchHandler(new Request(`http://app.local${API}/instances/startNew?orchestratorFunctionName=Echo&${k}`, { method: 'POST' }));
    expect(started.status).toBe(200);
    expect((await fetchHandler(new Request('http://app.local/elsewhere'))).status).toBe(404);
    expect((await fetchHandler(new Request(`http://app.local${DF}/instances`))).status).toBe(401);
    const big = await fetchHandler(new Request(`http://app.local${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) }), duplex: 'half' } as RequestInit));
    expect(big.status).toBe(413);
  });
});

/** A minimal node → fetch bridge, to serve the fetch handler on a real listener. */
function createFetchBridge(fetchHandler: (request: Request) => Promise<Response>) {
  return async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const response = await fetchHandler(new Request(`http://${req.headers.host}${req.url}`, { method: req.method!, ...(body && { body }) }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}
