import { afterAll, beforeAll, describe, inject } from 'vitest';
import { redisStorage } from '@reprise/redis';
import { startRedisServer } from '../../redis/test/redis-server.js';
import type { RedisServer } from '../../redis/test/redis-server.js';
import { applicationSuite } from './suite.js';

const binary = inject('redisServerBinary');
let server: RedisServer | undefined;

describe.skipIf(!binary)('redis', () => {
  beforeAll(async () => {
    server = await startRedisServer({ binary });
  });
  afterAll(async () => {
    await server?.stop();
  });
  applicationSuite('redis', () => redisStorage({ url: server!.url }));
});
