/** The whole storage conformance suite on a real 3-master Redis Cluster, with a hub of K partitions. */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { describeStorageConformance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { startRedisCluster } from './redis-cluster.js';
import type { RedisCluster } from './redis-cluster.js';

export function describeClusterConformance(partitions: number): void {
  const binary = inject('redisServerBinary');
  describe.skipIf(!binary)(`redis cluster, ${partitions} partition${partitions === 1 ? '' : 's'}`, () => {
    let cluster: RedisCluster | undefined;
    beforeAll(async () => {
      cluster = await startRedisCluster({ binary });
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    describeStorageConformance(`redis cluster (partitions: ${partitions})`, { create: () => redisStorage({ cluster: cluster!.nodes, partitions }) });
  });
}
