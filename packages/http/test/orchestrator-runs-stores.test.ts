// The store-dependent behaviour of the orchestrator-runs document on SQLite (a file in a temp dir) and on a
// real redis-server: namespace isolation, the per-namespace cap under 50 concurrent creates, offset paging
// with _total from the store's count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, inject, it } from 'vitest';
import type { Storage } from '@reprise/core';
import { redisStorage } from '@reprise/redis';
import { sqliteStorage } from '@reprise/sqlite';
import { startRedisServer } from '../../redis/test/redis-server.js';
import type { RedisServer } from '../../redis/test/redis-server.js';
import { serveRuns, stopRuntimes } from './orchrun-helpers.js';
import { capUnderConcurrentCreates, namespaceIsolation, offsetPaging } from './orchrun-scenarios.js';

afterEach(stopRuntimes);

function storeSuite(name: string, makeStorage: () => Storage): void {
  describe(`orchrun over ${name}`, () => {
    let hub = 0;
    // A task hub per test: the stores outlive the tests' runtimes.
    const serve = () => serveRuns({ storage: makeStorage(), taskHub: `orchrun${++hub}` });
    it('keeps namespaces apart', async () => {
      await namespaceIsolation(await serve());
    });
    it('holds the cap under 50 concurrent creates', async () => {
      await capUnderConcurrentCreates(await serve(), 'capped');
    });
    it('pages by offset with _total', async () => {
      await offsetPaging(await serve(), 'paged');
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'reprise-orchrun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let file = 0;
storeSuite('SQLite', () => sqliteStorage({ path: join(dir, `runs-${++file}.db`) }));

const binary = inject('redisServerBinary');
describe.skipIf(!binary)('redis', () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ binary });
  });
  afterAll(async () => {
    await server?.stop();
  });
  storeSuite('Redis', () => redisStorage({ url: server!.url, onUnsafeServer: 'ignore' }));
});
