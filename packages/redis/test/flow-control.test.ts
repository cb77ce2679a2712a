/**
 * Redis specifics of flow control (issue 14) that the conformance suite
 * cannot see: rows written before namespaces (no 'ns' field, no status
 * indexes) read as namespace '' and are counted once the hub's indexes are
 * built; counts are ZCOUNTs, never a read of the rows; queries merge several
 * status indexes across scan steps; admissions from separate connections
 * never exceed a group's limit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Admission, InstanceRecord, RuntimeStatus, Storage } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { T0, row, seedRows, started } from './seed-rows.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');

const record = (instanceId: string, createdAt: number, status: RuntimeStatus, namespace?: string): InstanceRecord => row(instanceId, createdAt, { status, namespace });


async function allIds(storage: Storage, hub: string, query: { namespace?: string; runtimeStatus?: RuntimeStatus[] }, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await storage.queryInstances(hub, { ...query, pageSize, ...(continuationToken ? { continuationToken } : {}) });
    ids.push(...page.instances.map((r) => r.instanceId));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return ids;
}

const byCreation = (a: InstanceRecord, b: InstanceRecord) => a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : 1);

describe.skipIf(!binary)('redis: flow control', () => {
  const redis = useRedisServer(binary);
  let storage: Storage;

  beforeAll(async () => {
    storage = redisStorage({ url: redis.server.url });
    await storage.open();
  });
  afterAll(async () => {
    await storage?.close();
  });

  it('rows written before namespaces read as namespace "" and are indexed for counts and queries', async () => {
    const hub = `old-${randomUUID()}`;
    const keys = hubKeys(hub);
    // The layout before issue 14: the hash without 'ns', 'idx' only. 2,600 rows, a group of
    // 1,500 equal createdAt across the migration's 1,000-entry steps.
    const old = Array.from({ length: 2600 }, (_, i) => record(`old-${String(i).padStart(4, '0')}`, i < 1500 ? T0 : T0 + i, i % 2 ? 'Completed' : 'Running'));
    const pipeline = redis.admin.pipeline();
    for (const r of old) {
      pipeline.hset(keys.instance(r.instanceId), 'row', JSON.stringify(r), 'st', r.status, 'k', r.kind, 'n', r.name, 'ca', r.createdAt, 'ua', r.updatedAt);
      pipeline.zadd(keys.prefix + 'idx', r.createdAt, r.instanceId);
    }
    await pipeline.exec();
    await seedRows(storage, hub, [record('new-a', T0 + 5, 'Running', 'a'), record('new-default', T0 + 6, 'Running')]);

    expect((await storage.getInstance(hub, 'old-0001'))?.namespace ?? '').toBe('');
    expect(await storage.countInstances(hub, {})).toBe(2602);
    expect(await storage.countInstances(hub, { namespace: '' })).toBe(2601);
    expect(await storage.countInstances(hub, { namespace: 'a' })).toBe(1);
    expect(await storage.countInstances(hub, { namespace: '', runtimeStatus: ['Completed'] })).toBe(1300);
    expect(await storage.countInstances(hub, { runtimeStatus: ['Running'] })).toBe(1302);
    const expected = [...old, record('new-default', T0 + 6, 'Running')].filter((r) => r.status === 'Running').sort(byCreation).map((r) => r.instanceId);
    expect(await allIds(storage, hub, { namespace: '', runtimeStatus: ['Running'] }, 1000)).toEqual(expected);
    expect(await redis.admin.get(keys.prefix + 'schema')).toBe('4');
    // Versions came later still: the old rows are indexed as unversioned too.
    expect(await storage.countInstances(hub, { version: '' })).toBe(2602);
    expect(await storage.countInstances(hub, { version: '', runtimeStatus: ['Completed'] })).toBe(1300);

    // An old row that changes status moves between the indexes.
    await storage.purgeInstances(hub, { instanceIds: ['old-0001'] });
    expect(await storage.countInstances(hub, { namespace: '', runtimeStatus: ['Completed'] })).toBe(1299);
  });

  it('counts with ZCOUNT only, never reading an instance row', async () => {
    const hub = `count-${randomUUID()}`;
    await seedRows(storage, hub, Array.from({ length: 3000 }, (_, i) => record(`c${i}`, T0 + i, i % 3 ? 'Completed' : 'Pending', `ns${i % 10}`)));
    await storage.countInstances(hub, {}); // the hub's index check, once
    await redis.admin.config('RESETSTAT');
    expect(await storage.countInstances(hub, { namespace: 'ns3', runtimeStatus: ['Completed'] })).toBe(200);
    expect(await storage.countInstances(hub, { namespace: 'ns3', createdFrom: T0 + 1000, createdTo: T0 + 1999 })).toBe(100);
    expect(await storage.countInstances(hub, { runtimeStatus: ['Pending'] })).toBe(1000);
    const stats = (await redis.admin.info('commandstats')).split('\n').filter((line) => line.startsWith('cmdstat_'));
    const called = stats.map((line) => line.slice('cmdstat_'.length, line.indexOf(':')));
    expect(called).toContain('zcount');
    expect(called.filter((name) => /^(hget|hmget|hgetall|zrange|zrangebyscore|scan|keys)$/.test(name))).toEqual([]);
  });

  it('pages a namespace over several status indexes across scan steps, in (createdAt, instanceId) order', async () => {
    const hub = `pages-${randomUUID()}`;
    const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'Failed', 'Suspended'];
    // Groups of 7 equal createdAt, spread over five statuses, and other namespaces interleaved.
    const rows = Array.from({ length: 3500 }, (_, i) => record(`p${i}`, T0 + Math.floor(i / 7), statuses[i % 5]!, i % 4 === 0 ? 'other' : 'n'));
    await seedRows(storage, hub, rows);
    const inN = rows.filter((r) => r.namespace === 'n').sort(byCreation);
    for (const pageSize of [1, 100, 1000]) {
      if (pageSize === 1) {
        const first = await storage.queryInstances(hub, { namespace: 'n', pageSize: 1 });
        expect(first.instances.map((r) => r.instanceId)).toEqual([inN[0]!.instanceId]);
        continue;
      }
      expect(await allIds(storage, hub, { namespace: 'n' }, pageSize)).toEqual(inN.map((r) => r.instanceId));
    }
    const done = inN.filter((r) => r.status === 'Completed' || r.status === 'Failed').map((r) => r.instanceId);
    expect(await allIds(storage, hub, { namespace: 'n', runtimeStatus: ['Completed', 'Failed'] }, 100)).toEqual(done);
    expect(await storage.countInstances(hub, { namespace: 'n', runtimeStatus: ['Completed', 'Failed'] })).toBe(done.length);
  });

  it('admissions racing from separate connections never exceed the limit', async () => {
    const hub = `race-${randomUUID()}`;
    const others = [redisStorage({ url: redis.server.url }), redisStorage({ url: redis.server.url })];
    await Promise.all(others.map((s) => s.open()));
    try {
      const admission: Admission = { group: 'g', limit: 4, onFull: 'reject' };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const r = { ...record(`r${i}`, T0 + i, 'Pending'), concurrency: { group: 'g', limit: 4 } };
          return others[i % 2]!.createInstance(hub, r, { instanceId: r.instanceId, event: started() }, admission);
        }),
      );
      expect(results.filter((r) => r.created)).toHaveLength(4);
      expect(await redis.admin.scard(hubKeys(hub).prefix + 'gr:g')).toBe(4);
      expect(await storage.countInstances(hub, {})).toBe(4);
    } finally {
      await Promise.all(others.map((s) => s.close()));
    }
  });
});
