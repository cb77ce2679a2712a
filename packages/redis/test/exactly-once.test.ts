/**
 * No store operation is applied twice when a reply is lost (issue 12, defect
 * 5). ioredis re-sent a command whose reply was lost after reconnecting, so
 * a raiseEvent acknowledged once was delivered twice and a startNew that
 * succeeded reported InstanceExistsError. Here:
 * - the scripts: the same create / send / purge run twice with one request
 *   id applies once;
 * - the adapter, behind a proxy that forwards a command and drops its reply
 *   (the server applied it, the client never heard): create and send succeed
 *   exactly once, reads are read again, other writes fail with StorageError
 *   instead of hanging, and later calls go through;
 * - a caller's client that re-sends is warned about at open().
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StorageError, createRuntime } from '@reprise/core';
import type { HistoryEvent } from '@reprise/core';
import { ev, orchestrationRecord } from '@reprise/testing/conformance';
import { rowArgs } from '../src/codec.js';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { defineScripts } from '../src/scripts/index.js';
import { startCutProxy } from './cut-proxy.js';
import type { CutProxy } from './cut-proxy.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');


describe.skipIf(!binary)('redis: no operation applied twice', () => {
  const redis = useRedisServer(binary);

  const inbox = async (hub: string, id: string) => redis.admin.hvals(hubKeys(hub).prefix + `m:${id}`);

  describe('scripts: one request id applies once', () => {
    const run = () => defineScripts(redis.admin);

    it('createInstance run twice does not refuse the repeat, nor replace an instance that finished in between', async () => {
      const hub = `s-${randomUUID()}`;
      const anchor = hubKeys(hub).anchor;
      // No admission (the last four: group, limit, maxQueued, onFull).
      const args = ['i1', ...rowArgs(orchestrationRecord('i1')), JSON.stringify(ev.started()), '', 'req-1', '', '', '', ''];
      const applied = [1, 'admitted', 0];
      expect(await run()('createInstance', anchor, args)).toEqual(applied);
      expect(await run()('createInstance', anchor, args)).toEqual(applied); // before: [0, row]
      expect(await inbox(hub, 'i1')).toHaveLength(1);

      // The instance finishes; the old script re-run would have removed and recreated it.
      const key = hubKeys(hub).instance('i1');
      await redis.admin.hset(key, 'st', 'Completed');
      await redis.admin.rpush(hubKeys(hub).history('i1'), 'kept');
      expect(await run()('createInstance', anchor, args)).toEqual(applied);
      expect(await redis.admin.hget(key, 'st')).toBe('Completed');
      expect(await redis.admin.lrange(hubKeys(hub).history('i1'), 0, -1)).toEqual(['kept']);

      // Another request id is another create: it replaces the finished instance.
      expect(await run()('createInstance', anchor, [...args.slice(0, -5), 'req-2', '', '', '', ''])).toEqual(applied);
      expect(await redis.admin.hget(key, 'st')).toBe('Pending');
      expect(await redis.admin.lrange(hubKeys(hub).history('i1'), 0, -1)).toEqual([]);
    });

    it('sendMessages run twice delivers once', async () => {
      const hub = `s-${randomUUID()}`;
      const anchor = hubKeys(hub).anchor;
      await run()('createInstance', anchor, ['i1', ...rowArgs(orchestrationRecord('i1')), JSON.stringify(ev.started()), '', 'c', '', '', '', '']);
      const message = ['i1', JSON.stringify(ev.raised('E')), '', '', '', '', '', '', '', '', ''];
      expect(await run()('sendMessages', anchor, ['send-1', 1, ...message])).toBe(1);
      expect(await run()('sendMessages', anchor, ['send-1', 1, ...message])).toBe(1);
      expect(await inbox(hub, 'i1')).toHaveLength(2); // ExecutionStarted + one EventRaised
      await run()('sendMessages', anchor, ['send-2', 1, ...message]);
      expect(await inbox(hub, 'i1')).toHaveLength(3);
    });

    it('purgeInstances run twice returns the first count and spares an instance recreated in between', async () => {
      const hub = `s-${randomUUID()}`;
      const anchor = hubKeys(hub).anchor;
      const create = (rid: string) => run()('createInstance', anchor, ['i1', ...rowArgs(orchestrationRecord('i1')), JSON.stringify(ev.started()), '', rid, '', '', '', '']);
      await create('c1');
      await redis.admin.hset(hubKeys(hub).instance('i1'), 'st', 'Completed');
      expect(await run()('purgeInstances', anchor, ['purge-1', 'i1'])).toBe(1);
      await create('c2');
      await redis.admin.hset(hubKeys(hub).instance('i1'), 'st', 'Failed');
      expect(await run()('purgeInstances', anchor, ['purge-1', 'i1'])).toBe(1);
      expect(await redis.admin.hget(hubKeys(hub).instance('i1'), 'st')).toBe('Failed');
    });

    it('a request id is forgotten after a while (it expires)', async () => {
      const hub = `s-${randomUUID()}`;
      await run()('sendMessages', hubKeys(hub).anchor, ['send-ttl', 0]);
      const ttl = await redis.admin.pttl(hubKeys(hub).prefix + 'rq:send-ttl');
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    });
  });

  // Auto-pipelining too: ioredis kept a pipeline whose reply was lost pending, and every later command waited behind it.
  describe.each([
    { label: 'plain commands', redisOptions: {} },
    { label: 'auto-pipelining', redisOptions: { enableAutoPipelining: true } },
  ])('adapter: a reply lost on the wire ($label)', ({ redisOptions }) => {
    let proxy: CutProxy;
    beforeAll(async () => {
      proxy = await startCutProxy(redis.server.port);
    });
    afterAll(async () => {
      await proxy?.close();
    });

    const runtimeOn = (hub: string) => {
      const storage = redisStorage({ url: proxy.url, onUnsafeServer: 'ignore', redisOptions });
      const runtime = createRuntime({ storage, taskHub: hub, orchestrators: { O: function* () {} } });
      return { storage, runtime };
    };

    it('startNew whose reply is lost succeeds once, with no InstanceExistsError', async () => {
      const hub = `p-${randomUUID()}`;
      const { storage, runtime } = runtimeOn(hub);
      try {
        await runtime.client.getStatus('warm-up');
        const lost = proxy.loseNextReply();
        const cutsBefore = proxy.cuts;
        const id = await runtime.client.startNew('O', { instanceId: 'once' });
        await lost;
        expect(proxy.cuts).toBe(cutsBefore + 1);
        expect(id).toBe('once');
        expect(await inbox(hub, 'once')).toHaveLength(1);
      } finally {
        await storage.close();
      }
    });

    it('raiseEvent whose reply is lost is delivered once', async () => {
      const hub = `p-${randomUUID()}`;
      const { storage, runtime } = runtimeOn(hub);
      try {
        await runtime.client.startNew('O', { instanceId: 'target' });
        // raiseEvent reads the instance first, then sends: lose the send's reply.
        await storage.getInstance(hub, 'target');
        const lost = proxy.loseNextReply();
        await storage.sendMessages(hub, [{ instanceId: 'target', event: ev.raised('Go') }]);
        await lost;
        const events = (await inbox(hub, 'target')).map((body) => (JSON.parse(body) as HistoryEvent).EventType);
        expect(events.sort()).toEqual(['EventRaised', 'ExecutionStarted']);
      } finally {
        await storage.close();
      }
    });

    it('a read whose reply is lost is read again', async () => {
      const hub = `p-${randomUUID()}`;
      const { storage, runtime } = runtimeOn(hub);
      try {
        await runtime.client.startNew('O', { instanceId: 'r1' });
        const lost = proxy.loseNextReply();
        expect((await storage.getInstance(hub, 'r1'))?.instanceId).toBe('r1');
        await lost;
      } finally {
        await storage.close();
      }
    });

    it('a lock whose reply is lost fails with StorageError instead of hanging or running twice', async () => {
      const hub = `p-${randomUUID()}`;
      const { storage, runtime } = runtimeOn(hub);
      try {
        await runtime.client.startNew('O', { instanceId: 'l1' });
        const lost = proxy.loseNextReply();
        const outcome = await storage.lockInstances(hub, { max: 10, leaseMs: 60_000 }).then(
          () => 'resolved',
          (error: unknown) => error,
        );
        await lost;
        expect(outcome).toBeInstanceOf(StorageError);
        // Applied once: the instance was leased (to the lost reply) exactly one time.
        expect(await redis.admin.hget(hubKeys(hub).instance('l1'), 'dl')).toBe('1');
        // The connection is back and serves calls.
        expect((await storage.lockInstances(hub, { max: 10, leaseMs: 60_000 })).items).toEqual([]);
      } finally {
        await storage.close();
      }
    });
  });

  it("warns at open() about a caller's client that re-sends lost commands, not about one that does not", async () => {
    const warnings: string[] = [];
    const resending = new Redis(redis.server.url, { lazyConnect: true });
    const careful = new Redis(redis.server.url, { lazyConnect: true, autoResendUnfulfilledCommands: false });
    const a = redisStorage({ client: resending, onUnsafeServer: 'ignore', warn: (m) => warnings.push(`a: ${m}`) });
    const b = redisStorage({ client: careful, onUnsafeServer: 'ignore', warn: (m) => warnings.push(`b: ${m}`) });
    try {
      await a.open();
      await b.open();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^a: .*autoResendUnfulfilledCommands: false/);
    } finally {
      await a.close();
      await b.close();
      resending.disconnect();
      careful.disconnect();
    }
  });
});
