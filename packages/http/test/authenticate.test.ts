// The host app's identity check (`authenticate`) and how it combines with the system key.
import { describe, expect, it } from 'vitest';
import { createHttpHandler } from '@reprise/http';
import type { Principal } from '@reprise/http';
import { DF, KEY, makeRuntime, serveHandler } from './helpers.js';

const bearer = (request: Request): Principal | undefined =>
  request.headers.get('authorization') === 'Bearer alice-token' ? { id: 'alice', claims: { team: 'ops' } } : undefined;

describe('authenticate', () => {
  it('is enough on its own to create a handler (no key, no allowAnonymous)', async () => {
    const runtime = await makeRuntime();
    expect(() => createHttpHandler(runtime, { authenticate: bearer })).not.toThrow();
    expect(() => createHttpHandler(runtime, { authenticate: 'yes' as never })).toThrow(/authenticate must be a function/);
  });

  it('lets in the principal it returns, and answers 401 when it returns none and there is no key', async () => {
    const runtime = await makeRuntime();
    const { base } = await serveHandler(createHttpHandler(runtime, { authenticate: bearer }));
    expect((await fetch(`${base}${DF}/instances`, { headers: { authorization: 'Bearer alice-token' } })).status).toBe(200);
    const refused = await fetch(`${base}${DF}/instances`, { headers: { authorization: 'Bearer mallory' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'UNAUTHORIZED' });
  });

  it('falls back to the system key when it returns nothing', async () => {
    const runtime = await makeRuntime();
    const { base } = await serveHandler(createHttpHandler(runtime, { authenticate: bearer, systemKey: KEY }));
    expect((await fetch(`${base}${DF}/instances`, { headers: { authorization: 'Bearer alice-token' } })).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances`, { headers: { 'x-functions-key': KEY } })).status).toBe(200);
    expect((await fetch(`${base}${DF}/instances?code=wrong`)).status).toBe(401);
    expect((await fetch(`${base}${DF}/instances`)).status).toBe(401);
  });

  it('serves anonymous callers when it returns nothing and allowAnonymous is set', async () => {
    const runtime = await makeRuntime();
    const { base } = await serveHandler(createHttpHandler(runtime, { authenticate: bearer, allowAnonymous: true }));
    expect((await fetch(`${base}${DF}/instances`)).status).toBe(200);
  });

  it('answers 500 (reported to onError, not to the client) when it throws or returns a principal without an id', async () => {
    const runtime = await makeRuntime();
    const errors: unknown[] = [];
    const throwing = createHttpHandler(runtime, {
      authenticate: (r) => {
        if (r.headers.get('x-kind') === 'bad') return { id: '' };
        throw new Error('identity provider down');
      },
      onError: (e) => errors.push(e),
    });
    const { base } = await serveHandler(throwing);
    const res = await fetch(`${base}${DF}/instances`);
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('identity provider down');
    expect((await fetch(`${base}${DF}/instances`, { headers: { 'x-kind': 'bad' } })).status).toBe(500);
    expect(errors.map((e) => (e as Error).message)).toEqual(['identity provider down', expect.stringMatching(/non-empty string id/)]);
  });
});

describe('a throwing onError', () => {
  it('is contained: the request is still answered 500 and no rejection escapes the handler', async () => {
    const runtime = await makeRuntime();
    const handler = createHttpHandler(runtime, {
      authenticate: () => {
        throw new Error('identity provider down');
      },
      onError: () => {
        throw new Error('the error reporter is broken too');
      },
    });
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const { base } = await serveHandler(handler);
      const res = await fetch(`${base}${DF}/instances`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: expect.any(String) });
      // The server still answers afterwards.
      expect((await fetch(`${base}${DF}/instances`)).status).toBe(500);
      await new Promise((r) => setTimeout(r, 50));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
