// The README's test file, verbatim (kept in sync by hand): it must pass as written.
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import fc from 'fast-check';
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { checkDeterminism, createTestRuntime, replayHistory } from '@reprise/testing';
import type { TestRuntime } from '@reprise/testing';

// The code under test (normally imported from your app).
const charge = defineActivity('Charge', async (amount: number) => `payment-${amount}`);
const ship = defineActivity('Ship', async (orderId: string) => `parcel-${orderId}`);
const order = defineOrchestrator('Order', function* (ctx: OrchestrationContext<{ id: string; amount: number }>) {
  const { id, amount } = ctx.getInput();
  if (amount >= 1000) {
    // Large orders wait for approval, at most three days.
    const approval = ctx.waitForExternalEvent<boolean>('Approved');
    const deadline = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3 * 86_400_000));
    const winner = yield* ctx.Task.any([approval, deadline]);
    if (winner !== approval || !approval.result) return 'cancelled';
    deadline.cancel();
  }
  const payment = yield* ctx.callActivity(charge, amount);
  const parcel = yield* ctx.callActivity(ship, id);
  return `${payment} ${parcel}`;
});
const registry = { orchestrators: [order], activities: [charge, ship] };

it('is deterministic', async () => {
  // Rejects with a NondeterminismDetectedError (message contains "nondeterminism") on a divergence.
  await checkDeterminism(registry, {
    orchestrator: 'Order',
    input: fc.record({ id: fc.constantFrom('A-1', 'B-2'), amount: fc.integer({ min: 1, max: 5000 }) }),
    events: { Approved: fc.boolean() },
  });
});

let rt: TestRuntime;
afterEach(() => rt?.stop());

it('cancels a large order after three days without approval, in milliseconds', async () => {
  rt = await createTestRuntime(registry);
  const status = await rt.run('Order', { input: { id: 'B-2', amount: 2000 } });
  expect(status.output).toBe('cancelled');
});

it('ships an approved large order', async () => {
  rt = await createTestRuntime(registry);
  const id = await rt.client.startNew('Order', { input: { id: 'B-3', amount: 2000 } });
  await rt.client.raiseEvent(id, 'Approved', true);
  const status = await rt.client.waitForCompletion(id, { timeoutMs: 5000 });
  expect(status.output).toBe('payment-2000 parcel-B-3');
});

it('still replays the histories of the deployed version', async () => {
  // Saved from production with:
  //   JSON.stringify((await client.getStatus(id, { showHistory: true, showHistoryOutput: true })).history)
  const history = JSON.parse(await readFile(new URL('./histories/order-B-7.json', import.meta.url), 'utf8'));
  await replayHistory(registry, 'Order', history); // rejects with a NonDeterminismError naming the first divergent action
});
