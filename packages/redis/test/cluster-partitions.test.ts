/**
 * Partitioned hubs on a real 3-master Redis Cluster: the partition count is
 * fixed per hub, one partition keeps today's keys, cross-partition messages
 * are forwarded exactly once even when a forwarder dies between its send and
 * its acknowledgement, and a workload survives a master killed and restarted.
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { ev, message, orchestrationRecord } from '@reprise/testing/conformance';
import { PartitionCountError, redisStorage } from '../src/index.js';
import { Connections } from '../src/connection.js';
import { resolveOptions } from '../src/options.js';
import { Locations } from '../src/partitions/locations.js';
import { Outbox, toOutbox } from '../src/partitions/outbox.js';
import { homePartition } from '../src/partitions/placement.js';
import { STEPS, expectedOutput, stepDefinitions, waitAllTerminal } from './fixtures/steps.js';
import { clusterReady, startRedisCluster } from './redis-cluster.js';

const binary = inject('redisServerBinary');

describe.skipIf(!binary)('redis cluster: partitioned hubs', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>> | undefined;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ binary });
    client = new Cluster(cluster.nodes, { lazyConnect: true });
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  const storage = (partitions: number) => redisStorage({ cluster: cluster!.nodes, partitions });
  const start = (id: string) => orchestrationRecord(id);

  it('fixes the partition count when a hub is first used and refuses another one later', async () => {
    const four = storage(4);
    const two = storage(2);
    const one = storage(1);
    try {
      await four.createInstance('fixed', start('a'), message('a', ev.started('Orch')));
      await expect(two.createInstance('fixed', start('b'), message('b', ev.started('Orch')))).rejects.toBeInstanceOf(PartitionCountError);
      await expect(one.lockInstances('fixed', { max: 1, leaseMs: 1000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', stored: 4, requested: 1 });
      expect(await two.getInstance('fixed', 'b')).toBeUndefined();
      // A hub written before the count was stored (today's layout) has one partition.
      await client.set('reprise:{legacy}:seq', '7');
      await expect(four.sendMessages('legacy', [message('x', ev.raised('e'))])).rejects.toBeInstanceOf(PartitionCountError);
      expect(() => redisStorage({ cluster: cluster!.nodes, partitions: 0 })).toThrow(/partitions must be an integer/);
    } finally {
      await Promise.all([four.close(), two.close(), one.close()]);
    }
  });

  it('one partition keeps the single-slot keys; more partitions tag them {<hub>:<p>}', async () => {
    const one = storage(1);
    const many = storage(8);
    try {
      await one.createInstance('single', start('i1'), message('i1', ev.started('Orch')));
      expect(await client.hexists('reprise:{single}:i:i1', 'row')).toBe(1);
      await many.createInstance('spread', start('i1'), message('i1', ev.started('Orch')));
      expect(await client.hexists(`reprise:{spread:${homePartition('i1', 8)}}:i:i1`, 'row')).toBe(1);
      expect(await client.exists('reprise:{spread}:i:i1')).toBe(0);
      expect(await many.getInstance('spread', 'i1')).toMatchObject({ instanceId: 'i1' });
    } finally {
      await Promise.all([one.close(), many.close()]);
    }
  });

  it('forwards a cross-partition message exactly once, also when a forwarder died between its send and its acknowledgement and request ids expired since', async () => {
    const k = 8;
    const hub = 'outbox';
    const s = storage(k);
    // Two instances in different partitions.
    const ids = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const source = ids[0]!;
    const target = ids.find((id) => homePartition(id, k) !== homePartition(source, k))!;
    try {
      for (const id of [source, target]) await s.createInstance(hub, start(id), message(id, ev.started('Orch')));
      // The commit writes the message to the outbox with itself, and forwards it.
      const locked = await s.lockInstances(hub, { max: 10, leaseMs: 10_000 });
      const mine = locked.items.find((l) => l.instance.instanceId === source)!;
      await s.commitOrchestration(hub, {
        instanceId: source,
        lockToken: mine.lockToken,
        instance: { ...mine.instance, status: 'Running' },
        history: { append: mine.messages.map((m) => m.event) },
        consumedMessageIds: mine.messages.map((m) => m.id),
        messages: [message(target, ev.raised('hello'))],
        activities: [],
        logs: [],
      });
      const pending = async () => (await s.getMessages(hub, target)).filter((m) => m.event.EventType === 'EventRaised').length;
      expect(await pending()).toBe(1);

      // A forwarder that sent an envelope and died before removing it: the next one sends it again.
      const sourceP = homePartition(source, k);
      const outboxKey = `reprise:{${hub}:${sourceP}}:out`;
      await client.rpush(outboxKey, JSON.stringify(toOutbox(message(target, ev.raised('again'))).event));
      const connections = new Connections(resolveOptions({ cluster: cluster!.nodes }));
      const dead = new Outbox(connections, new Locations(connections, k));
      const taken = await dead.take(hub, sourceP);
      expect(await dead.send(hub, sourceP, taken)).toHaveLength(1);
      expect(await pending()).toBe(2);
      // Ten minutes and more pass: every key with an expiry in the target's partition expires (request ids included).
      const targetTag = `{${hub}:${homePartition(target, k)}}`;
      for (const key of await keysOf(targetTag)) if ((await client.pttl(key)) > 0) await client.pexpire(key, 1);
      await new Promise((r) => setTimeout(r, 20));
      const next = storage(k);
      await next.lockActivities(hub, { max: 1, leaseMs: 1000 }); // a lock call sweeps the outboxes
      await eventuallyEmpty(outboxKey);
      expect(await pending()).toBe(2);
      // The envelope is gone, and so is its dedupe record; the dead forwarder, back, is refused as stale.
      expect((await keysOf(targetTag)).filter((key) => key.includes(':fw:'))).toEqual([]);
      expect(await dead.send(hub, sourceP, taken)).toBeUndefined();
      expect(await pending()).toBe(2);
      await Promise.all([next.close(), connections.close()]);
    } finally {
      await s.close();
    }
  });

  it('an idle lock call asks only the partitions that are not known idle', async () => {
    const k = 16;
    const hub = 'idle';
    const s = storage(k);
    const evals = async () => {
      let n = 0;
      for (const { host, port } of cluster!.nodes) {
        const node = new Redis(port, host);
        n += Number(/cmdstat_eval:calls=(\d+)/.exec(await node.info('commandstats'))?.[1] ?? 0);
        node.disconnect();
      }
      return n;
    };
    const stop = s.subscribe(hub, () => {});
    try {
      await s.open();
      await new Promise((r) => setTimeout(r, 200)); // the subscriptions are set up
      const e0 = await evals();
      expect((await s.lockInstances(hub, { max: 5, leaseMs: 1000 })).items).toEqual([]);
      const e1 = await evals();
      expect(e1 - e0).toBeGreaterThanOrEqual(k); // one probe per partition (and the outbox sweep)
      expect((await s.lockInstances(hub, { max: 5, leaseMs: 1000 })).items).toEqual([]);
      const e2 = await evals();
      expect(e2 - e1).toBe(0); // every partition known idle: no probe
      // Work in one partition: its notice makes it the one asked.
      await s.createInstance(hub, start('woken'), message('woken', ev.started('Orch')));
      await new Promise((r) => setTimeout(r, 100));
      const e3 = await evals();
      const locked = await s.lockInstances(hub, { max: 5, leaseMs: 1000 });
      expect(locked.items.map((l) => l.instance.instanceId)).toEqual(['woken']);
      // One probe, not k (plus the lock script itself the first time that node runs it: EVAL, then EVALSHA).
      expect((await evals()) - e3).toBeLessThanOrEqual(2);
    } finally {
      stop();
      await s.close();
    }
  });

  it("a storage's own writes are seen by its next lock call at once, even in partitions it knows idle", async () => {
    const k = 16;
    const hub = 'idle-own-writes';
    const s = storage(k);
    const stop = s.subscribe(hub, () => {});
    try {
      await s.open();
      await new Promise((r) => setTimeout(r, 200)); // the subscriptions are set up
      for (let round = 0; round < 5; round++) {
        // Every partition known idle, then a create and a lock call with no wait between: the notice may not be back yet.
        expect((await s.lockInstances(hub, { max: 5, leaseMs: 1000 })).items).toEqual([]);
        const id = `own-${round}`;
        await s.createInstance(hub, start(id), message(id, ev.started('Orch')));
        const locked = await s.lockInstances(hub, { max: 5, leaseMs: 1000 });
        expect(locked.items.map((l) => l.instance.instanceId)).toEqual([id]);
        // A message sent to it after its lease is given back: seen at once too.
        await s.releaseInstance(hub, id, locked.items[0]!.lockToken);
        const again = await s.lockInstances(hub, { max: 5, leaseMs: 1000 });
        expect(again.items.map((l) => l.instance.instanceId)).toEqual([id]);
        await s.commitOrchestration(hub, {
          instanceId: id,
          lockToken: again.items[0]!.lockToken,
          instance: { ...again.items[0]!.instance, status: 'Completed', historyLength: 2 },
          history: { append: [again.items[0]!.messages[0]!.event, ev.completed()] },
          consumedMessageIds: again.items[0]!.messages.map((m) => m.id),
          messages: [],
          activities: [],
          logs: [],
        });
      }
    } finally {
      stop();
      await s.close();
    }
  });

  /** The keys of one hash tag (all on one node: each master is asked). */
  async function keysOf(tag: string): Promise<string[]> {
    const keys: string[] = [];
    for (const { host, port } of cluster!.nodes) {
      const node = new Redis(port, host);
      keys.push(...(await node.keys(`reprise:${tag}:*`)));
      node.disconnect();
    }
    return keys;
  }

  async function eventuallyEmpty(key: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await client.llen(key)) > 0) {
      if (Date.now() > deadline) throw new Error(`${key} was not drained`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a workload finishes when a master is killed and restarted mid-run: nothing lost, nothing applied twice', { timeout: 120_000 }, async () => {
    let executions = 0;
    const s = redisStorage({ cluster: cluster!.nodes, partitions: 12, clusterOptions: { retryDelayOnClusterDown: 100 }, onError: () => {} });
    const runtime = createRuntime({
      storage: s,
      taskHub: 'fault',
      leaseMs: 2_000,
      ...stepDefinitions({ activityMs: 30, onActivity: (_ctx, _input, phase) => void (phase === 'done' && executions++) }),
    });
    await runtime.start();
    const ids = Array.from({ length: 24 }, (_, i) => `fault-${i}`);
    try {
      await Promise.all(ids.map((id, i) => runtime.client.startNew('Steps', { input: i, instanceId: id })));
      const deadline = Date.now() + 20_000;
      while (executions < ids.length) {
        if (Date.now() > deadline) throw new Error('no progress before the kill');
        await new Promise((r) => setTimeout(r, 10));
      }
      const before = executions;
      await cluster!.masters[1]!.restart('SIGKILL');
      await clusterReady(cluster!.cli, cluster!.masters.map((m) => m.port));
      expect(before).toBeLessThan(ids.length * STEPS); // the kill lands mid-run

      await waitAllTerminal((id) => runtime.client.getStatus(id), ids, 90_000);
      for (const [i, id] of ids.entries()) {
        const status = await runtime.client.getStatus(id, { showHistory: true });
        expect(status?.runtimeStatus, id).toBe('Completed');
        expect(status?.output, id).toBe(expectedOutput(i));
        const types = (status as unknown as { history: Array<{ EventType: string }> }).history.map((e) => e.EventType);
        expect(types.filter((t) => t === 'TaskCompleted'), id).toHaveLength(STEPS);
        expect(types.filter((t) => t === 'ExecutionCompleted'), id).toHaveLength(1);
      }
      expect(executions).toBeGreaterThan(before);
    } finally {
      await runtime.stop();
      await s.close();
    }
  });
});
