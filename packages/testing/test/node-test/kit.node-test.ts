// The kit under node:test, with no vitest anywhere (not part of the vitest run):
//   node --conditions=@reprise/source --import tsx --test test/node-test/kit.node-test.ts
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OrchestrationContext } from '@reprise/core';
import { NondeterminismDetectedError, checkDeterminism, createTestRuntime, replayHistory } from '@reprise/testing';
import type { TestRuntime } from '@reprise/testing';

const activities = { Add: async (n: number) => n + 1 };
const orchestrators = {
  Wait: function* (ctx: OrchestrationContext) {
    const n: number = yield ctx.callActivity('Add', 1);
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 30 * 86_400_000));
    return n;
  },
  Coin: function* (ctx: OrchestrationContext) {
    yield ctx.callActivity('Add', Math.random() > 0.5 ? 1 : 2);
    return 'flipped';
  },
};
const runtimes: TestRuntime[] = [];
after(() => Promise.all(runtimes.map((rt) => rt.stop())));

test('checkDeterminism passes a deterministic orchestrator and catches Math.random', async () => {
  await checkDeterminism({ orchestrators, activities }, { orchestrator: 'Wait' });
  await assert.rejects(checkDeterminism({ orchestrators, activities }, { orchestrator: 'Coin' }), (e: unknown) => e instanceof NondeterminismDetectedError && /nondeterminism/.test(e.message));
});

test('createTestRuntime skips a 30-day timer and replayHistory accepts what it recorded', async () => {
  const rt = await createTestRuntime({ orchestrators, activities });
  runtimes.push(rt);
  const t0 = performance.now();
  const status = await rt.run('Wait');
  assert.equal(status.output, 2);
  assert.ok(performance.now() - t0 < 1000);
  const full = await rt.client.getStatus(status.instanceId, { showHistory: true, showHistoryOutput: true });
  const summary = await replayHistory({ orchestrators, activities }, 'Wait', full!);
  assert.equal(summary.status, 'completed');
});
