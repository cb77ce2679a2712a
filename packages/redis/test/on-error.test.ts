/**
 * redisStorage's `onError` (issue 13, point 6): a connection that drops
 * while a runtime runs reaches the handler as a StorageError, so does what a
 * subscriber threw, and nothing is printed. Without `onError` the errors go
 * to `warn` when only that is given (as before), else to console.error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { StorageError, createRuntime, isRepriseError } from '@reprise/core';
import type { ErrorHandler, Runtime, Storage } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import type { RedisStorageOptions } from '../src/index.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');

const definitions = {
  logger: () => {},
  activities: { Double: (x: number) => x * 2 },
  orchestrators: {
    Twice: function* (ctx: { getInput(): number; callActivity(name: string, input: unknown): unknown }): Generator<unknown, number, number> {
      return yield ctx.callActivity('Double', ctx.getInput());
    },
  },
};

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!binary)('redis: onError', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.restoreAllMocks();
  });

  /**
   * A server, a storage on it (`options`) and a started runtime (`onError`);
   * runs one orchestration, then stops the server, so the storage's
   * connections fail. `restart()` brings the server back on the same port.
   */
  async function runThenStopServer(options: Omit<RedisStorageOptions, 'url' | 'client'>, onError?: ErrorHandler) {
    // Our own directory, so the restarted server (same port, same AOF) is the same store.
    const dir = mkdtempSync(join(tmpdir(), 'reprise-on-error-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    let server: RedisServer = await startRedisServer({ binary, dir });
    cleanups.push(() => server.stop());
    const storage = redisStorage({ url: server.url, ...options } as RedisStorageOptions);
    const runtime: Runtime = createRuntime({ storage, taskHub: 'on-error', ...definitions, ...(onError && { onError }) });
    let down = false;
    const restart = async () => {
      if (!down) return;
      server = await startRedisServer({ binary, port: server.port, dir });
      down = false;
    };
    // Closed with the server up: commands queued for a server that stays away would keep close() waiting.
    cleanups.push(async () => {
      await restart();
      await runtime.close();
    });
    await runtime.start();
    const id = await runtime.client.startNew('Twice', { input: 21 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(42);
    await server.stop('SIGKILL');
    down = true;
    return { runtime, restart };
  }

  it('a server stopped while a runtime runs reaches onError as a StorageError; nothing is printed', { timeout: 60_000 }, async () => {
    const consoleError = vi.spyOn(console, 'error');
    const consoleWarn = vi.spyOn(console, 'warn');
    const received: unknown[] = [];
    // One handler for the runtime and the storage: the point of one error channel.
    const onError: ErrorHandler = (error) => received.push(error);
    const { runtime, restart } = await runThenStopServer({ onError }, onError);

    await until(() => received.some((e) => e instanceof StorageError), 'a StorageError');
    const error = received.find((e) => e instanceof StorageError) as StorageError;
    expect(isRepriseError(error, 'STORAGE')).toBe(true);
    expect(error.message).toMatch(/^Redis connection error: /);
    expect(error.cause).toBeInstanceOf(Error);

    // The runtime carries on once the server is back.
    await restart();
    const id = await runtime.client.startNew('Twice', { input: 4 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 })).output).toBe(8);
    expect(consoleError).not.toHaveBeenCalled();
    expect(consoleWarn).not.toHaveBeenCalled();
  });

  it("without onError, connection errors go to console.error with the '[reprise/redis]' prefix", { timeout: 60_000 }, async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { restart } = await runThenStopServer({}, () => {});

    await until(() => consoleError.mock.calls.length > 0, 'console.error');
    expect(consoleError.mock.calls[0]![0]).toBe('[reprise/redis]');
    expect(consoleError.mock.calls[0]![1]).toBeInstanceOf(StorageError);
    await restart();
  });

  it('with only `warn` (the option before onError), connection errors go to warn as messages', { timeout: 60_000 }, async () => {
    const consoleError = vi.spyOn(console, 'error');
    const warnings: string[] = [];
    const { restart } = await runThenStopServer({ warn: (message) => warnings.push(message) }, () => {});

    await until(() => warnings.length > 0, 'a warning');
    expect(warnings[0]).toMatch(/^@reprise\/redis: Redis connection error: /);
    await restart();
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('what a subscribe listener throws reaches onError; the other listeners still hear the notice', { timeout: 30_000 }, async () => {
    const server = await startRedisServer({ binary });
    cleanups.push(() => server.stop());
    const received: unknown[] = [];
    const storage: Storage = redisStorage({ url: server.url, onError: (error) => received.push(error) });
    const runtime = createRuntime({ storage, taskHub: 'listener', ...definitions });
    cleanups.push(() => runtime.close());
    await runtime.start();
    const failure = new Error('a listener bug');
    storage.subscribe('listener', () => {
      throw failure;
    });

    const id = await runtime.client.startNew('Twice', { input: 1 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(2);
    await until(() => received.length > 0, 'the listener error');
    expect(received.every((e) => e === failure)).toBe(true);
  });

  it('refuses an onError that is not a function', () => {
    expect(() => redisStorage({ url: 'redis://127.0.0.1:1', onError: 'log' as unknown as ErrorHandler })).toThrow(/onError must be a function/);
  });
});
