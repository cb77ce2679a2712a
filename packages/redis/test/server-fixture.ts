/** One redis-server for a describe block, with an admin connection: started before its tests, stopped after them. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

export interface ServerFixture {
  readonly server: RedisServer;
  readonly admin: Redis;
}

export function useRedisServer(binary: string | undefined): ServerFixture {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ binary });
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    get admin() {
      return admin!;
    },
  };
}
