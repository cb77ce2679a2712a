// The example app: its own routes and the mounted API answer side by side on one Express server.
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import type { Runtime } from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { createApp, createOrderRuntime } from '../src/main.js';

const KEY = 'example-key';
const DF = '/runtime/webhooks/durabletask';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startExample(): Promise<{ base: string; runtime: Runtime }> {
  const runtime = createOrderRuntime();
  await runtime.start();
  cleanups.push(() => runtime.stop());
  return { base: await listen(createApp(runtime, KEY)), runtime };
}

async function pollUntilDone(location: string): Promise<Response> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(location);
    if (res.status !== 202) return res;
    location = res.headers.get('location') ?? location;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('never completed');
}

describe('the express-api example', () => {
  it('serves its own routes beside the API', async () => {
    const { base } = await startExample();
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true, taskHub: 'default' });
    expect(((await (await fetch(`${base}/`)).json()) as { app: string }).app).toBe('express-api example');
    // outside the API: Express's own 404, not the API's
    const missing = await fetch(`${base}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
    // the API: key required
    expect((await fetch(`${base}${DF}/instances`)).status).toBe(401);
    expect((await fetch(`${base}${DF}/instances?code=${KEY}`)).status).toBe(200);
    expect((await fetch(`${base}/api/orchestration/instances`, { headers: { 'x-functions-key': KEY } })).status).toBe(200);
  });

  it('runs an order started by the app route, approved through the API (polling pattern)', async () => {
    const { base } = await startExample();
    const started = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'book', quantity: 2 }) });
    expect(started.status).toBe(202);
    const { instanceId } = (await started.json()) as { instanceId: string };
    const urls = (await (await fetch(`${base}/api/orchestration/instances/${instanceId}/managementWebhookUrls?code=${KEY}`)).json()) as Record<string, string>;
    expect(urls.statusQueryGetUri).toBe(`${base}${DF}/instances/${instanceId}?code=${KEY}`);
    const waiting = await fetch(urls.statusQueryGetUri!);
    expect(waiting.status).toBe(202);
    const approve = await fetch(urls.sendEventPostUri!.replace('{eventName}', 'Approval'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"approved":true}' });
    expect(approve.status).toBe(202);
    const done = await pollUntilDone(urls.statusQueryGetUri!);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ runtimeStatus: 'Completed', output: { reserved: 'reserved 2 x book', shipped: 'shipped book' } });
  });

  it('starts through the API and follows Location until 200; entities too', async () => {
    const { base } = await startExample();
    const start = await fetch(`${base}${DF}/orchestrators/HelloSequence?code=${KEY}`, { method: 'POST' });
    expect(start.status).toBe(202);
    const done = await pollUntilDone(start.headers.get('location')!);
    expect(await done.json()).toMatchObject({ output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'] });
    expect((await fetch(`${base}${DF}/entities/Counter/visits?op=add&code=${KEY}`, { method: 'POST', body: '5' })).status).toBe(202);
    let state: unknown;
    for (let i = 0; i < 200 && state !== 5; i++) {
      const res = await fetch(`${base}${DF}/entities/Counter/visits?code=${KEY}`);
      state = res.status === 200 ? await res.json() : undefined;
      if (state !== 5) await new Promise((r) => setTimeout(r, 10));
    }
    expect(state).toBe(5);
  });

  it('works sub-mounted and behind a global express.json()', async () => {
    const runtime = createOrderRuntime();
    await runtime.start();
    cleanups.push(() => runtime.stop());
    const app = express();
    app.use(express.json());
    app.use('/durable', createHttpHandler(runtime, { systemKey: KEY }));
    app.get('/own', (_req, res) => void res.send('own route'));
    const base = await listen(app);
    const start = await fetch(`${base}/durable${DF}/orchestrators/HelloSequence/sub-1?code=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(start.status).toBe(202);
    expect(start.headers.get('location')).toBe(`${base}/durable${DF}/instances/sub-1?code=${KEY}`);
    const done = await pollUntilDone(start.headers.get('location')!);
    expect(await done.json()).toMatchObject({ instanceId: 'sub-1', input: { x: 1 } });
    // express.json() already answered malformed JSON with its own 400
    expect((await fetch(`${base}/durable${DF}/orchestrators/HelloSequence?code=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })).status).toBe(400);
    expect(await (await fetch(`${base}/own`)).text()).toBe('own route');
  });

  it('serves the dashboard at /reprise: 401 without the key, a session with it, its API beside the app', async () => {
    const { base, runtime } = await startExample();
    expect((await fetch(`${base}/reprise`)).status).toBe(401);
    const opened = await fetch(`${base}/reprise?code=${KEY}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.getSetCookie()[0]!.split(';', 1)[0]!;
    const page = await fetch(`${base}/reprise`, { headers: { cookie } });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;

    const id = await runtime.client.startNew('ProcessOrder', { input: { item: 'book', quantity: 1 } });
    const listed = (await (await fetch(`${base}/reprise/api/hubs/default/instances`, { headers: { cookie } })).json()) as { instances: Array<{ instanceId: string }> };
    expect(listed.instances.map((i) => i.instanceId)).toContain(id);
    const approve = await fetch(`${base}/reprise/api/hubs/default/instances/${id}/raise-event`, {
      method: 'POST',
      headers: { cookie, origin: base, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Approval', data: { approved: true } }),
    });
    expect(approve.status).toBe(200);
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual({ reserved: 'reserved 1 x book', shipped: 'shipped book' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('runs as `node --conditions=@reprise/source --import tsx src/main.ts` on port 0', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@reprise/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', REPRISE_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no "listening" line: ${out} ${err}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const start = await fetch(`${base}${DF}/orchestrators/HelloSequence?code=${KEY}`, { method: 'POST' });
    expect(start.status).toBe(202);
    expect((await pollUntilDone(start.headers.get('location')!)).status).toBe(200);
  });
});
