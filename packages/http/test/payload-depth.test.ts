/**
 * Issue 12, defect 2: a 100,000-deep `[[…]]` body was a 500 (stack overflow)
 * on start, raiseEvent, signal, terminate and suspend, and a body ~2,500 deep
 * was stored (202) after which every read of that instance was a 500. Now a
 * body nested deeper than MAX_PAYLOAD_DEPTH is a 400 before any client call,
 * and no stored value can make a read fail.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH, createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import type { Runtime } from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { API, DF, KEY, eventually, listen, makeRuntime, serveApi, serveHandler, statusOf, testApp } from './helpers.js';

const k = `code=${KEY}`;

const deepText = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

function depthOf(value: unknown): number {
  let depth = 0;
  while (Array.isArray(value)) {
    depth += 1;
    value = value[0];
  }
  return depth;
}

function post(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
}

async function expectTooDeep(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBe(400);
  expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
  expect(await res.json(), what).toMatchObject({ error: 'PAYLOAD_TOO_DEEP', message: expect.stringContaining(`${MAX_PAYLOAD_DEPTH} levels`) });
}

async function ids(runtime: Runtime): Promise<string[]> {
  return (await runtime.client.listInstances()).instances.map((s) => s.instanceId).sort();
}

describe('request bodies nested too deep', () => {
  it('are a 400 on every operation that takes a body, and nothing is stored or delivered', async () => {
    const { base, runtime } = await serveApi();
    await runtime.client.startNew('Wait', { instanceId: 'w' });
    await eventually(async () => (await statusOf(runtime, 'w')) === 'Running');
    for (const levels of [100_000, 2_500, MAX_PAYLOAD_DEPTH + 1]) {
      const body = deepText(levels);
      await expectTooDeep(await post(`${base}${DF}/orchestrators/Echo?${k}`, body), `start ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/orchestrators/Echo/deep?${k}`, body), `start with id ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/instances/w/raiseEvent/Go?${k}`, body), `raiseEvent ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/instances/w/terminate?${k}`, body), `terminate ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/instances/w/suspend?${k}`, body), `suspend ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/instances/w/resume?${k}`, body), `resume ${levels}`);
      await expectTooDeep(await post(`${base}${DF}/entities/Counter/c?op=add&${k}`, body), `signal ${levels}`);
      await expectTooDeep(await post(`${base}${API}/instances/startNew?orchestratorFunctionName=Echo&${k}`, body), `000 startNew ${levels}`);
      await expectTooDeep(await post(`${base}${API}/instances/w/raiseEvent?eventName=Go&${k}`, body), `000 raiseEvent ${levels}`);
      await expectTooDeep(await post(`${base}${API}/instances/w/terminate?${k}`, body), `000 terminate ${levels}`);
    }
    expect(await ids(runtime)).toEqual(['w']);
    expect((await runtime.client.listEntities()).entities).toEqual([]);
    const status = await runtime.client.getStatus('w', { showHistory: true });
    expect(status!.runtimeStatus).toBe('Running');
    expect(status!.history!.map((e) => e.EventType)).not.toContain('EventRaised');
  });

  it('are parsed without a RangeError (JSON.parse is iterative): a 1 MB `[[…]]` is refused as too deep, not as bad JSON', async () => {
    const { base } = await serveApi();
    await expectTooDeep(await post(`${base}${DF}/orchestrators/Echo?${k}`, deepText(500_000)), '500,000 levels');
    // Objects count as levels too.
    await expectTooDeep(await post(`${base}${DF}/orchestrators/Echo?${k}`, `${'{"a":'.repeat(MAX_PAYLOAD_DEPTH + 1)}1${'}'.repeat(MAX_PAYLOAD_DEPTH + 1)}`), 'objects');
  });

  it('are a 400 when a body parser (express.json) parsed them before us', async () => {
    const runtime = await makeRuntime();
    const handler = createHttpHandler(runtime, { systemKey: KEY });
    const { base } = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
      // What express.json leaves behind: the stream consumed, the value on req.body.
      req.resume();
      req.on('end', () => {
        let value: unknown = 0;
        for (let i = 0; i < 100_000; i++) value = [value];
        Object.assign(req, { body: value, _body: true });
        void handler(req, res);
      });
    });
    await expectTooDeep(await post(`${base}${DF}/orchestrators/Echo?${k}`, 'ignored'), 'pre-parsed');
    expect(await ids(runtime)).toEqual([]);
  });
});

describe('reads of deep stored values', () => {
  it('carry a value at the limit through start, event, status, history and list', async () => {
    const { base, runtime } = await serveApi();
    const atLimit = deepText(MAX_PAYLOAD_DEPTH);
    const started = await post(`${base}${DF}/orchestrators/Wait/edge?${k}`, atLimit);
    expect(started.status).toBe(202);
    await eventually(async () => (await statusOf(runtime, 'edge')) === 'Running');
    // The output wraps the event's data in { got }: one level under the limit keeps it at the limit.
    expect((await post(`${base}${DF}/instances/edge/raiseEvent/Go?${k}`, deepText(MAX_PAYLOAD_DEPTH - 1))).status).toBe(202);
    expect((await runtime.client.waitForCompletion('edge', { timeoutMs: 5000 })).runtimeStatus).toBe('Completed');
    const status = (await (await fetch(`${base}${DF}/instances/edge?${k}&showHistory=true&showHistoryOutput=true`)).json()) as { input: unknown; output: { got: unknown }; historyEvents: Array<{ Input?: unknown }> };
    expect(depthOf(status.input)).toBe(MAX_PAYLOAD_DEPTH);
    expect(depthOf(status.output.got)).toBe(MAX_PAYLOAD_DEPTH - 1);
    expect(depthOf(status.historyEvents[0]!.Input)).toBe(MAX_PAYLOAD_DEPTH);
    const list = await fetch(`${base}${DF}/instances?${k}&showHistory=true&showHistoryOutput=true`);
    expect(list.status).toBe(200);
    const facade = await fetch(`${base}${API}/instances/edge?${k}&showInput=true`);
    expect(depthOf(((await facade.json()) as { input: unknown }).input)).toBe(MAX_PAYLOAD_DEPTH);
  });

  it('never fail on a value written into storage past the limit by other means', async () => {
    const storage = memoryStorage();
    const runtime = createRuntime({ storage, logger: () => {}, ...testApp() });
    const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: KEY }));
    await runtime.client.listInstances(); // opens the store
    const now = Date.now();
    for (const [id, levels] of [['crafted-3000', 3_000], ['crafted-100000', 100_000]] as const) {
      const text = `{"json":${deepText(levels)}}`;
      await storage.createInstance(
        runtime.taskHub,
        { instanceId: id, kind: 'orchestration', name: 'Echo', executionId: 'e', status: 'Completed', createdAt: now, updatedAt: now, historyLength: 0, input: text, output: text, customStatus: text },
        { instanceId: id, event: { EventType: 'ExecutionStarted', Timestamp: new Date(now).toISOString(), Name: 'Echo', ExecutionId: 'e', Input: text } },
      );
      const res = await fetch(`${base}${DF}/instances/${id}?${k}&showHistory=true&showHistoryOutput=true`);
      expect(res.status, id).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.output).toMatch(/^\[not shown: the stored value is nested more than 512 levels deep\]$/);
      expect(body.input).toMatch(/^\[not shown/);
      expect(body.customStatus).toMatch(/^\[not shown/);
      expect((await fetch(`${base}${API}/instances/${id}?${k}&showInput=true`)).status).toBe(200);
    }
    for (const url of [`${base}${DF}/instances?${k}`, `${base}${DF}/instances?${k}&showHistory=true&showHistoryOutput=true`, `${base}${API}/instances?${k}&showInput=true`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      expect(await res.text()).toContain('not shown');
    }
  });
});
