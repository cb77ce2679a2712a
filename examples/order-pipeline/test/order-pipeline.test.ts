import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkDeterminism, createTestRuntime, replayHistory } from '@reprise/testing';
import type { TestRuntime } from '@reprise/testing';
import { APPROVAL_THRESHOLD, orderPipeline, orderTotal, registry } from '../src/pipeline.js';
import type { Order } from '../src/pipeline.js';

const DAY = 86_400_000;
const small: Order = { id: 'S-1', customer: 'ann', lines: [{ sku: 'pen', quantity: 3, unitPrice: 2 }] };
const large: Order = { id: 'L-1', customer: 'bo', lines: [{ sku: 'desk', quantity: 4, unitPrice: 450 }] };

const runtimes: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});
async function testRuntime(options?: Parameters<typeof createTestRuntime>[1]): Promise<TestRuntime> {
  const rt = await createTestRuntime(registry, options);
  runtimes.push(rt);
  return rt;
}

describe('OrderPipeline', () => {
  it('is deterministic under generated orders, results, failures, approvals, timers and crashes', async () => {
    const line = fc.record({ sku: fc.constantFrom('pen', 'desk', 'lamp'), quantity: fc.integer({ min: 0, max: 4 }), unitPrice: fc.integer({ min: 1, max: 700 }) });
    const order = fc.record({ id: fc.constantFrom('A-1', 'B-2'), customer: fc.constantFrom('ann', 'bo'), lines: fc.array(line, { maxLength: 3 }) });
    const result = await checkDeterminism(registry, {
      orchestrator: 'OrderPipeline',
      input: order,
      events: { ManagerApproval: fc.record({ approved: fc.boolean(), by: fc.constantFrom('carol', 'dan') }) },
    });
    expect(result.numRuns).toBe(100);
  });

  it('ships a small order once its cooling-off hour has passed', async () => {
    const rt = await testRuntime();
    const start = rt.clock.now();
    const status = await rt.run(orderPipeline, { input: small });
    expect(status.output).toMatchObject({ status: 'shipped', parcels: ['parcel-S-1-pen'] });
    expect(rt.clock.now() - start).toBe(3_600_000);
  });

  it('gives up on a large order after three days without approval, in milliseconds', async () => {
    expect(orderTotal(large)).toBeGreaterThanOrEqual(APPROVAL_THRESHOLD);
    const rt = await testRuntime();
    const t0 = performance.now();
    const status = await rt.run(orderPipeline, { input: large });
    expect(status.output).toEqual({ status: 'approval timed out' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('ships a large order a manager approves on the second day', async () => {
    const rt = await testRuntime({ autoSkip: false });
    const id = await rt.client.startNew(orderPipeline, { input: large });
    await rt.waitForIdle();
    expect((await rt.client.getStatus(id))?.customStatus).toBe('awaiting approval');
    await rt.clock.advance(1.5 * DAY);
    await rt.client.raiseEvent(id, 'ManagerApproval', { approved: true, by: 'carol' });
    rt.clock.autoSkip = true; // skip the cooling-off hour
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toMatchObject({ status: 'shipped' });
  });

  it('still replays the history recorded by the deployed version (run this before deploying)', async () => {
    const history = JSON.parse(await readFile(new URL('./histories/large-order-approved.json', import.meta.url), 'utf8'));
    const summary = await replayHistory(registry, 'OrderPipeline', history);
    expect(summary).toMatchObject({ recordedStatus: 'completed', status: 'completed', output: { status: 'shipped' } });
  });
});
