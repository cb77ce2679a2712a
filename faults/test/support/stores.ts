/**
 * The stores under test, one fresh store per test: an SQLite file in a new
 * temporary directory, or a real redis-server on a free loopback port (AOF,
 * `appendfsync always` so an acknowledged write survives a kill -9 of the
 * server). The redis-server helper and the global setup that finds the binary
 * are the Redis package's own test helpers, imported rather than copied.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Storage } from '@reprise/core';
import { redisStorage } from '@reprise/redis';
import { sqliteStorage } from '@reprise/sqlite';
import type {} from '../../../packages/redis/test/global-setup.js';
import { startRedisServer } from '../../../packages/redis/test/redis-server.js';
import type { RedisServer } from '../../../packages/redis/test/redis-server.js';

export type StoreKind = 'sqlite' | 'redis';

/** Path of redis-server, or '' when the Redis variants must be skipped (a failure under CI=true, see the global setup). */
export const redisBinary = inject('redisServerBinary');

export const STORES: StoreKind[] = ['sqlite', 'redis'];

/** it.skipIf condition of a store variant. */
export const unavailable = (kind: StoreKind) => kind === 'redis' && !redisBinary;

export interface StoreUnderTest {
  kind: StoreKind;
  /** A temporary directory for this test's files (ledger, markers, the SQLite file). */
  dir: string;
  /** The SQLite file, or the Redis URL. */
  target: string;
  redis?: RedisServer;
  /** What a child process needs to open the same store. */
  env: Record<string, string>;
  /** A new storage over the same store, for the test process; closed by dispose(). */
  storage(options?: { busyTimeoutMs?: number }): Storage;
  dispose(): Promise<void>;
}

export async function openStore(kind: StoreKind): Promise<StoreUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), `reprise-faults-${kind}-`));
  const redis = kind === 'redis' ? await startRedisServer({ binary: redisBinary, appendfsync: 'always' }) : undefined;
  const target = redis ? redis.url : join(dir, 'store.db');
  const opened: Storage[] = [];
  return {
    kind,
    dir,
    target,
    ...(redis && { redis }),
    env: { FAULT_STORE: kind, FAULT_TARGET: target },
    storage(options = {}) {
      const storage = redis
        ? redisStorage({ url: target, onUnsafeServer: 'throw', warn: () => {} })
        : sqliteStorage({ path: target, ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }) });
      opened.push(storage);
      return storage;
    },
    async dispose() {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      await redis?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
