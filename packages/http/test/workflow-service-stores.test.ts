/**
 * The workflow service on SQLite (a real file) and Redis (a real
 * redis-server): what depends on the store — namespaces as projects, the
 * newest-first walk over store pages, steps, the schedule tag behind
 * `periodic`, relaunch — and `GET /api/ping` answering 503 once the store
 * cannot be reached (a SQLite store closed under the runtime, a stopped
 * redis-server).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Storage } from '@reprise/core';
import { redisStorage } from '@reprise/redis';
import { sqliteStorage } from '@reprise/sqlite';
import { eventually } from './helpers.js';
import { WS, create, k, serveWorkflows } from './workflow-service-app.js';
import { startRedisServer } from '../../redis/test/redis-server.js';
import type { RedisServer } from '../../redis/test/redis-server.js';

const binary = inject('redisServerBinary');
const dirs: string[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Store {
  storage: Storage;
  /** Makes the store unreachable under the running runtime. */
  breakIt(): Promise<void>;
}

const stores: Array<{ label: string; make: () => Promise<Store> }> = [
  {
    label: 'sqlite',
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'reprise-ws-'));
      dirs.push(dir);
      const storage = sqliteStorage({ path: join(dir, 'ws.db'), onError: () => {} });
      return { storage, breakIt: () => storage.close() };
    },
  },
  {
    label: 'redis',
    make: async () => {
      if (!binary) throw new Error('redis-server is missing (see packages/redis/test/global-setup.ts)');
      const server = await startRedisServer({ binary });
      servers.push(server);
      const storage = redisStorage({ url: server.url, onError: () => {}, warn: () => {} });
      return { storage, breakIt: () => server.stop('SIGKILL') };
    },
  },
];

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${WS}${path}${path.includes('?') ? '&' : '?'}${k}`);
  return { status: res.status, body: await res.json() };
}

describe.each(stores)('workflow service on $label', ({ make }) => {
  it('creates, lists newest first across projects, shows tasks, marks schedule runs periodic, relaunches', async () => {
    const { storage } = await make();
    const { base, runtime } = await serveWorkflows({ storage });
    const ids: string[] = [];
    for (const [project, name, i] of [['example', 'ETL', 0], ['other', 'Echo', 1], ['example', 'ETL', 2]] as const) {
      const res = await create(base, { project, name, payload: { i } });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
      await new Promise((r) => setTimeout(r, 5));
    }
    await runtime.client.startNew('Echo', { namespace: 'example', input: 'not a workflow' });
    for (const id of ids) await runtime.client.waitForCompletion(id, { timeoutMs: 15_000 });
    expect(((await get(base, '/workflows')).body as Array<{ id: string }>).map((w) => w.id)).toEqual([...ids].reverse());
    expect(((await get(base, '/workflows?per_page=2&page=2')).body as Array<{ id: string }>).map((w) => w.id)).toEqual([ids[0]]);
    expect((await get(base, `/workflows/${ids[1]}`)).body).toMatchObject({ project: 'other', name: 'Echo', payload: { i: 1 }, status: 'success', tasks: [] });
    const etl = (await get(base, `/workflows/${ids[0]}`)).body as { status: string; tasks: Array<{ id: string; key: string; previous: string[] }> };
    expect(etl.status).toBe('success');
    expect(etl.tasks.map((t) => t.key)).toEqual(['EXTRACT', 'TRANSFORM', 'LOAD']);
    expect(etl.tasks[2]!.previous).toEqual([etl.tasks[1]!.id]);
    expect((await get(base, `/workflows/${ids[0]}`)).body.tasks).toEqual(etl.tasks);

    const at = new Date(Date.now() + 300);
    await runtime.client.schedules.create({ scheduleId: 'nightly', orchestrator: 'example.ETL', namespace: 'example', input: { from: 'schedule' }, at });
    const runId = `nightly@${at.toISOString()}`;
    await eventually(() => runtime.client.getStatus(runId), { timeoutMs: 15_000 });
    await runtime.client.waitForCompletion(runId, { timeoutMs: 15_000 });
    const listed = (await get(base, '/workflows?per_page=1')).body as Array<{ id: string; periodic: boolean }>;
    expect(listed).toEqual([expect.objectContaining({ id: runId, periodic: true })]);

    const relaunched = await fetch(`${base}${WS}/workflows/${encodeURIComponent(runId)}/relaunch?${k}`, { method: 'POST' });
    expect(relaunched.status).toBe(201);
    expect(await relaunched.json()).toMatchObject({ project: 'example', name: 'ETL', payload: { from: 'schedule' }, periodic: false });
  });

  it('GET /api/ping: 200 while the store answers, 503 JSON once it cannot be reached', async () => {
    const { storage, breakIt } = await make();
    const { base } = await serveWorkflows({ storage });
    expect(await get(base, '/ping')).toEqual({ status: 200, body: { message: 'pong' } });
    await breakIt();
    const started = Date.now();
    const broken = await get(base, '/ping');
    expect(broken.status).toBe(503);
    expect(broken.body).toMatchObject({ error: 'STORAGE', message: expect.any(String) });
    // Bounded by the ping's timeout (2 s), not by the store's own retries.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
