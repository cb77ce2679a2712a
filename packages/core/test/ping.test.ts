/**
 * `client.ping`: one cheap read of the store, bounded in time. A store that
 * cannot answer is a StorageError, never a hang or another error type.
 * (SQLite closed under a runtime and a stopped redis-server: packages/http/test/workflow-service-stores.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, StorageError } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

/** A store whose reads never answer, and one whose reads fail with a plain Error (a driver's). */
function wrapped(base: Storage, getInstance: Storage['getInstance']): Storage {
  return new Proxy(base, { get: (target, key, receiver) => (key === 'getInstance' ? getInstance : Reflect.get(target, key, receiver)) });
}

describe('client.ping', () => {
  it('resolves when the store answers', async () => {
    const runtime = await startRuntime({ orchestrators: {} });
    await expect(runtime.client.ping()).resolves.toBeUndefined();
  });

  it('rejects with StorageError when the store never answers, within the timeout', async () => {
    const storage = memoryStorage();
    const runtime = await startRuntime({ orchestrators: {}, storage: wrapped(storage, () => new Promise(() => {})) });
    const started = Date.now();
    await expect(runtime.client.ping({ timeoutMs: 100 })).rejects.toThrow(StorageError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("turns a driver's plain error into a StorageError", async () => {
    const storage = memoryStorage();
    const runtime = await startRuntime({ orchestrators: {}, storage: wrapped(storage, () => Promise.reject(new TypeError('connection is gone'))) });
    await expect(runtime.client.ping()).rejects.toMatchObject({ code: 'STORAGE', message: expect.stringContaining('connection is gone') });
  });

  it('refuses a bad timeout', async () => {
    const runtime = await startRuntime({ orchestrators: {} });
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(runtime.client.ping({ timeoutMs })).rejects.toThrow(InvalidArgumentError);
  });
});
