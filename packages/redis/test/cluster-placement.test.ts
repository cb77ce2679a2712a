/**
 * Where instances live in a partitioned hub, on a real 3-master Redis
 * Cluster: one id is one instance in one partition hub-wide, whichever
 * creates race (with and without a concurrency group, in either order, into
 * different groups, by message), and purges leave no placement behind.
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Admission, CreateInstanceResult, Storage } from '@reprise/core';
import { ev, message, orchestrationRecord } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { homePartition, stableHash } from '../src/partitions/placement.js';
import { startRedisCluster } from './redis-cluster.js';
import type { RedisCluster } from './redis-cluster.js';

const binary = inject('redisServerBinary');
const K = 16;
const ROUNDS = 25;

const groupPartition = (group: string) => stableHash(`group:${group}`) % K;
/** A group whose partition is not `p`. */
const groupAwayFrom = (p: number, salt = ''): string => {
  for (let i = 0; ; i++) if (groupPartition(`g${salt}${i}`) !== p) return `g${salt}${i}`;
};
const admission = (group: string): Admission => ({ group, limit: 100, onFull: 'queue' });

describe.skipIf(!binary)('redis cluster: one id, one instance, hub-wide', () => {
  let cluster: RedisCluster | undefined;
  let client: Cluster;
  let a: Storage;
  let b: Storage;
  beforeAll(async () => {
    cluster = await startRedisCluster({ binary });
    client = new Cluster(cluster.nodes, { lazyConnect: true });
    // Two storages: two processes' connections, racing for real.
    a = redisStorage({ cluster: cluster.nodes, partitions: K });
    b = redisStorage({ cluster: cluster.nodes, partitions: K });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    client?.disconnect();
    await cluster?.stop();
  });

  const start = (id: string) => orchestrationRecord(id);
  const create = (s: Storage, hub: string, id: string, group?: string) =>
    s.createInstance(hub, start(id), message(id, ev.started('Orch')), group === undefined ? undefined : admission(group));

  /** The partitions holding an instance row of `id`. */
  async function partitionsOf(hub: string, id: string): Promise<number[]> {
    const found = await Promise.all(Array.from({ length: K }, (_, p) => client.exists(`reprise:{${hub}:${p}}:i:${id}`)));
    return found.flatMap((n, p) => (n === 1 ? [p] : []));
  }

  /** Makes the hub's only instance `id` finished (Completed). */
  async function finish(s: Storage, hub: string, id: string): Promise<void> {
    const locked = await s.lockInstances(hub, { max: 10, leaseMs: 10_000 });
    const mine = locked.items.find((l) => l.instance.instanceId === id)!;
    await s.commitOrchestration(hub, {
      instanceId: id,
      lockToken: mine.lockToken,
      instance: { ...mine.instance, status: 'Completed' },
      history: { append: mine.messages.map((m) => m.event) },
      consumedMessageIds: mine.messages.map((m) => m.id),
      messages: [],
      activities: [],
      logs: [],
    });
  }

  function expectOneCreated(results: CreateInstanceResult[]): void {
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results.filter((r) => !r.created)) expect(r).toMatchObject({ created: false, existing: { instanceId: expect.any(String) } });
  }

  it('a create with a group and one without, racing in either order: one instance, in one partition, the other told created: false', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const hub = `race-${round}`;
      const id = `r${round}`;
      const group = groupAwayFrom(homePartition(id, K));
      const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
      const results = await Promise.all(round % 4 < 2 ? [create(first, hub, id), create(second, hub, id, group)] : [create(second, hub, id, group), create(first, hub, id)]);
      expectOneCreated(results);
      const where = await partitionsOf(hub, id);
      expect(where, `round ${round}`).toHaveLength(1);
      expect([homePartition(id, K), groupPartition(group)]).toContain(where[0]);
      expect(await a.getInstance(hub, id)).toMatchObject({ instanceId: id });
      expect(await a.countInstances(hub, {})).toBe(1);
    }
  });

  it('re-creating a finished id, in another group and without one, racing: one instance, in one partition', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const hub = `again-${round}`;
      const id = `f${round}`;
      const g1 = groupAwayFrom(homePartition(id, K), 'x');
      await create(a, hub, id, g1);
      expect(await partitionsOf(hub, id)).toEqual([groupPartition(g1)]);
      await finish(a, hub, id);
      const g2 = groupAwayFrom(groupPartition(g1), 'y');
      const results = await Promise.all(
        round % 2 === 0 ? [create(a, hub, id), create(b, hub, id, g2), create(a, hub, id, g2)] : [create(b, hub, id, g2), create(a, hub, id)],
      );
      expectOneCreated(results);
      expect(await partitionsOf(hub, id), `round ${round}`).toHaveLength(1);
      expect(await a.getInstance(hub, id)).toMatchObject({ instanceId: id, status: 'Pending' });
    }
  });

  it('two creates into different groups, racing: one instance', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const hub = `groups-${round}`;
      const id = `g${round}`;
      const g1 = groupAwayFrom(homePartition(id, K), 'p');
      const g2 = groupAwayFrom(groupPartition(g1), 'q');
      expectOneCreated(await Promise.all([create(a, hub, id, g1), create(b, hub, id, g2)]));
      expect(await partitionsOf(hub, id), `round ${round}`).toHaveLength(1);
    }
  });

  it('a start by message into a group (create if missing) racing a plain create: one instance', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const hub = `msg-${round}`;
      const id = `m${round}`;
      const group = groupAwayFrom(homePartition(id, K), 'm');
      const send = b.sendMessages(hub, [{ ...message(id, ev.started('Orch')), createIfMissing: start(id), admission: admission(group) }]);
      const [created] = await Promise.all(round % 2 === 0 ? [create(a, hub, id), send] : [send.then(() => create(a, hub, id))]);
      const where = await partitionsOf(hub, id);
      expect(where, `round ${round}`).toHaveLength(1);
      if (round % 2 === 1) expect(created).toMatchObject({ created: false });
    }
  });

  it('a message that creates its instance (no group) racing a create into a group: one instance', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const hub = `signal-${round}`;
      const id = `s${round}`;
      const group = groupAwayFrom(homePartition(id, K), 's');
      const send = a.sendMessages(hub, [{ ...message(id, ev.started('Orch')), createIfMissing: start(id) }]);
      const grouped = create(b, hub, id, group);
      await Promise.all(round % 2 === 0 ? [send, grouped] : [grouped, send]);
      expect(await partitionsOf(hub, id), `round ${round}`).toHaveLength(1);
    }
  });

  it('a create finds its id placed anew where a mover died between its steps', async () => {
    const hub = 'died';
    const id = 'd1';
    const group = groupAwayFrom(homePartition(id, K), 'd');
    await create(a, hub, id, group);
    await finish(a, hub, id);
    // A mover took the finished instance out of the group's partition (no longer placed there) and died before its home said where it went.
    const d = groupPartition(group);
    await client.del(`reprise:{${hub}:${d}}:i:${id}`);
    await client.del(`reprise:{${hub}:${d}}:here`);
    expect(await create(b, hub, id)).toEqual({ created: true });
    expect(await partitionsOf(hub, id)).toEqual([d]);
    expect(await a.getInstance(hub, id)).toMatchObject({ instanceId: id, status: 'Pending' });
  });

  it('a purge leaves no placement behind: by filter and by ids', async () => {
    const hub = 'purged';
    const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (const id of ids) {
      await create(a, hub, id, groupAwayFrom(homePartition(id, K), id));
      await finish(a, hub, id);
    }
    const placements = async () => {
      const fields = await Promise.all(Array.from({ length: K }, async (_, p) => (await client.hlen(`reprise:{${hub}:${p}}:loc`)) + (await client.hlen(`reprise:{${hub}:${p}}:here`))));
      return fields.reduce((x, y) => x + y, 0);
    };
    expect(await placements()).toBe(2 * ids.length);
    expect((await a.purgeInstances(hub, { instanceIds: ids.slice(0, 4) })).instancesDeleted).toBe(4);
    expect(await placements()).toBe(2 * (ids.length - 4));
    expect((await a.purgeInstances(hub, { createdFrom: 0, runtimeStatus: ['Completed'] })).instancesDeleted).toBe(ids.length - 4);
    expect(await placements()).toBe(0);
    // The ids are free again: created at home.
    expect(await create(b, hub, ids[0]!)).toEqual({ created: true });
    expect(await partitionsOf(hub, ids[0]!)).toEqual([homePartition(ids[0]!, K)]);
  });
});
