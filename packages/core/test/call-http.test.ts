/**
 * ctx.callHttp against a real node:http listener: requests, headers and
 * bodies as sent, the 202/Location polling pattern on durable timers (on the
 * test kit's virtual clock, so 30 s waits take no real time), a 500, a
 * timeout, token sources, and the replay that never re-sends a request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineOrchestrator } from '@reprise/core';
import type { DurableHttpRequest, DurableHttpResponse, HistoryEventView } from '@reprise/core';
import { createTestRuntime } from '@reprise/testing';
import { DEFAULT_POLL_INTERVAL_MS, pollDelay } from '../src/engine/call-http.js';
import { cacheModes, startRuntime } from './helpers.js';
import { startServer } from './http-server.js';
import type { TestServer } from './http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const send = defineOrchestrator('Send', function* (ctx) {
  const request = ctx.getInput() as DurableHttpRequest;
  return yield* ctx.callHttp(request);
});

const kinds = (history: HistoryEventView[] | undefined) =>
  history!.filter((e) => e.EventType === 'TaskScheduled' || e.EventType === 'TimerCreated').map((e) => (e.EventType === 'TaskScheduled' ? `${e.EventType}:${String(e.Name)}` : e.EventType));

describe.each(cacheModes)('callHttp ($label)', ({ cacheSize }) => {
  it('sends a GET with the given headers and returns status, headers and body', async () => {
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-answer': 'yes' });
      res.end(`hello ${req.headers['x-caller']}`);
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [send] });
    const id = await runtime.client.startNew(send, { input: { method: 'get', url: `${server.url}/greet?x=1`, headers: { 'X-Caller': 'reprise' } } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ statusCode: 200, content: 'hello reprise', headers: { 'x-answer': 'yes', 'content-type': 'text/plain' } });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/greet?x=1' });
  });

  it('sends a POST with a JSON body (content-type set) and a string body as is', async () => {
    server = await startServer((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ got: req.body, type: req.headers['content-type'] }));
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [send] });
    const json = await runtime.client.startNew(send, { input: { method: 'POST', url: `${server.url}/items`, body: { n: 1 } } });
    const text = await runtime.client.startNew(send, { input: { method: 'POST', url: `${server.url}/items`, body: 'plain', headers: { 'content-type': 'text/plain' } } });
    const a = (await runtime.client.waitForCompletion(json, { timeoutMs: 10_000 })).output as DurableHttpResponse;
    const b = (await runtime.client.waitForCompletion(text, { timeoutMs: 10_000 })).output as DurableHttpResponse;
    expect(a.statusCode).toBe(201);
    expect(JSON.parse(a.content)).toEqual({ got: '{"n":1}', type: 'application/json' });
    expect(JSON.parse(b.content)).toEqual({ got: 'plain', type: 'text/plain' });
  });

  it('returns a 500 as a result, not an error', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [send] });
    const id = await runtime.client.startNew(send, { input: { method: 'GET', url: server.url } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ statusCode: 500, content: 'boom' });
  });

  it('fails the task with a TimeoutError when the server does not answer in time; the orchestrator can catch it', async () => {
    server = await startServer(() => {
      // never answers
    });
    const guarded = defineOrchestrator('Guarded', function* (ctx) {
      try {
        yield* ctx.callHttp({ method: 'GET', url: `${(ctx.getInput() as { url: string }).url}/slow`, timeoutInMilliseconds: 200 });
        return 'answered';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [guarded] });
    const id = await runtime.client.startNew(guarded, { input: { url: server.url } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toMatch(/^TimeoutError: callHttp: GET http:\/\/127\.0\.0\.1:\d+\/slow got no answer within 200 ms$/);
  });

  it('asks the token source in the activity and sends a bearer token; the token is never stored', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200);
      res.end('authorized');
    });
    const secret = 'tok-' + Math.random().toString(36).slice(2);
    const withToken = defineOrchestrator('WithToken', function* (ctx) {
      return yield* ctx.callHttp({ method: 'GET', url: ctx.getInput() as string, tokenSource: { getToken: async () => secret } });
    });
    const runtime = await startRuntime({ cacheSize, orchestrators: [withToken] });
    const id = await runtime.client.startNew(withToken, { input: server.url });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect((status.output as DurableHttpResponse).content).toBe('authorized');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${secret}`);
    const full = await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true, showInput: true });
    expect(JSON.stringify(full!.history)).toContain('BuiltIn::HttpActivity');
    expect(JSON.stringify(full)).not.toContain(secret);
  });

  it('refuses a bad request with InvalidArgumentError before anything is sent', async () => {
    const runtime = await startRuntime({ cacheSize, orchestrators: [send] });
    for (const input of [{ method: 'GET', url: 'ftp://x' }, { method: 'GET', url: 'not a url' }, { method: 'G E T', url: 'http://x' }, { method: 'GET', url: 'http://x', headers: { a: 1 } }]) {
      const id = await runtime.client.startNew(send, { input: input as DurableHttpRequest });
      const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      expect(status.runtimeStatus).toBe('Failed');
      expect(status.output).toMatchObject({ name: 'InvalidArgumentError' });
    }
  });
});

describe('callHttp asynchronous pattern (virtual clock)', () => {
  it('polls a 202 with Location: waits Retry-After (then 30 s by default) on durable timers, GETs the Location, returns the first non-202', async () => {
    let polls = 0;
    server = await startServer((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(202, { location: '/operations/7', 'retry-after': '5' });
        return res.end();
      }
      polls += 1;
      if (polls === 1) {
        res.writeHead(202, { location: '/operations/7' }); // no Retry-After: the default 30 s
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ done: true, authorization: req.headers['x-key'] }));
    });
    const timed = defineOrchestrator('Timed', function* (ctx) {
      const started = ctx.currentUtcDateTime.getTime();
      const response = yield* ctx.callHttp({ method: 'POST', url: `${ctx.getInput() as string}/operations`, body: { go: 1 }, headers: { 'x-key': 'k1' } });
      return { response, waited: ctx.currentUtcDateTime.getTime() - started };
    });
    await using rt = await createTestRuntime({ orchestrators: [timed] }, { cacheSize: 0 });
    const status = await rt.run(timed, { input: server.url, timeoutMs: 15_000 });
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { response: DurableHttpResponse; waited: number };
    expect(output.response.statusCode).toBe(200);
    expect(JSON.parse(output.response.content)).toEqual({ done: true, authorization: 'k1' });
    // 5 s, then 30 s of virtual time between the requests.
    expect(output.waited).toBeGreaterThanOrEqual(35_000);
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual(['POST /operations {"go":1}', 'GET /operations/7 ', 'GET /operations/7 ']);
    const full = await rt.client.getStatus(status.instanceId, { showHistory: true });
    expect(kinds(full!.history)).toEqual(['TaskScheduled:BuiltIn::HttpActivity', 'TimerCreated', 'TaskScheduled:BuiltIn::HttpActivity', 'TimerCreated', 'TaskScheduled:BuiltIn::HttpActivity']);
  });

  it('returns the 202 itself when polling is off (asynchronousPatternEnabled: false, or enablePolling: false)', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(202, { location: '/elsewhere' });
      res.end();
    });
    await using rt = await createTestRuntime({ orchestrators: [send] });
    for (const off of [{ asynchronousPatternEnabled: false }, { enablePolling: false }]) {
      const status = await rt.run(send, { input: { method: 'GET', url: server.url, ...off }, timeoutMs: 10_000 });
      expect(status.output).toMatchObject({ statusCode: 202, headers: { location: '/elsewhere' } });
    }
    expect(server.requests).toHaveLength(2);
  });
});

describe('pollDelay (Retry-After)', () => {
  it('reads delta seconds and HTTP dates (Durable Functions fails on the date form), else 30 s', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(pollDelay({ 'retry-after': '7' }, now)).toBe(7000);
    expect(pollDelay({ 'retry-after': 'Mon, 01 Jan 2024 00:00:12 GMT' }, now)).toBe(12_000);
    expect(pollDelay({ 'retry-after': 'Sun, 31 Dec 2023 00:00:00 GMT' }, now)).toBe(0);
    expect(pollDelay({ 'retry-after': 'soon' }, now)).toBe(DEFAULT_POLL_INTERVAL_MS);
    expect(pollDelay({}, now)).toBe(30_000);
  });
});

describe('callHttp edge answers', () => {
  it('a 202 without Location is the result (nothing to poll); a relative Location is resolved against the URL that answered', async () => {
    server = await startServer((req, res) => {
      if (req.path === '/no-location') return res.writeHead(202).end('accepted');
      if (req.path === '/a/start') return res.writeHead(202, { location: 'poll/1', 'retry-after': '0' }).end();
      if (req.path === '/a/poll/1') return res.writeHead(202, { location: '../b/done', 'retry-after': '0' }).end();
      res.writeHead(200).end(req.path);
    });
    const runtime = await startRuntime({ orchestrators: [send] });
    const a = await runtime.client.startNew(send, { input: { method: 'GET', url: `${server.url}/no-location` } });
    expect((await runtime.client.waitForCompletion(a, { timeoutMs: 10_000 })).output).toMatchObject({ statusCode: 202, content: 'accepted' });
    const b = await runtime.client.startNew(send, { input: { method: 'GET', url: `${server.url}/a/start` } });
    expect((await runtime.client.waitForCompletion(b, { timeoutMs: 10_000 })).output).toMatchObject({ statusCode: 200, content: '/a/b/done' });
    expect(server.requests.map((r) => r.path)).toEqual(['/no-location', '/a/start', '/a/poll/1', '/a/b/done']);
  });
});

describe('ctx.log and actx.log, DF-shaped', () => {
  it('are callable as functions (info level) and through .info/.warn/.error, each line written once whatever the replays', async () => {
    const lines: string[] = [];
    const logging = defineOrchestrator('Logging', function* (ctx) {
      ctx.log('plain', 1);
      ctx.log.warn('careful');
      yield ctx.callActivity('Act');
      ctx.log.error('after');
      return 'ok';
    });
    const runtime = await startRuntime({
      cacheSize: 0,
      orchestrators: [logging],
      activities: {
        Act: (_: unknown, actx) => {
          actx.log('from activity');
          actx.log.info('info too');
        },
      },
      logger: (entry) => lines.push(`${entry.level}:${entry.message}`),
    });
    const id = await runtime.client.startNew(logging);
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(lines).toEqual(['info:plain 1', 'warn:careful', 'info:from activity', 'info:info too', 'error:after']);
  });
});
