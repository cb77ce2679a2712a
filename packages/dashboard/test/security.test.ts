// Who may use the dashboard, and what a state-changing request must carry, over a real listener.
import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createDashboard } from '@reprise/dashboard';
import { KEY, json, login, orchestrators, serve } from './fixture.js';

describe('credentials', () => {
  it('refuses to create a dashboard with neither a key, an authenticate nor allowAnonymous', () => {
    const runtime = createRuntime({ storage: memoryStorage(), orchestrators });
    expect(() => createDashboard(runtime)).toThrow(/allowAnonymous/);
    expect(() => createDashboard(runtime, { systemKey: '' })).toThrow(/systemKey/);
    expect(() => createDashboard(runtime, { allowAnonymous: true, basePath: 'reprise' })).toThrow(/basePath/);
    expect(() => createDashboard([runtime, runtime], { allowAnonymous: true })).toThrow(/twice/);
    expect(() => createDashboard(runtime, { allowAnonymous: true })).not.toThrow();
  });

  it('answers 401 without the key or with a wrong one, on the page and the API; the key may be a header', async () => {
    const { base } = await serve();
    for (const [url, headers] of [
      [`${base}`, {}],
      [`${base}/`, {}],
      [`${base}?code=wrong`, {}],
      [`${base}/api/session`, {}],
      [`${base}/api/hubs/default/instances`, { 'x-functions-key': 'wrong' }],
      [`${base}/api/hubs/default/instances`, { cookie: 'reprise_dashboard=forged.signature' }],
    ] as Array<[string, Record<string, string>]>) {
      const response = await fetch(url, { headers, redirect: 'manual' });
      expect(response.status, url).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('FunctionsKey');
    }
    const page = await fetch(base);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('a system key is required');
    const api = await fetch(`${base}/api/session`);
    expect(await json(api)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const withHeader = await fetch(`${base}/api/hubs/default/instances`, { headers: { 'x-functions-key': KEY } });
    expect(withHeader.status).toBe(200);
  });

  it('?code= opens an HttpOnly, SameSite=Strict session and takes the key out of the address', async () => {
    const { base } = await serve();
    const response = await fetch(`${base}?code=${KEY}&x=1`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/reprise?x=1');
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^reprise_dashboard=[^;]+; Path=\/reprise; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = await fetch(`${base}/api/session`, { headers: { cookie: cookie.split(';', 1)[0]! } });
    expect(await json(session)).toMatchObject({ principal: { id: 'system', system: true }, readOnly: false, hubs: ['default'], csrfToken: expect.any(String) });
  });

  it('authenticate: the host app says who it is; undefined falls back to the key', async () => {
    const { base } = await serve({ systemKey: KEY, authenticate: (request) => (request.headers.get('x-user') === 'ada' ? { id: 'ada' } : undefined) });
    const ada = await fetch(`${base}/api/session`, { headers: { 'x-user': 'ada' } });
    expect((await json(ada)).principal).toEqual({ id: 'ada' });
    expect((await fetch(`${base}/api/session`, { headers: { 'x-user': 'bob' } })).status).toBe(401);
  });

  it('allowAnonymous serves without credentials', async () => {
    const { base } = await serve({ allowAnonymous: true });
    const session = await fetch(`${base}/api/session`);
    expect((await json(session)).principal).toEqual({ id: 'anonymous', anonymous: true });
  });
});

describe('state-changing requests', () => {
  it('must come from the same origin and carry the session CSRF token', async () => {
    const { base, url, runtime } = await serve();
    const id = await runtime.client.startNew('Approval', { input: { order: 'o1' } });
    const { cookie, csrf } = await login(base);
    const terminate = `${base}/api/hubs/default/instances/${id}/terminate`;
    const attempt = (headers: Record<string, string>) => fetch(terminate, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' });

    const noOrigin = await attempt({ 'x-csrf-token': csrf });
    expect(noOrigin.status).toBe(403);
    expect((await json(noOrigin)).error.code).toBe('CROSS_SITE');
    const foreign = await attempt({ origin: 'http://evil.example', 'x-csrf-token': csrf });
    expect((await json(foreign)).error.code).toBe('CROSS_SITE');
    const crossSite = await attempt({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf });
    expect((await json(crossSite)).error.code).toBe('CROSS_SITE');
    const noToken = await attempt({ origin: url });
    expect(noToken.status).toBe(403);
    expect((await json(noToken)).error.code).toBe('CSRF_TOKEN');
    const wrongToken = await attempt({ origin: url, 'x-csrf-token': `${csrf}x` });
    expect((await json(wrongToken)).error.code).toBe('CSRF_TOKEN');
    // Another session's token is not this one's.
    const other = await login(base);
    expect((await attempt({ origin: url, 'x-csrf-token': other.csrf })).status).toBe(403);
    expect((await runtime.client.getStatus(id))!.runtimeStatus).not.toBe('Terminated');

    const ok = await attempt({ origin: url, 'x-csrf-token': csrf });
    expect(ok.status).toBe(200);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect((await runtime.client.getStatus(id))!.runtimeStatus).toBe('Terminated');
  });

  it('readOnly: everything shows, every change is refused', async () => {
    const { base, url, runtime } = await serve({ systemKey: KEY, readOnly: true });
    const id = await runtime.client.startNew('Approval', { input: { order: 'o1' } });
    const { cookie, csrf } = await login(base);
    expect(await json(fetch(`${base}/api/session`, { headers: { cookie } }))).toMatchObject({ readOnly: true });
    const list = await fetch(`${base}/api/hubs/default/instances`, { headers: { cookie } });
    expect((await json(list)).instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([id]);
    const refused = await fetch(`${base}/api/hubs/default/instances/${id}/terminate`, { method: 'POST', headers: { cookie, origin: url, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe('READ_ONLY');
  });
});

describe('what is served', () => {
  it('the page: HTML without inline script or style, a strict CSP, no caching; assets by content hash, cached for good', async () => {
    const { base } = await serve();
    const { cookie } = await login(base);
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toMatch(/ src="\/reprise\/assets\/app\.[0-9a-f]{12}\.js"/);
    expect(scripts[0]![2]).toBe('');
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);

    const script = /src="([^"]+)"/.exec(scripts[0]![1]!)![1]!;
    const asset = await fetch(new URL(script, base));
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(html)![1]!;
    expect((await fetch(new URL(stylesheet, base))).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(404);
    expect((await fetch(`${base}/assets/../api/session`)).status).not.toBe(200);
  });

  it('paths outside basePath go to next(); unknown dashboard paths are 404; the fetch handler answers 404 outside', async () => {
    const { base, url, runtime } = await serve();
    expect(await (await fetch(`${url}/elsewhere`)).text()).toBe('the app');
    expect(await (await fetch(`${url}/repriseX`)).text()).toBe('the app');
    const { cookie } = await login(base);
    expect((await fetch(`${base}/nothing`, { headers: { cookie } })).status).toBe(404);
    expect((await fetch(`${base}/api/hubs/nohub/instances`, { headers: { cookie } })).status).toBe(404);
    const handler = createDashboard(runtime, { systemKey: KEY });
    expect((await handler.fetch(new Request('http://x/elsewhere'))).status).toBe(404);
    expect((await handler.fetch(new Request(`http://x/reprise/api/session`, { headers: { 'x-functions-key': KEY } }))).status).toBe(200);
  });
});
