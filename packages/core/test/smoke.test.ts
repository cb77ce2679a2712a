import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

describe('smoke', () => {
  it('runs a sequence', async () => {
    const runtime = createRuntime({
      storage: memoryStorage(),
      activities: { SayHello: async (name: string) => `Hello ${name}!` },
      orchestrators: {
        HelloSequence: function* (ctx) {
          const a = yield ctx.callActivity('SayHello', 'Tokyo');
          const b = yield ctx.callActivity('SayHello', 'London');
          return [a, b];
        },
      },
    });
    await runtime.start();
    const id = await runtime.client.startNew('HelloSequence', { input: null });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual(['Hello Tokyo!', 'Hello London!']);
    const full = await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    console.log(JSON.stringify(full?.history, null, 1));
    await runtime.stop();
  });
});
