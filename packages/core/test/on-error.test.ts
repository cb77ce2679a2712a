/**
 * RuntimeOptions.onError (issue 13, point 6): the errors no caller waits for
 * (a failed storage call of a work loop, say) go to the one handler given,
 * and nothing else is printed; without a handler they are logged with
 * console.error('[reprise]', ...) as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, StorageError, createRuntime } from '@reprise/core';
import type { RuntimeOptions, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

/** A memory storage whose first `failures` lockInstances calls fail with a StorageError. */
function flakyLocks(failures = 1): { storage: Storage; thrown: StorageError[] } {
  const inner = memoryStorage();
  const thrown: StorageError[] = [];
  const storage: Storage = {
    ...inner,
    lockInstances: async (hub, options) => {
      if (thrown.length < failures) {
        const error = new StorageError('the store is briefly unreachable');
        thrown.push(error);
        throw error;
      }
      return inner.lockInstances(hub, options);
    },
  };
  return { storage, thrown };
}

const definitions = {
  activities: { Double: (x: number) => x * 2 },
  orchestrators: {
    Twice: function* (ctx: { getInput(): number; callActivity(name: string, input: unknown): unknown }): Generator<unknown, number, number> {
      return yield ctx.callActivity('Double', ctx.getInput());
    },
  },
} satisfies Omit<RuntimeOptions, 'storage'>;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RuntimeOptions.onError', () => {
  it('receives the error of a failing storage call, and nothing goes to console.error', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { storage, thrown } = flakyLocks();
    const received: unknown[] = [];
    const runtime = await startRuntime({ ...definitions, storage, onError: (error) => received.push(error) });

    const id = await runtime.client.startNew('Twice', { input: 21 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(42);

    expect(thrown).toHaveLength(1);
    expect(received).toEqual([thrown[0]]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it("defaults to console.error with the '[reprise]' prefix", async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { storage, thrown } = flakyLocks();
    const runtime = await startRuntime({ ...definitions, storage });

    const id = await runtime.client.startNew('Twice', { input: 2 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(4);

    expect(consoleError).toHaveBeenCalledWith('[reprise]', thrown[0]);
  });

  it('a handler that throws does not stop the work loops', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { storage, thrown } = flakyLocks(3);
    const handlerFailure = new Error('the alerting service is down too');
    const runtime = await startRuntime({
      ...definitions,
      storage,
      onError: () => {
        throw handlerFailure;
      },
    });

    const id = await runtime.client.startNew('Twice', { input: 5 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(10);

    expect(thrown).toHaveLength(3);
    expect(consoleError).toHaveBeenCalledTimes(3);
    expect(consoleError).toHaveBeenCalledWith('[reprise] onError threw', handlerFailure, 'while handling', thrown[0]);
  });

  it('refuses an onError that is not a function', () => {
    const options = { ...definitions, storage: memoryStorage(), onError: 'log it' } as unknown as RuntimeOptions;
    expect(() => createRuntime(options)).toThrow(InvalidArgumentError);
  });
});
