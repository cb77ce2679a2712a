// Authentication and hostile input, over a real listener: nothing a client sends is a 500 or a crash.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { StorageError, createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createFetchHandler, createHttpHandler } from '@reprise/http';
import { API, DF, KEY, listen, makeRuntime, rawRequest, serveApi, serveHandler } from './helpers.js';

const k = `code=${KEY}`;

describe('system key', () => {
  it('refuses to create a handler with neither a key nor allowAnonymous', async () => {
    const runtime = await makeRuntime({ start: false });
    expect(() => createHttpHandler(runtime)).toThrow(/allowAnonymous/);
    expect(() => createHttpHandler(runtime, {})).toThrow(/systemKey/);
    expect(() => createHttpHandler(runtime, { systemKey: process.env.REPRISE_UNSET_KEY })).toThrow();
    expect(() => createFetchHandler(runtime, { systemKey: '' })).toThrow();
    expect(() => createHttpHandler(runtime, { allowAnonymous: false })).toThrow();
    expect(() => createHttpHandler(runtime, { allowAnonymous: true })).not.toThrow();
    expect(() => createFetchHandler(runtime, { systemKey: 'k' })).not.toThrow();
  });

  it('answers 401 without the key or with a wrong one, on every route of both documents', async () => {
    const { base } = await serveApi();
    const attempts: Array<[string, string, Record<string, string>?]> = [
      ['GET', `${base}${DF}/instances`],
      ['GET', `${base}${DF}/instances/x`],
      ['POST', `${base}${DF}/orchestrators/Hello`],
      ['DELETE', `${base}${DF}/instances`],
      ['GET', `${base}${DF}/entities`],
      ['POST', `${base}${API}/instances/startNew?orchestratorFunctionName=Hello`],
      ['GET', `${base}${API}/instances`],
      ['PUT', `${base}${DF}/instances/x`],
      ['GET', `${base}${DF}/instances?code=wrong`],
      ['GET', `${base}${DF}/instances?code=${KEY}x`],
      ['GET', `${base}${DF}/instances`, { 'x-functions-key': 'wrong' }],
      ['GET', `${base}${DF}/instances?code=`],
    ];
    for (const [method, url, headers] of attempts) {
      const res = await fetch(url, { method, ...(headers && { headers }) });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'UNAUTHORIZED', message: expect.any(String) });
    }
  });

  it('accepts the key as `code` or as the x-functions-key header; several keys may be valid', async () => {
    const runtime = await makeRuntime();
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: ['old-key', 'new-key'] }));
    expect((await fetch(`${base}${DF}/instances?code=old-key`)).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances?code=new-key`)).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances`, { headers: { 'x-functions-key': 'new-key' } })).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances?code=wrong`, { headers: { 'x-functions-key': 'new-key' } })).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances?code=other`)).status).toBe(401);
  });

  it('never copies a header key into management URLs', async () => {
    const { base } = await serveApi();
    const res = await fetch(`${base}${DF}/orchestrators/Hello`, { method: 'POST', headers: { 'x-functions-key': KEY } });
    expect(res.status).toBe(202);
    const body = await res.text();
    expect(body).not.toContain(KEY);
    expect(res.headers.get('location')).toMatch(/\/instances\/[^?]+$/);
  });

  it('serves without a key when allowAnonymous is explicit', async () => {
    const runtime = await makeRuntime();
    const { base } = await serveHandler(createHttpHandler(runtime, { allowAnonymous: true }));
    expect((await fetch(`${base}${DF}/instances`)).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('answers 413 for a declared Content-Length over the limit (default 1 MiB)', async () => {
    const { base } = await serveApi();
    const res = await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: JSON.stringify('x'.repeat(1024 * 1024)) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    const under = await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: JSON.stringify('x'.repeat(1024 * 1024 - 100)) });
    expect(under.status).toBe(202);
  });

  it('stops reading a chunked body at the limit and answers 413 while the client is still sending', async () => {
    const { port } = await serveApi({ maxBodyBytes: 64 * 1024 });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const total = 64 * 1024 * 1024;
    const result = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let stopped = false;
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `${DF}/orchestrators/Echo?${k}`, headers: { 'content-type': 'application/json' } }, (res) => {
        stopped = true;
        res.resume();
        resolve({ status: res.statusCode!, sent });
        req.destroy();
      });
      req.on('error', (error) => (stopped ? undefined : reject(error)));
      const pump = () => {
        while (!stopped && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!stopped) req.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(total);
  });

  it('takes the limit from maxBodyBytes, for every route that reads a body', async () => {
    const { base } = await serveApi({ maxBodyBytes: 10 });
    expect((await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: '"12345678"' })).status).toBe(202);
    expect((await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: '"123456789"' })).status).toBe(413);
    expect((await fetch(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&${k}`, { method: 'POST', body: '"123456789"' })).status).toBe(413);
    expect((await fetch(`${base}${DF}/entities/Counter/a?op=add&${k}`, { method: 'POST', body: '12345678901' })).status).toBe(413);
  });

  it('answers 400 for malformed JSON and for bytes that are not UTF-8', async () => {
    const { base } = await serveApi();
    for (const body of ['{', '{"a":1,}', "{'a':1}", 'undefined', 'NaN', '[1,2', '"unterminated']) {
      const res = await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'INVALID_JSON' });
    }
    const notUtf8 = await fetch(`${base}${DF}/orchestrators/Echo?${k}`, { method: 'POST', body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) });
    expect(notUtf8.status).toBe(400);
  });

  it('keeps constructor/prototype keys as plain data; a __proto__ key pollutes nothing', async () => {
    const { base, runtime } = await serveApi();
    const data = '{"constructor":{"prototype":{"polluted":"yes"}},"nested":{"constructor":{"name":"x"}},"prototype":1}';
    const res = await fetch(`${base}${DF}/orchestrators/Echo/proto?${k}`, { method: 'POST', body: data });
    expect(res.status).toBe(202);
    await runtime.client.waitForCompletion('proto', { timeoutMs: 5000 });
    const text = await (await fetch(`${base}${DF}/instances/proto?${k}`)).text();
    expect(text).toContain('"output":{"constructor":{"prototype":{"polluted":"yes"}},"nested":{"constructor":{"name":"x"}},"prototype":1}');
    const parsed = JSON.parse(text) as { output: Record<string, unknown> };
    expect(Object.getPrototypeOf(parsed.output)).toBe(Object.prototype);

    // An own `__proto__` key is stored and returned as plain data: 2xx, and no prototype changes.
    for (const [path, body] of [
      [`${DF}/orchestrators/Echo/proto2`, '{"__proto__":{"polluted":"yes"}}'],
      [`${DF}/orchestrators/Echo/proto3`, '{"nested":{"__proto__":{"isAdmin":true}}}'],
      [`${DF}/entities/Counter/p?op=add`, '{"__proto__":{"polluted":1}}'],
      [`${API}/instances/startNew?orchestratorFunctionName=Echo`, '[{"__proto__":{"polluted":1}}]'],
    ] as const) {
      const accepted = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}${k}`, { method: 'POST', body });
      expect(accepted.status, path).toBeLessThan(300);
    }
    await runtime.client.waitForCompletion('proto2', { timeoutMs: 5000 });
    const echoed = await (await fetch(`${base}${DF}/instances/proto2?${k}`)).text();
    expect(echoed).toContain('"output":{"__proto__":{"polluted":"yes"}}');
    expect((await fetch(`${base}${DF}/instances?${k}&__proto__=x&constructor=y`)).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('invalid paths and parameters', () => {
  it('answers 400 for invalid ids, bad percent-encoding, dates and numbers', async () => {
    const { base } = await serveApi();
    const bad = [
      `${DF}/instances/${'a'.repeat(257)}`,
      `${DF}/instances/a%2Fb`,
      `${DF}/instances/a%00b`,
      `${DF}/instances/%E0%A4%A`,
      `${DF}/instances/%`,
      `${DF}/instances/%40entity`,
      `${DF}/instances?createdTimeFrom=2020-02-30T00:00:00Z`,
      `${DF}/instances?createdTimeTo=1e9`,
      `${DF}/instances?top=99999999999`,
      `${DF}/instances/x?showHistory=1`,
      `${DF}/instances/x?returnInternalServerErrorOnFailure=yes`,
      `${DF}/entities/Counter/%ZZ`,
      `${API}/instances/%E0`,
      `${API}/instances?createdTimeFrom=13/11/2019`,
    ];
    for (const path of bad) {
      const res = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}${k}`);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: string; message: string };
      expect(typeof body.error).toBe('string');
      expect(typeof body.message).toBe('string');
    }
  });

  it('answers 405 with Allow for an unsupported method on a known route', async () => {
    const { base } = await serveApi();
    const cases: Array<[string, string, string]> = [
      ['PUT', `${DF}/instances/x`, 'GET, DELETE'],
      ['POST', `${DF}/instances/x`, 'GET, DELETE'],
      ['GET', `${DF}/orchestrators/Hello`, 'POST'],
      ['DELETE', `${DF}/instances/x/terminate`, 'POST'],
      ['PATCH', `${DF}/entities/Counter/x`, 'GET, POST'],
      ['GET', `${API}/instances/startNew/x`, ''],
      ['DELETE', `${API}/instances/startNew`, 'POST, GET'],
      ['PUT', `${API}/instances`, 'GET'],
      ['HEAD', `${DF}/orchestrators/Hello`, 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${base}${path}?${k}`, { method });
      if (allow === '') {
        expect(res.status, `${method} ${path}`).toBe(404);
        continue;
      }
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
    }
    const trace = await rawRequest((await serveApi()).port, `TRACE ${DF}/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(trace).toMatch(/^HTTP\/1\.1 405/);
  });

  it('passes paths outside the API to next(), or answers 404 without one', async () => {
    const runtime = await makeRuntime({ start: false });
    const handler = createHttpHandler(runtime, { systemKey: KEY });
    const { base } = await listen((req, res) =>
      handler(req, res, () => {
        res.setHeader('content-type', 'text/plain');
        res.end(`app:${req.method}:${req.url}`);
      }),
    );
    expect(await (await fetch(`${base}/hello`)).text()).toBe('app:GET:/hello');
    expect(await (await fetch(`${base}/runtime/webhooks/durabletaskX/instances`)).text()).toBe('app:GET:/runtime/webhooks/durabletaskX/instances');
    expect(await (await fetch(`${base}${DF}/unknown/route`)).text()).toBe(`app:GET:${DF}/unknown/route`);
    expect(await (await fetch(`${base}${API}/instances/a/b/c/d`)).text()).toBe(`app:GET:${API}/instances/a/b/c/d`);
    // the body of a passed request is left for the app to read
    const echo = await listen((req, res) =>
      handler(req, res, () => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.end(Buffer.concat(chunks)));
      }),
    );
    expect(await (await fetch(`${echo.base}/upload`, { method: 'POST', body: 'intact body' })).text()).toBe('intact body');
    const bare = await serveHandler(handler);
    const res = await fetch(`${bare.base}/hello`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('survives hostile raw requests and keeps answering', async () => {
    const { port, base } = await serveApi();
    const hostile = [
      `GET ${DF}/instances HTTP/1.1\r\nHost: evil.example/../x?\r\nConnection: close\r\n\r\n`,
      `GET ${DF}/instances HTTP/1.1\r\nHost: a@b\r\nConnection: close\r\n\r\n`,
      `GET http://127.0.0.1${DF}/instances?${k} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET ${DF}/instances/${'%41'.repeat(3000)}?${k} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `POST ${DF}/orchestrators/Echo?${k} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"a"`,
      `POST ${DF}/orchestrators/Echo?${k} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n`,
      `POST ${DF}/orchestrators/Echo?${k} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}`,
      `GET ${DF}/instances?${k}&runtimeStatus=${',Running'.repeat(2000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `DELETE ${DF}/instances?${k}&createdTimeFrom=0000-00-00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      `GET ${DF}/instances\u0000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003',
    ];
    for (const text of hostile) {
      const answer = await rawRequest(port, text, 1000);
      expect(answer, text).not.toMatch(/^HTTP\/1\.1 5\d\d/);
    }
    const host = await rawRequest(port, `GET ${DF}/instances?${k} HTTP/1.1\r\nHost: evil.example/../x?\r\nConnection: close\r\n\r\n`);
    expect(host).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${base}${DF}/instances?${k}`)).status).toBe(200);
  });

  it('answers every one of many random requests below 500', async () => {
    const { base } = await serveApi();
    const pieces = ['instances', 'orchestrators', 'entities', 'raiseEvent', 'terminate', 'rewind', 'startNew', 'purgeInstanceHistory', 'Hello', 'Counter', '%00', '%ff', '..', '@x', 'x'.repeat(300), '%2F', '__proto__', 'constructor'];
    const bodies = ['', '{', 'null', '[]', '{"__proto__":1}', '"x"', '1e999', '{"a":'.repeat(100), '\u0000'];
    const queries = ['', 'top=0', 'top=5', 'showHistory=true', 'runtimeStatus=Nope', 'createdTimeFrom=x', 'op=add', 'eventName=Go', 'reason=r', 'taskHub=nope', 'orchestratorFunctionName=Hello', 'continuationToken=abc'];
    const methods = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'];
    let seed = 42;
    const pick = <T>(items: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return items[seed % items.length]!;
    };
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const prefix = pick([DF, API, '/admin/extensions/DurableTaskExtension']);
      const path = Array.from({ length: 1 + (i % 4) }, () => pick(pieces)).join('/');
      const method = pick(methods);
      const body = method === 'GET' ? undefined : pick(bodies);
      const res = await fetch(`${base}${prefix}/${path}?${k}&${pick(queries)}`, { method, ...(body !== undefined && { body }) });
      statuses.add(res.status);
      expect(res.status, `${method} ${prefix}/${path}`).toBeLessThan(500);
      await res.arrayBuffer();
    }
    expect(statuses.size).toBeGreaterThan(3);
  });

  it('answers a failing store with 503 (StorageError) or 500, reports it to onError, leaks nothing', async () => {
    const inner = memoryStorage();
    let failWith: Error | undefined;
    const storage = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'getInstance' && typeof value === 'function') {
          return (...args: unknown[]) => (failWith ? Promise.reject(failWith) : (value as (...a: unknown[]) => unknown).apply(target, args));
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Storage;
    const runtime = createRuntime({ storage, logger: () => {}, orchestrators: { Noop: function* () {} } });
    const reported: unknown[] = [];
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, onError: (e) => reported.push(e) }));
    failWith = new StorageError('database is locked at /srv/secret.db');
    const unavailable = await fetch(`${base}${DF}/instances/x?${k}`);
    expect(unavailable.status).toBe(503);
    const body = await unavailable.text();
    expect(body).not.toContain('secret');
    failWith = new TypeError('cannot read properties of undefined');
    const broken = await fetch(`${base}${DF}/instances/x?${k}`);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: 'INTERNAL', message: 'the server could not complete the request' });
    expect(reported).toHaveLength(2);
    failWith = undefined;
    expect((await fetch(`${base}${DF}/instances/x?${k}`)).status).toBe(404);
  });
});
