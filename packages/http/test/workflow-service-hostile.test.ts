/**
 * Hostile input on the workflow service mount: dot segments in any encoding,
 * encoded separators, huge ids, bodies too large or nested too deep. Each is
 * a 4xx JSON answer that stores nothing and never reaches the app's routes;
 * a fuzz over the mount finds no 5xx.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH, createRuntime } from '@reprise/core';
import type { Runtime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createFetchHandler } from '@reprise/http';
import { KEY, sendRaw } from './helpers.js';
import { WS, create, instanceCount, k, serveWorkflows, workflows } from './workflow-service-app.js';

const DOTS = ['.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2E.', '%2e%2E'];

function expectJson4xx(answer: { status: number; headers: Record<string, unknown>; body: string }, status: number, what: string): void {
  expect(answer.status, `${what}: ${answer.body}`).toBe(status);
  expect(String(answer.headers['content-type']), what).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body), what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
}

/** A finished workflow to aim at, and a handler whose next() records what fell through. */
async function setup(): Promise<{ runtime: Runtime; port: number; base: string; passed: string[]; done: string }> {
  const passed: string[] = [];
  const served = await serveWorkflows({
    next: (req, res) => {
      passed.push(`${req.method} ${req.url}`);
      res.statusCode = 299;
      res.end('app');
    },
  });
  const res = await create(served.base, { project: 'example', name: 'Plain', payload: {} });
  const done = ((await res.json()) as { id: string }).id;
  await served.runtime.client.waitForCompletion(done, { timeoutMs: 10_000 });
  return { ...served, passed, done };
}

describe('workflow service: hostile paths', () => {
  it('answers a dot segment, an encoded separator or a huge id with 400 JSON; relaunches and starts nothing', async () => {
    const { runtime, port, passed, done } = await setup();
    const before = await instanceCount(runtime);
    for (const dot of DOTS) {
      expectJson4xx(await sendRaw(port, 'GET', `${WS}/workflows/${dot}?${k}`), 400, `get ${dot}`);
      expectJson4xx(await sendRaw(port, 'POST', `${WS}/workflows/${dot}/relaunch?${k}`), 400, `relaunch ${dot}`);
      expectJson4xx(await sendRaw(port, 'POST', `${WS}/workflows/${done}/${dot}?${k}`), 400, `relaunch via ${dot}`);
      expectJson4xx(await sendRaw(port, 'POST', `${WS}/workflows/${dot}?${k}`, '{"project":"example","name":"Plain","payload":{}}'), 400, `create via ${dot}`);
      // Resolves into the mount once a parser resolves it: never routed, never the app's.
      expectJson4xx(await sendRaw(port, 'POST', `${WS}/x/${dot === '..' || dot.length > 3 ? dot : '..'}/workflows/${done}/relaunch?${k}`), 400, `into the mount ${dot}`);
    }
    for (const id of ['a%2Fb', 'a%5Cb', '%00', 'a%3Fb', 'a%23b', 'i'.repeat(300), '%7E%7Eping', '%zz', '%40x']) {
      expectJson4xx(await sendRaw(port, 'GET', `${WS}/workflows/${id}?${k}`), 400, `get ${id}`);
      expectJson4xx(await sendRaw(port, 'POST', `${WS}/workflows/${id}/relaunch?${k}`), 400, `relaunch ${id}`);
    }
    expectJson4xx(await sendRaw(port, 'GET', `${WS}/workflows//relaunch?${k}`), 400, 'empty id');
    expectJson4xx(await sendRaw(port, 'GET', `${WS}/workflows/?${k}`), 400, 'trailing slash');
    expect(passed).toEqual([]);
    expect(await instanceCount(runtime)).toBe(before);
  });
});

describe('workflow service: hostile bodies', () => {
  it('answers a payload nested deeper than MAX_PAYLOAD_DEPTH with 400 and one over the byte limit with 413; nothing stored', async () => {
    const { base, runtime } = await serveWorkflows({ start: false, options: { maxBodyBytes: 64 * 1024 } });
    for (const levels of [100_000, 2_500, MAX_PAYLOAD_DEPTH + 1]) {
      const body = `{"project":"example","name":"ETL","payload":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
      const res = await create(base, body);
      expect(res.status, `${levels}`).toBe(levels * 2 + 50 > 64 * 1024 ? 413 : 400);
      expect(await res.json()).toMatchObject({ error: levels * 2 + 50 > 64 * 1024 ? 'PAYLOAD_TOO_LARGE' : 'PAYLOAD_TOO_DEEP' });
    }
    const large = await create(base, { project: 'example', name: 'ETL', payload: { x: 'x'.repeat(64 * 1024) } });
    expect(large.status).toBe(413);
    expect(await instanceCount(runtime)).toBe(0);
  });

  it('keeps `__proto__` and `constructor` in a payload as plain data', async () => {
    const { base, runtime } = await serveWorkflows({ start: false });
    const res = await create(base, '{"project":"example","name":"ETL","payload":{"__proto__":{"polluted":true},"constructor":1}}');
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; payload: Record<string, unknown> };
    expect(Object.getOwnPropertyNames(body.payload).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await instanceCount(runtime)).toBe(1);
  });
});

describe('workflow service: fuzz', () => {
  it('never answers 5xx to random paths, methods and bodies over the Node adapter (property)', async () => {
    const { runtime, port, passed, done } = await setup();
    const segment = fc.oneof(
      fc.constantFrom(...DOTS, '', 'workflows', 'relaunch', 'ping', done, 'nobody', '%2F', '%5C', '\\', '%00', '%', '%zz', '@x', '%7E%7Ex'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.integer({ min: 200, max: 2000 }).map((n) => 'i'.repeat(n)),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 40 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .record({ project: fc.oneof(fc.constantFrom('example', 'other', '..', '', '~~x'), fc.string({ maxLength: 8 }), fc.integer()), name: fc.oneof(fc.constantFrom('ETL', 'Plain', 'Echo', 'Fail'), fc.string({ maxLength: 8 }), fc.constant(null)), payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({})) }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
    );
    const query = fc.oneof(fc.constant(''), fc.constantFrom('&page=0', '&page=2', '&per_page=1', '&per_page=abc', '&page=99999999999', '&taskHub=nope'));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD', 'PUT'), body, query, async (segments, method, text, extra) => {
        const path = `${WS}/${segments.join('/')}`;
        const answer = await sendRaw(port, method, `${path}?${k}${extra}`, method === 'GET' || method === 'HEAD' ? undefined : text);
        expect(answer.status, `${method} ${path} ${text}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    // A path of ours with a dot or empty segment is answered here (400), never handed to the app.
    for (const line of passed) {
      const [, path = ''] = line.split(' ');
      const segments = path.split('?')[0]!.split('/');
      if (/^(workflows|ping)$/i.test(segments[2] ?? '')) expect(segments.slice(2).some((s) => s === '' || /^(?:\.|%2e){1,2}$/i.test(s)), line).toBe(false);
    }
    expect(await runtime.client.ping()).toBeUndefined();
  });

  it('never answers 5xx over the fetch handler (property)', async () => {
    const runtime = createRuntime({ storage: memoryStorage(), logger: () => {}, ...workflows });
    const handler = createFetchHandler(runtime, { systemKey: KEY, onError: () => {} });
    try {
      const segment = fc.oneof(fc.constantFrom(...DOTS, '', 'workflows', 'relaunch', 'ping', '%2F', '%00', '%zz'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.constantFrom('GET', 'POST', 'HEAD'), fc.jsonValue({ maxDepth: 3 }), async (segments, method, value) => {
          const request = new Request(`http://h${WS}/${segments.join('/')}?${k}`, { method, ...(method === 'POST' && { body: JSON.stringify(value) }) });
          const res = await handler(request);
          expect(res.status, `${method} ${request.url}`).toBeLessThan(500);
        }),
        { numRuns: 200 },
      );
    } finally {
      await runtime.stop();
    }
  });
});
