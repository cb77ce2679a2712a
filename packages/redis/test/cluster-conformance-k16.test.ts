import { afterAll, beforeAll, describe, inject } from 'vitest';
import { describeStorageConformance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { startRedisCluster } from './redis-cluster.js';
import type { RedisCluster } from './redis-cluster.js';

const binary = inject('redisServerBinary');

describe.skipIf(!binary)('redis cluster, 16 partitions', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ binary });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describeStorageConformance('redis cluster (partitions: 16)', { create: () => redisStorage({ cluster: cluster!.nodes, partitions: 16 }) });
});
