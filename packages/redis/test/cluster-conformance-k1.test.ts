import { afterAll, beforeAll, describe, inject } from 'vitest';
import { describeStorageConformance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { startRedisCluster } from './redis-cluster.js';
import type { RedisCluster } from './redis-cluster.js';

const binary = inject('redisServerBinary');

describe.skipIf(!binary)('redis cluster, 1 partition', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ binary });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describeStorageConformance('redis cluster (partitions: 1)', { create: () => redisStorage({ cluster: cluster!.nodes, partitions: 1 }) });
});
