/**
 * The storage's connections (issue 20): a worker's scripts run on a
 * connection of their own, so client calls never queue behind them on one
 * socket, and each connection sends the commands of one event-loop turn in
 * one socket write.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { ev, orchestrationRecord } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { WriteBatch } from '../src/write-batch.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');

describe.skipIf(!binary)('redis: connections', () => {
  const redis = useRedisServer(binary);

  /** Connections other than admin's, by the name of their last command. */
  const clients = async () => {
    const list = (await redis.admin.client('LIST')) as string;
    const own = Number(await redis.admin.client('ID'));
    return list
      .trim()
      .split('\n')
      .filter((line) => Number(/\bid=(\d+)/.exec(line)![1]) !== own);
  };

  it("a worker's scripts and client calls take two connections", async () => {
    const storage = redisStorage({ url: redis.server.url, onUnsafeServer: 'ignore' });
    try {
      await storage.createInstance('conn', orchestrationRecord('c1'), { instanceId: 'c1', event: ev.started() });
      expect(await clients()).toHaveLength(1);
      const locked = await storage.lockInstances('conn', { max: 1, leaseMs: 60_000 });
      expect(locked.items.map((item) => item.instance.instanceId)).toEqual(['c1']);
      // Before: both on one connection.
      expect(await clients()).toHaveLength(2);
      expect((await storage.getInstance('conn', 'c1'))?.instanceId).toBe('c1');
      expect(await clients()).toHaveLength(2);
    } finally {
      await storage.close();
    }
    expect(await clients()).toHaveLength(0);
  });

  it('a WriteBatch sends the commands of one event-loop turn in one socket write', async () => {
    const client = new Redis(redis.server.url);
    try {
      await client.ping();
      const stream = (client as unknown as { stream: { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } }).stream;
      let writes = 0;
      const write = stream._write.bind(stream);
      const writev = stream._writev.bind(stream);
      stream._write = (...a) => {
        writes++;
        write(...a);
      };
      stream._writev = (...a) => {
        writes++;
        writev(...a);
      };
      const batch = new WriteBatch(client);
      const sent: Array<Promise<unknown>> = [];
      for (let i = 0; i < 50; i++) {
        batch.hold();
        sent.push(client.set(`wb:${i}`, i));
        // Later promise continuations of the same turn join the batch too.
        sent.push(Promise.resolve().then(() => (batch.hold(), client.get(`wb:${i}`))));
      }
      const replies = await Promise.all(sent);
      expect(replies.filter((_, i) => i % 2 === 1)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
      expect(writes).toBe(1);
      // A later turn is its own write.
      batch.hold();
      expect(await client.get('wb:3')).toBe('3');
      expect(writes).toBe(2);
    } finally {
      client.disconnect();
    }
  });
});
