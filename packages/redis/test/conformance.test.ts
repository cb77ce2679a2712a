import { afterAll, beforeAll, describe, inject } from 'vitest';
import { describeStorageConformance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');

describe.skipIf(!binary)('redis', () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ binary });
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStorageConformance('redis', { create: () => redisStorage({ url: server!.url }) });
});
