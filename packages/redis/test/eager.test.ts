/**
 * Eager dispatch, Redis specifics the conformance suite cannot see: what the
 * scripts leave in the keys (nothing eager in `aq` or `ready`, leases in
 * `alease` / `ilease`), which notices they publish, and a due timer of the
 * woken instance being handed out with it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LockedInstance, NewActivity, Storage } from '@reprise/core';
import { activity, commitFor, ev, message, orchestrationRecord, sleep } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');
const LONG = 60_000;
const work = (n: number): NewActivity => activity('i1', 'e1', n);

describe.skipIf(!binary)('redis: eager dispatch in the scripts', () => {
  let server: RedisServer | undefined;
  let storage: Storage;
  let admin: Redis;
  let subscriber: Redis;
  const notices = new Map<string, string[]>();

  beforeAll(async () => {
    server = await startRedisServer({ binary });
    storage = redisStorage({ url: server.url });
    await storage.open();
    admin = new Redis(server.url);
    // Connected (ready) before any SUBSCRIBE: one sent during ioredis's ready check breaks that check.
    subscriber = new Redis(server.url, { lazyConnect: true });
    await subscriber.connect();
    subscriber.on('message', (channel: string, message: string) => notices.get(channel)?.push(message));
  });

  afterAll(async () => {
    await storage?.close();
    admin?.disconnect();
    subscriber?.disconnect();
    await server?.stop();
  });

  /** A fresh hub with one started, locked instance 'i1', and the notices published on it from now on. */
  async function setup(): Promise<{ hub: string; locked: LockedInstance; published: string[] }> {
    const hub = `eager-${randomUUID()}`;
    await storage.createInstance(hub, orchestrationRecord('i1', { executionId: 'e1' }), message('i1', ev.started(undefined, undefined, 'e1')));
    const { items } = await storage.lockInstances(hub, { max: 1, leaseMs: LONG });
    const published: string[] = [];
    const channel = hubKeys(hub).channel;
    notices.set(channel, published);
    await subscriber.subscribe(channel);
    return { hub, locked: items[0]!, published };
  }

  /** Publishes a marker on the hub's channel, waits until the subscriber got it, and returns (and forgets) what came before it. */
  async function drain(hub: string, published: string[]): Promise<string[]> {
    const marker = `marker-${randomUUID()}`;
    await admin.publish(hubKeys(hub).channel, marker);
    for (let i = 0; i < 500 && !published.includes(marker); i++) await sleep(2);
    expect(published).toContain(marker);
    return published.splice(0, published.indexOf(marker) + 1).slice(0, -1);
  }

  /** Notices published by `operation` only: the subscriber gets a channel's messages in publish order. */
  async function noticesOf(hub: string, published: string[], operation: () => Promise<unknown>): Promise<string[]> {
    await drain(hub, published);
    await operation();
    return drain(hub, published);
  }

  /** The commit of `locked`'s messages, scheduling `activities`. */
  const commitOf = (locked: LockedInstance, activities: NewActivity[]) => commitFor(locked, { append: locked.messages.map((m) => m.event), activities });

  it('commit: leased items never enter aq; activity-work only for the items left queued', async () => {
    const { hub, locked, published } = await setup();
    const p = hubKeys(hub).prefix;
    let result: Awaited<ReturnType<Storage['commitOrchestration']>> | undefined;
    const flags = await noticesOf(hub, published, async () => {
      result = await storage.commitOrchestration(hub, { ...commitOf(locked, [0, 1, 2].map((n) => work(n))), lockActivities: { max: 2, leaseMs: LONG } });
    });
    const eager = result?.activities ?? [];
    expect(eager.map((a) => a.taskScheduledId)).toEqual([0, 1]);
    expect(await admin.lrange(`${p}aq`, 0, -1)).toHaveLength(1);
    expect((await admin.zrange(`${p}alease`, 0, -1)).sort()).toEqual(eager.map((a) => a.id).sort());
    expect(await admin.hget(`${p}a:${eager[0]!.id}`, 'dl')).toBe('1');
    expect(flags.map((f) => f.split('\n')[0])).toEqual(['a']);

    // Every item leased, and a lease that expires sooner is live: no activity-work, no announcement.
    await storage.sendMessages(hub, [{ instanceId: 'i1', event: ev.raised('x') }]);
    const [again] = (await storage.lockInstances(hub, { max: 1, leaseMs: LONG })).items;
    const flags2 = await noticesOf(hub, published, async () => {
      result = await storage.commitOrchestration(hub, { ...commitOf(again!, [work(3)]), lockActivities: { max: 5, leaseMs: LONG } });
    });
    expect(result?.activities?.map((a) => a.taskScheduledId)).toEqual([3]);
    // Nothing on the work channel: the running update alone goes to the updates channel (subscriber.ts).
    expect(flags2).toEqual([]);
    expect(await admin.llen(`${p}aq`)).toBe(1);
  });

  it('commit: an eagerly leased item whose lease runs out goes to the next locker with deliveries 2', async () => {
    const { hub, locked } = await setup();
    const result = await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: 150 } });
    const [item] = result?.activities ?? [];
    expect((await storage.lockActivities(hub, { max: 5, leaseMs: LONG })).items).toEqual([]);
    await sleep(400);
    const { items } = await storage.lockActivities(hub, { max: 5, leaseMs: LONG });
    expect(items.map((i) => [i.id, i.deliveries])).toEqual([[item!.id, 2]]);
    await expect(storage.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: { instanceId: 'i1', event: ev.taskCompleted(0) } })).rejects.toMatchObject({
      name: 'LeaseLostError',
    });
  });

  it("commit: every item leased and none live before: no activity-work, the lease announced ('A<ms>')", async () => {
    const { hub, locked, published } = await setup();
    let result: Awaited<ReturnType<Storage['commitOrchestration']>> | undefined;
    const flags = await noticesOf(hub, published, async () => {
      result = await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: LONG } });
    });
    expect(result?.activities).toHaveLength(1);
    expect(flags.map((f) => f.split('\n')[0])).toEqual([`A${LONG}`]);
  });

  it("completeActivity: the leased instance leaves ready for ilease; no orchestration-work goes out, only the lease's announcement", async () => {
    const { hub, locked, published } = await setup();
    const p = hubKeys(hub).prefix;
    const [item] = (await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: LONG } }))?.activities ?? [];
    let result: Awaited<ReturnType<Storage['completeActivity']>> | undefined;
    const flags = await noticesOf(hub, published, async () => {
      result = await storage.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: { instanceId: 'i1', event: ev.taskCompleted(0) }, lockInstance: { leaseMs: LONG } });
    });
    expect(result?.instance?.messages.map((m) => m.event.EventType)).toEqual(['TaskCompleted']);
    expect(flags).toEqual([`O${LONG}`]); // the earliest (only) instance lease
    expect(await admin.zscore(`${p}ready`, 'i1')).toBeNull();
    expect(await admin.zscore(`${p}ilease`, 'i1')).not.toBeNull();
    expect(await admin.hget(`${p}i:i1`, 'lt')).toBe(result?.instance?.lockToken);
  });

  it('completeActivity without lockInstance resolves {} and publishes orchestration-work as before', async () => {
    const { hub, locked, published } = await setup();
    const [item] = (await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: LONG } }))?.activities ?? [];
    let result: Awaited<ReturnType<Storage['completeActivity']>> | undefined;
    const flags = await noticesOf(hub, published, async () => {
      result = await storage.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: { instanceId: 'i1', event: ev.taskCompleted(0) } });
    });
    expect(result).toEqual({});
    expect(flags).toEqual(['o']);
  });

  it('completeActivity: a due timer of the woken instance comes with it, in enqueue order', async () => {
    const { hub, locked } = await setup();
    const p = hubKeys(hub).prefix;
    const [item] = (await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: LONG } }))?.activities ?? [];
    await storage.sendMessages(hub, [{ instanceId: 'i1', event: ev.raised('timer'), visibleAt: Date.now() + 150 }]);
    await sleep(400);
    expect(await admin.zcard(`${p}timers`)).toBe(1); // nobody swept it
    const result = await storage.completeActivity(hub, { workItemId: item!.id, lockToken: item!.lockToken, message: { instanceId: 'i1', event: ev.taskCompleted(0) }, lockInstance: { leaseMs: LONG } });
    expect(result?.instance?.messages.map((m) => m.event.EventType)).toEqual(['EventRaised', 'TaskCompleted']);
    expect(await admin.zcard(`${p}timers`)).toBe(0);
  });

  it('completeActivity: an instance still waiting on a timer only is not leased for it', async () => {
    const { hub, locked } = await setup();
    const [item] = (await storage.commitOrchestration(hub, { ...commitOf(locked, [work(0)]), lockActivities: { max: 1, leaseMs: LONG } }))?.activities ?? [];
    const result = await storage.completeActivity(hub, {
      workItemId: item!.id,
      lockToken: item!.lockToken,
      message: { instanceId: 'i1', event: ev.taskCompleted(0), visibleAt: Date.now() + LONG },
      lockInstance: { leaseMs: LONG },
    });
    expect(result).toEqual({});
    expect((await storage.lockInstances(hub, { max: 5, leaseMs: LONG })).items).toEqual([]);
  });
});
