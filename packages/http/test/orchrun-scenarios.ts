// Store-dependent orchestrator-runs behaviour (namespaces, the per-namespace group, counts, offset paging),
// run on memory, SQLite and Redis by their test files.
import { expect } from 'vitest';
import { orchestratorIdOf } from '@reprise/core';
import { eventually } from './helpers.js';
import { IMPORT_ID, createBody } from './orchrun-helpers.js';
import type { RunsServer } from './orchrun-helpers.js';

const HOLD_ID = orchestratorIdOf('Hold');

/** 50 concurrent creates into one namespace: 10 run, 20 wait, 20 are refused with a 400 naming the cap; never more than 20 queued. */
export async function capUnderConcurrentCreates(server: RunsServer, ns: string): Promise<void> {
  const { call, runtime } = server;
  let maxQueued = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // Waiting in the group's queue (admitted runs may be Pending a moment too, before a worker takes them).
      const pending = await runtime.client.listInstances({ namespace: ns, runtimeStatus: ['Pending'], pageSize: 100, showInput: false });
      maxQueued = Math.max(maxQueued, pending.instances.filter((s) => s.queue !== undefined).length);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const answers = await Promise.all(Array.from({ length: 50 }, () => call('POST', `?nsfilter=${ns}`, createBody(HOLD_ID))));
  sampling = false;
  await sampler;
  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 400);
  expect(ok).toHaveLength(30);
  expect(refused).toHaveLength(20);
  for (const a of refused) {
    expect(a.contentType).toMatch(/application\/json/);
    expect(a.body).toMatchObject({ error: 'QUEUE_FULL', message: expect.stringContaining('20 queued') });
  }
  for (const a of ok) expect(a.body).toMatchObject({ _namespaces: [ns], _orchid: HOLD_ID });
  expect(maxQueued).toBeLessThanOrEqual(20);
  // Nothing of the refused creates was stored.
  expect(await runtime.client.countInstances({ namespace: ns })).toBe(30);
  await eventually(async () => (await call('GET', `?nsfilter=${ns}&_status=RUNNING&_pageSize=1`)).body._total === 10, { what: '10 RUNNING' });
  const queued = await call('GET', `?nsfilter=${ns}&_status=QUEUED&_pageSize=100`);
  expect(queued.body._total).toBe(20);
  expect(queued.body._list).toHaveLength(20);
  expect(queued.body._list.every((r: { _status: string }) => r._status === 'QUEUED')).toBe(true);
  // Another namespace is another group: its creates are not refused.
  const elsewhere = await call('POST', `?nsfilter=${ns}-other`, createBody(IMPORT_ID));
  expect(elsewhere.status).toBe(200);
}

/** A run of namespace A never appears, counts or resolves under B. */
export async function namespaceIsolation(server: RunsServer): Promise<void> {
  const { call, runtime } = server;
  const created = await call('POST', '?nsfilter=projA', createBody(IMPORT_ID));
  expect(created.status).toBe(200);
  const id: string = created.body.id;
  await runtime.client.waitForCompletion(id);
  expect((await call('GET', `/${id}?nsfilter=projA`)).status).toBe(200);
  for (const [method, path, body] of [
    ['GET', `/${id}?nsfilter=projB`],
    ['GET', `/logs/${id}?nsfilter=projB`],
    ['PUT', `/${id}?nsfilter=projB`, { id }],
    ['DELETE', `/${id}?nsfilter=projB`],
  ] as const) {
    const answer = await call(method, path, body);
    expect(answer.status, `${method} ${path}`).toBe(404);
    expect(answer.body).toMatchObject({ error: 'ORCH_RUN_NOT_FOUND' });
  }
  const listB = await call('GET', '?nsfilter=projB');
  expect(listB.body).toEqual({ _offset: 0, _pageSize: 20, _total: 0, _list: [] });
  const listA = await call('GET', '?nsfilter=projA');
  expect(listA.body._total).toBe(1);
  expect(listA.body._list[0]).toMatchObject({ id, _status: 'COMPLETED' });
  // The DELETE under B did nothing.
  expect(await runtime.client.getStatus(id)).toBeDefined();
}

/** `_offset` / `_pageSize` walk the namespace's runs in creation order; `_total` counts them all. */
export async function offsetPaging(server: RunsServer, ns: string): Promise<void> {
  const { call, runtime } = server;
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    const created = await call('POST', `?nsfilter=${ns}`, createBody(IMPORT_ID, { n: i }));
    expect(created.status).toBe(200);
    ids.push(created.body.id);
  }
  for (const id of ids) await runtime.client.waitForCompletion(id);
  const first = await call('GET', `?nsfilter=${ns}`);
  expect(first.body._total).toBe(25);
  expect(first.body._pageSize).toBe(20);
  expect(first.body._list).toHaveLength(20);
  const rest = await call('GET', `?nsfilter=${ns}&_offset=20&_pageSize=10`);
  expect(rest.body).toMatchObject({ _offset: 20, _pageSize: 10, _total: 25 });
  expect(rest.body._list).toHaveLength(5);
  const all = [...first.body._list, ...rest.body._list].map((r: { id: string }) => r.id);
  expect(new Set(all).size).toBe(25);
  expect([...all].sort()).toEqual([...ids].sort());
  const middle = await call('GET', `?nsfilter=${ns}&_offset=5&_pageSize=3`);
  expect(middle.body._list.map((r: { id: string }) => r.id)).toEqual(all.slice(5, 8));
}
