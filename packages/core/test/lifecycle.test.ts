/**
 * runtime.close() = stop() + close the storage the runtime was given (issue
 * 12, defect 6: a process on Redis never exited after `await runtime.stop()`
 * because nothing closed the storage's connections). stop() alone leaves the
 * storage open, so a stopped runtime can start again.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

/** A memory storage that counts close() calls and live subscriptions. */
function countingStorage() {
  const inner = memoryStorage();
  const counts = { closes: 0, subscriptions: 0 };
  const storage: Storage = {
    ...inner,
    close: async () => {
      counts.closes++;
      await inner.close();
    },
    subscribe: (hub, listener) => {
      counts.subscriptions++;
      const unsubscribe = inner.subscribe(hub, listener);
      return () => {
        counts.subscriptions--;
        unsubscribe();
      };
    },
  };
  return { storage, counts };
}

const definitions = {
  logger: () => {},
  activities: { Double: (x: number) => x * 2 },
  orchestrators: {
    Twice: function* (ctx: { getInput(): number; callActivity(name: string, input: unknown): unknown }): Generator<unknown, number, number> {
      return yield ctx.callActivity('Double', ctx.getInput());
    },
  },
};

describe('runtime lifecycle', () => {
  it('stop() leaves the storage open; close() stops and closes it', async () => {
    const { storage, counts } = countingStorage();
    const runtime = createRuntime({ storage, ...definitions });
    await runtime.start();
    const id = await runtime.client.startNew('Twice', { input: 4 });
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(8);

    await runtime.stop();
    expect(counts.closes).toBe(0);
    await runtime.start();
    expect(runtime.isRunning).toBe(true);

    await runtime.close();
    expect(runtime.isRunning).toBe(false);
    expect(counts.closes).toBe(1);
    expect(counts.subscriptions).toBe(0);
    await runtime.close(); // idempotent: the storage's close() is too
    expect(runtime.isRunning).toBe(false);
  });

  it('close() of a runtime whose client alone was used drops its subscription and closes the storage', async () => {
    const { storage, counts } = countingStorage();
    const runtime = createRuntime({ storage, ...definitions });
    const id = await runtime.client.startNew('Twice', { input: 1 });
    expect((await runtime.client.getStatus(id))?.runtimeStatus).toBe('Pending');
    expect(counts.subscriptions).toBe(1);

    await runtime.close();
    expect(counts.subscriptions).toBe(0);
    expect(counts.closes).toBe(1);
  });
});
