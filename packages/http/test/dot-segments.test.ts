/**
 * Issue 12, defect 1: the router matched the raw path, the dispatcher then
 * re-parsed the URL, which resolves `.`, `..` and `%2e` segments. So
 * `DELETE …/instances/%2e` purged the whole hub (purge by filter),
 * `…/raiseEvent/%2e%2e` purged the instance, and `instanceId=.` made an
 * instance no URL could reach. Now the path is routed as sent, and a dot
 * segment (in any encoding) under a mount prefix is a 400, never another route
 * and never the app's next().
 */
import type http from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '@reprise/core';
import { createFetchHandler, createHttpHandler } from '@reprise/http';
import { API, DF, DF1, KEY, listen, makeRuntime, sendRaw } from './helpers.js';

const k = `code=${KEY}`;
const DOTS = ['.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2E.', '%2e%2E'];

/** A hub with three completed instances and one waiting, behind the Node adapter with a next() that counts. */
async function setup(): Promise<{ runtime: Runtime; port: number; passed: string[] }> {
  const runtime = await makeRuntime();
  for (const id of ['done-1', 'done-2', 'done-3']) {
    await runtime.client.startNew('Echo', { instanceId: id, input: id });
    await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
  }
  await runtime.client.startNew('Wait', { instanceId: 'waiting' });
  const handler = createHttpHandler(runtime, { systemKey: KEY });
  const passed: string[] = [];
  const { port } = await listen((req: http.IncomingMessage, res: http.ServerResponse) =>
    handler(req, res, () => {
      passed.push(`${req.method} ${req.url}`);
      res.statusCode = 299;
      res.end('app');
    }),
  );
  return { runtime, port, passed };
}

async function instanceIds(runtime: Runtime): Promise<string[]> {
  return (await runtime.client.listInstances({ pageSize: 1000 })).instances.map((s) => s.instanceId).sort();
}

const BEFORE = ['done-1', 'done-2', 'done-3', 'waiting'];

function expectJson400(answer: { status: number; headers: Record<string, unknown>; body: string }, what: string): void {
  expect(answer.status, `${what}: ${answer.body}`).toBe(400);
  expect(String(answer.headers['content-type']), what).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body), what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
}

describe('dot-segment ids over the Node adapter (a real listener, paths sent raw)', () => {
  it('refuses every example of the issue, and purges, starts and lists nothing', async () => {
    const { runtime, port, passed } = await setup();
    for (const dot of DOTS) {
      expectJson400(await sendRaw(port, 'DELETE', `${DF}/instances/${dot}?${k}`), `purge ${dot}`);
      expectJson400(await sendRaw(port, 'DELETE', `${DF}/instances/done-1/raiseEvent/${dot}?${k}`), `raiseEvent ${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${DF}/instances/waiting/raiseEvent/${dot}?${k}`, '1'), `raiseEvent POST ${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${DF}/orchestrators/Echo/${dot}?${k}`, '"x"'), `start ${dot}`);
      expectJson400(await sendRaw(port, 'GET', `${DF}/entities/Counter/${dot}?${k}`), `entity ${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${DF}/entities/Counter/${dot}?${k}&op=add`, '1'), `signal ${dot}`);
      expectJson400(await sendRaw(port, 'GET', `${DF}/entities/${dot}/k?${k}`), `entity name ${dot}`);
      expectJson400(await sendRaw(port, 'DELETE', `${DF1}/instances/${dot}?${k}`), `1.x purge ${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${API}/instances/${dot}/purgeInstanceHistory?${k}`), `000 purge ${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=${dot}&${k}`), `startNew instanceId=${dot}`);
      expectJson400(await sendRaw(port, 'POST', `${API}/instances/waiting/raiseEvent?eventName=${dot}&${k}`, '1'), `000 eventName=${dot}`);
    }
    // Dot segments elsewhere in the path, and ones that only resolve into a mount prefix.
    for (const path of [`${DF}/%2e/instances`, `${DF}/instances/%2e/terminate`, `${DF}/x/../instances`, `/x/..${DF}/instances`, `/x/%2e%2e${DF}/instances`, `${API}/instances/done-1/..`, `${DF}/instances/done-1\\..`]) {
      expectJson400(await sendRaw(port, 'DELETE', `${path}?${k}`), path);
    }
    // What a URL parser leaves of a trailing dot segment: an empty segment, refused too.
    expectJson400(await sendRaw(port, 'DELETE', `${DF}/instances/?${k}`), 'trailing slash');
    expectJson400(await sendRaw(port, 'DELETE', `${DF}/instances//raiseEvent/x?${k}`), 'empty id');
    expect(passed).toEqual([]);
    expect(await instanceIds(runtime)).toEqual(BEFORE);
    expect((await runtime.client.listEntities()).entities).toEqual([]);
    expect((await runtime.client.getStatus('waiting'))!.runtimeStatus).not.toBe('Completed');
    // A key is still checked first; the working routes still work.
    expect((await sendRaw(port, 'DELETE', `${DF}/instances/%2e`)).status).toBe(401);
    expect((await sendRaw(port, 'DELETE', `${DF}/instances/done-3?${k}`)).status).toBe(200);
    expect(await instanceIds(runtime)).toEqual(['done-1', 'done-2', 'waiting']);
  });

  it('keeps ids that merely contain dots (and a double-encoded dot) as ids', async () => {
    const { runtime, port } = await setup();
    for (const [raw, id] of [['...', '...'], ['a.b', 'a.b'], ['.x', '.x'], ['%252e', '%2e']] as const) {
      const started = await sendRaw(port, 'POST', `${DF}/orchestrators/Echo/${raw}?${k}`, '1');
      expect(started.status, raw).toBe(202);
      expect(JSON.parse(started.body)).toMatchObject({ id });
      await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
      expect((await sendRaw(port, 'GET', `${DF}/instances/${raw}?${k}`)).status, raw).toBe(200);
    }
  });

  it('never answers 5xx and never hands a dot-segment path to next() (property)', async () => {
    const { runtime, port, passed } = await setup();
    const segment = fc.oneof(
      fc.constantFrom(...DOTS, '', 'instances', 'orchestrators', 'entities', 'raiseEvent', 'terminate', 'purgeInstanceHistory', 'startNew', 'Echo', 'Counter', 'done-1', '%2F', '%5C', '\\', '%00', '%', '%zz', '@x'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      // Huge ids, kept under Node's 16 KiB header limit (beyond it Node answers 431 before any handler runs).
      fc.integer({ min: 200, max: 2000 }).map((n) => 'i'.repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(DF, DF1, API), fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD'), async (prefix, segments, method) => {
        const path = `${prefix}/${segments.join('/')}`;
        const before = await instanceIds(runtime);
        const seen = passed.length;
        const answer = await sendRaw(port, method, `${path}?${k}`, method === 'POST' ? '"x"' : undefined);
        expect(answer.status, `${method} ${path}`).toBeLessThan(500);
        if (segments.some((s) => /^(?:\.|%2e){1,2}$/i.test(s) || s === '')) {
          expect(answer.status, `${method} ${path}`).toBe(400);
          expect(passed.length, `${method} ${path} fell through`).toBe(seen);
          expect(await instanceIds(runtime), `${method} ${path}`).toEqual(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('dot-segment ids over the fetch handler (URLs already resolved by the Request)', () => {
  it('answers what a resolved dot segment leaves (an empty segment) with 400, and changes nothing', async () => {
    const runtime = await makeRuntime();
    for (const id of ['done-1', 'done-2']) {
      await runtime.client.startNew('Echo', { instanceId: id });
      await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    }
    const handler = createFetchHandler(runtime, { systemKey: KEY });
    const call = async (method: string, path: string, body?: string) => {
      const res = await handler(new Request(`http://h${path}`, { method, ...(body !== undefined && { body }) }));
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    };
    for (const dot of DOTS.filter((d) => d.length > 1 || d === '.')) {
      expectJson400(await call('DELETE', `${DF}/instances/${dot}?${k}`), `purge ${dot}`);
      expectJson400(await call('DELETE', `${DF}/instances/done-1/raiseEvent/${dot}?${k}`), `raiseEvent ${dot}`);
      expectJson400(await call('POST', `${DF}/orchestrators/Echo/${dot}?${k}`, '1'), `start ${dot}`);
      expectJson400(await call('GET', `${DF}/entities/Counter/${dot}?${k}`), `entity ${dot}`);
      expectJson400(await call('POST', `${API}/instances/startNew?orchestratorFunctionName=Echo&instanceId=${dot}&${k}`), `startNew ${dot}`);
    }
    expect((await runtime.client.listInstances()).instances.map((s) => s.instanceId).sort()).toEqual(['done-1', 'done-2']);
    expect((await runtime.client.listEntities()).entities).toEqual([]);
  });

  it('never answers 5xx for random paths (property)', async () => {
    const runtime = await makeRuntime();
    const handler = createFetchHandler(runtime, { systemKey: KEY });
    const segment = fc.oneof(fc.constantFrom(...DOTS, '', 'instances', 'orchestrators', 'entities', 'raiseEvent', 'Echo', 'Counter', '%2F', '%00', '%zz'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(DF, API), fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD'), async (prefix, segments, method) => {
        const request = new Request(`http://h${prefix}/${segments.join('/')}?${k}`, { method, ...(method === 'POST' && { body: '1' }) });
        const res = await handler(request);
        expect(res.status, `${method} ${request.url}`).toBeLessThan(500);
        const pathname = new URL(request.url).pathname;
        const rest = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : '';
        if (rest.startsWith('/') && rest.slice(1).split('/').includes('')) expect(res.status, request.url).toBe(400);
      }),
      { numRuns: 300 },
    );
  });
});
