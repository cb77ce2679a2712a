/** A real 3-master Redis Cluster for the benchmarks (as the tests start one), one adapter per partition count. */
import { Redis } from 'ioredis';
import { redisStorage } from '@reprise/redis';
import { ensureRedisServer } from '../packages/redis/test/redis-server.js';
import { startRedisCluster } from '../packages/redis/test/redis-cluster.js';
import type { Adapter } from './harness.js';

export async function redisClusterAdapters(partitionCounts: number[]): Promise<Adapter[]> {
  const found = ensureRedisServer((line) => console.warn(line));
  if (!found.binary) throw new Error(found.reason ?? 'redis-server is missing');
  const cluster = await startRedisCluster({ binary: found.binary });
  const flush = async () => {
    for (const node of cluster.nodes) {
      const admin = new Redis(node.port, node.host);
      await admin.flushall();
      admin.disconnect();
    }
  };
  let disposed = 0;
  return partitionCounts.map((partitions) => ({
    name: `redis-cluster-k${partitions}`,
    async create() {
      await flush();
      return redisStorage({ cluster: cluster.nodes, partitions });
    },
    async dispose() {
      if (++disposed === partitionCounts.length) await cluster.stop();
    },
  }));
}
