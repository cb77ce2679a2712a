/** Redis for the benchmarks: a real server this script starts on a free loopback port, like the tests do. */
import { Redis } from 'ioredis';
import { redisStorage } from '@reprise/redis';
import { ensureRedisServer, startRedisServer } from '../packages/redis/test/redis-server.js';
import type { SharedAdapter } from './workloads/w6-scale-out.js';

export async function redisAdapter(): Promise<SharedAdapter> {
  const found = ensureRedisServer((line) => console.warn(line));
  if (!found.binary) throw new Error(found.reason ?? 'redis-server is missing');
  // Default durability: AOF with fsync every second.
  const server = await startRedisServer({ binary: found.binary, appendfsync: 'everysec' });
  const admin = new Redis(server.url);
  return {
    name: 'redis',
    async create() {
      await admin.flushall();
      return redisStorage({ url: server.url });
    },
    async createShared() {
      await admin.flushall();
      return { storage: redisStorage({ url: server.url }), workerEnv: { REPRISE_REDIS_URL: server.url } };
    },
    async dispose() {
      admin.disconnect();
      await server.stop();
    },
  };
}
