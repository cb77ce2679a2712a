/**
 * The core client's check-status responses (durable-functions'
 * createCheckStatusResponse and waitForCompletionOrCreateCheckStatusResponse)
 * against this package's handler on a real listener: every URL they hand out
 * is fetched and answers as the Durable Functions HTTP API documents.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRuntime } from '@reprise/core';
import type { PlainHttpResponse, Runtime, RuntimeOptions } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import { DF, DF1, KEY, eventually, flaky, listen, testApp } from './helpers.js';

/** A runtime and one server: the management API under `prefix`, and a starter at POST /api/start/{name} answering with the check-status response. */
async function serveApp(managementUrls: RuntimeOptions['managementUrls'] = { code: KEY }, prefix = DF) {
  const runtime = createRuntime({ storage: memoryStorage(), logger: () => {}, ...testApp(), managementUrls });
  await runtime.start();
  const api = createHttpHandler(runtime, { systemKey: KEY, durableFunctionsPrefixes: [prefix] });
  const served = await listen((req, res) => {
    const match = /^\/api\/start\/(\w+)$/.exec(req.url ?? '');
    if (!match) return void api(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = await runtime.client.startNew(match[1]!, { input: body === '' ? undefined : JSON.parse(body) });
      // The plain shape, as a Node handler writes it.
      const { status, headers, body: text } = runtime.client.createCheckStatusResponse(req, id).plain;
      res.writeHead(status, headers).end(text);
    });
  });
  return { ...served, runtime, stop: () => runtime.stop() };
}

async function start(base: string, name: string, input?: unknown): Promise<{ response: Response; payload: Record<string, string> }> {
  const response = await fetch(`${base}/api/start/${name}`, { method: 'POST', body: input === undefined ? '' : JSON.stringify(input) });
  return { response, payload: (await response.json()) as Record<string, string> };
}

async function untilStatus(runtime: Runtime, id: string, status: string): Promise<void> {
  await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === status, { timeoutMs: 10_000, what: `${id} ${status}` });
}

describe('createCheckStatusResponse', () => {
  it('answers 202 with the five DF management URLs on the request origin and the default prefix, Location and Retry-After: 10', async () => {
    const app = await serveApp();
    try {
      const { response, payload } = await start(app.base, 'Wait');
      const id = payload.id!;
      expect(response.status).toBe(202);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('retry-after')).toBe('10');
      const instance = `${app.base}${DF}/instances/${id}`;
      const common = `taskHub=default&code=${KEY}`;
      expect(payload).toEqual({
        id,
        statusQueryGetUri: `${instance}?${common}`,
        sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
        terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
        rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
        purgeHistoryDeleteUri: `${instance}?${common}`,
      });
      expect(response.headers.get('location')).toBe(payload.statusQueryGetUri);

      // statusQueryGetUri: 202 while it runs, with the instance's status.
      const running = await fetch(payload.statusQueryGetUri!);
      expect(running.status).toBe(202);
      expect(await running.json()).toMatchObject({ instanceId: id, name: 'Wait', customStatus: { waiting: 'Go' } });

      // sendEventPostUri: 202, and the instance gets the event.
      const raised = await fetch(payload.sendEventPostUri!.replace('{eventName}', 'Go'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"green"' });
      expect(raised.status).toBe(202);
      await untilStatus(app.runtime, id, 'Completed');
      const done = await fetch(payload.statusQueryGetUri!);
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ runtimeStatus: 'Completed', output: { got: 'green' } });

      // purgeHistoryDeleteUri: 200 with the count, then the instance is gone.
      const purged = await fetch(payload.purgeHistoryDeleteUri!, { method: 'DELETE' });
      expect(purged.status).toBe(200);
      expect(await purged.json()).toEqual({ instancesDeleted: 1 });
      expect((await fetch(payload.statusQueryGetUri!)).status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  it('terminatePostUri and rewindPostUri answer 202 and do what they say', async () => {
    const app = await serveApp();
    try {
      const waiting = (await start(app.base, 'Wait')).payload;
      const terminated = await fetch(waiting.terminatePostUri!.replace('{text}', 'enough'), { method: 'POST' });
      expect(terminated.status).toBe(202);
      await untilStatus(app.runtime, waiting.id!, 'Terminated');

      flaky.broken = true;
      const failing = (await start(app.base, 'Rewindable')).payload;
      await untilStatus(app.runtime, failing.id!, 'Failed');
      flaky.broken = false;
      const rewound = await fetch(failing.rewindPostUri!.replace('{text}', 'fixed'), { method: 'POST' });
      expect(rewound.status).toBe(202);
      await untilStatus(app.runtime, failing.id!, 'Completed');
    } finally {
      flaky.broken = true;
      await app.stop();
    }
  });

  it('builds on a web Request too, and on baseUrl and prefix when the API is mounted elsewhere', async () => {
    const app = await serveApp({ code: KEY, prefix: DF1 }, DF1);
    try {
      const id = await app.runtime.client.startNew('Hello', { input: 'Oslo' });
      const response = app.runtime.client.createCheckStatusResponse(new Request(`${app.base}/anything/here?x=1`), id);
      expect(response).toBeInstanceOf(Response);
      expect(response.status).toBe(202);
      const payload = (await response.json()) as Record<string, string>;
      expect(payload.statusQueryGetUri).toBe(`${app.base}${DF1}/instances/${id}?taskHub=default&code=${KEY}`);
      await app.runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      const status = await fetch(payload.statusQueryGetUri!);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello Oslo!' });

      const elsewhere = app.runtime.client.createHttpManagementPayload({ url: '/relative' }, id, { baseUrl: 'https://public.example.com/durable/', prefix: '/df', code: undefined, connection: 'Storage' });
      expect(elsewhere.statusQueryGetUri).toBe(`https://public.example.com/durable/df/instances/${id}?taskHub=default&connection=Storage&code=${KEY}`);
    } finally {
      await app.stop();
    }
  });

  it('refuses what it cannot build a URL from with InvalidArgumentError', async () => {
    const app = await serveApp();
    try {
      expect(() => app.runtime.client.createCheckStatusResponse({ url: '/no-host' }, 'x')).toThrow(InvalidArgumentError);
      expect(() => app.runtime.client.createCheckStatusResponse({ url: 'http://h' }, '')).toThrow(InvalidArgumentError);
      expect(() => app.runtime.client.createCheckStatusResponse({ url: 'http://h' }, 'x', { baseUrl: 'ftp://h' })).toThrow(InvalidArgumentError);
      expect(() => app.runtime.client.createCheckStatusResponse({ url: 'http://h' }, 'x', { prefix: 'no-slash' })).toThrow(InvalidArgumentError);
    } finally {
      await app.stop();
    }
  });
});

describe('waitForCompletionOrCreateCheckStatusResponse', () => {
  it('200 with the output when it completes in time, 200 with the status when it fails, else the check-status 202', async () => {
    const app = await serveApp();
    const request = new Request(`${app.base}/api/start`);
    try {
      const hello = await app.runtime.client.startNew('Hello', { input: 'Lima' });
      const completed = await app.runtime.client.waitForCompletionOrCreateCheckStatusResponse(request, hello, { timeoutInMilliseconds: 10_000 });
      expect(completed.status).toBe(200);
      expect(await completed.json()).toBe('Hello Lima!');

      const failing = await app.runtime.client.startNew('Fail');
      const failed = await app.runtime.client.waitForCompletionOrCreateCheckStatusResponse(request, failing, { timeoutInMilliseconds: 10_000 });
      expect(failed.status).toBe(200);
      expect(JSON.parse(failed.plain.body)).toMatchObject({ instanceId: failing, runtimeStatus: 'Failed' });

      const waiting = await app.runtime.client.startNew('Wait');
      const pending: PlainHttpResponse = (await app.runtime.client.waitForCompletionOrCreateCheckStatusResponse(request, waiting, { timeoutInMilliseconds: 150, retryIntervalInMilliseconds: 50 })).plain;
      expect(pending.status).toBe(202);
      const payload = JSON.parse(pending.body) as Record<string, string>;
      expect(pending.headers.location).toBe(payload.statusQueryGetUri);
      expect((await fetch(payload.statusQueryGetUri!)).status).toBe(202);

      await expect(app.runtime.client.waitForCompletionOrCreateCheckStatusResponse(request, waiting, { timeoutInMilliseconds: 100, retryIntervalInMilliseconds: 200 })).rejects.toThrow(InvalidArgumentError);
    } finally {
      await app.stop();
    }
  });
});
