/**
 * Counts and pages by orchestrator name are O(log N) on Redis (issue 20):
 * the name index `xm:<kind>:<name>` is kept by the script that writes the
 * row, and a hub written before it has it built by the index migration.
 * Before, a name filter scanned the status indexes and read every row.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InstanceRecord, RuntimeStatus, Storage } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { T0, row, seedRows } from './seed-rows.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');

const record = (instanceId: string, createdAt: number, name: string, status: RuntimeStatus = 'Pending', namespace?: string): InstanceRecord => row(instanceId, createdAt, { name, status, namespace });


describe.skipIf(!binary)('redis: the name index', () => {
  const redis = useRedisServer(binary);
  let storage: Storage;

  beforeAll(async () => {
    storage = redisStorage({ url: redis.server.url, onUnsafeServer: 'ignore' });
    await storage.open();
  });
  afterAll(async () => {
    await storage?.close();
  });

  const calls = async () => {
    const stats = (await redis.admin.info('commandstats')).split('\n').filter((line) => line.startsWith('cmdstat_'));
    return Object.fromEntries(stats.map((line) => [line.slice('cmdstat_'.length, line.indexOf(':')), Number(/calls=(\d+)/.exec(line)![1])]));
  };

  it('counts by name with ZCOUNT and pages by name reading only that name\'s rows', async () => {
    const hub = `names-${randomUUID()}`;
    // 3,000 instances, 30 of them named Rare (every 100th), 5 namespaces, two statuses.
    const rows = Array.from({ length: 3000 }, (_, i) => record(`n${i}`, T0 + i, i % 100 === 7 ? 'Rare' : 'Common', i % 2 ? 'Completed' : 'Pending', `ns${i % 5}`));
    await seedRows(storage, hub, rows);
    await storage.countInstances(hub, {}); // the hub's index check, once
    await redis.admin.config('RESETSTAT');
    expect(await storage.countInstances(hub, { kind: 'orchestration', name: 'Rare' })).toBe(30);
    expect(await storage.countInstances(hub, { kind: 'orchestration', name: 'Rare', createdFrom: T0 + 1000, createdTo: T0 + 1999 })).toBe(10);
    expect(await storage.countInstances(hub, { name: 'Common' })).toBe(2970);
    const counted = await calls();
    expect(counted.zcount).toBeGreaterThan(0);
    expect(Object.keys(counted).filter((name) => /^(hget|hmget|hgetall|zrange|zrangebyscore|scan|keys)$/.test(name))).toEqual([]);

    await redis.admin.config('RESETSTAT');
    const first = await storage.queryInstances(hub, { kind: 'orchestration', name: 'Rare', pageSize: 10 });
    const second = await storage.queryInstances(hub, { kind: 'orchestration', name: 'Rare', pageSize: 10, continuationToken: first.continuationToken! });
    const rare = rows.filter((r) => r.name === 'Rare').map((r) => r.instanceId);
    expect([...first.instances, ...second.instances].map((r) => r.instanceId)).toEqual(rare.slice(0, 20));
    // Two pages of 10 (a lookahead each, the second from the cursor's createdAt): about 32 rows read, never
    // the 3,000 (before: a scan of the status indexes, 1,000 rows a step).
    expect((await calls()).hmget).toBeLessThanOrEqual(40);

    // Filters beside the name are applied to the name's rows.
    const nsPage = await storage.queryInstances(hub, { kind: 'orchestration', name: 'Rare', namespace: 'ns2', pageSize: 100 });
    expect(nsPage.instances.map((r) => r.instanceId)).toEqual(rows.filter((r) => r.name === 'Rare' && r.namespace === 'ns2').map((r) => r.instanceId));
    expect(await storage.countInstances(hub, { name: 'Rare', runtimeStatus: ['Completed'] })).toBe(30);
    expect(await storage.countInstances(hub, { name: 'Rare', runtimeStatus: ['Pending'] })).toBe(0);

    // A purged instance leaves the index (every Rare one is Completed).
    await storage.purgeInstances(hub, { instanceIds: ['n7'] });
    expect(await storage.countInstances(hub, { name: 'Rare' })).toBe(29);
    expect((await storage.queryInstances(hub, { name: 'Rare', pageSize: 1 })).instances.map((r) => r.instanceId)).toEqual(['n107']);
  });

  it("pages a kind alone from 'idx' when that kind is most of the hub, and from its status sets when it is not", async () => {
    const hub = `kinds-${randomUUID()}`;
    const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'Failed'];
    // 400 orchestrations over four statuses, 40 entities.
    const orchestrations = Array.from({ length: 400 }, (_, i) => record(`o${String(i).padStart(3, '0')}`, T0 + i, 'O', statuses[i % 4]));
    const entities = Array.from({ length: 40 }, (_, i) => ({ ...record(`@e@${String(i).padStart(2, '0')}`, T0 + 1000 + i, 'e'), kind: 'entity' as const }));
    await seedRows(storage, hub, [...orchestrations, ...entities]);
    await storage.countInstances(hub, {}); // the hub's index check, once
    const pages = async (kind: 'orchestration' | 'entity') => {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const page = await storage.queryInstances(hub, { kind, pageSize: 50, ...(token && { continuationToken: token }) });
        ids.push(...page.instances.map((r) => r.instanceId));
        token = page.continuationToken;
      } while (token);
      return ids;
    };
    await redis.admin.config('RESETSTAT');
    expect(await pages('orchestration')).toEqual(orchestrations.map((r) => r.instanceId));
    const read = await calls();
    // One set per step, not the eight status sets merged (before: 8 ZRANGEBYSCORE a step and more for the cut's group).
    expect(read.zrangebyscore).toBeLessThanOrEqual(2 * ((read.evalsha ?? 0) + (read.eval ?? 0)));
    await redis.admin.config('RESETSTAT');
    expect(await pages('entity')).toEqual(entities.map((r) => r.instanceId));
    // A kind that is a small part of the hub reads its status sets (no scan of 'idx' for 40 rows in 440).
    expect((await calls()).hmget).toBeLessThanOrEqual(45);
  });

  it('builds the name index of a hub written before it (schema 3)', async () => {
    const hub = `old-names-${randomUUID()}`;
    const keys = hubKeys(hub);
    await seedRows(storage, hub, Array.from({ length: 2500 }, (_, i) => record(`o${i}`, i < 1200 ? T0 : T0 + i, i % 3 ? 'A' : 'B')));
    // The layout before the name index: no 'xm:' sets, schema '3'.
    for (const key of await redis.admin.keys(keys.prefix + 'xm:*')) await redis.admin.del(key);
    await redis.admin.set(keys.prefix + 'schema', '3');
    const fresh = redisStorage({ url: redis.server.url, onUnsafeServer: 'ignore' });
    try {
      expect(await fresh.countInstances(hub, { kind: 'orchestration', name: 'B' })).toBe(834);
      expect(await fresh.countInstances(hub, { name: 'A' })).toBe(1666);
      expect(await redis.admin.get(keys.prefix + 'schema')).toBe('4');
    } finally {
      await fresh.close();
    }
  });
});
