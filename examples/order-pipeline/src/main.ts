// Run two orders through the pipeline on in-memory storage: a small one that
// ships, and a large one that a manager approves.
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { orderPipeline, registry } from './pipeline.js';
import type { Order } from './pipeline.js';

const runtime = createRuntime({ storage: memoryStorage(), ...registry });
await runtime.start();

const small: Order = { id: 'A-100', customer: 'ann', lines: [{ sku: 'pen', quantity: 3, unitPrice: 2 }] };
const large: Order = { id: 'A-101', customer: 'bo', lines: [{ sku: 'desk', quantity: 4, unitPrice: 450 }] };

const smallId = await runtime.client.startNew(orderPipeline, { input: small });
const largeId = await runtime.client.startNew(orderPipeline, { input: large });
// The large order waits for approval; the cooling-off hour is real time here (see the tests for skipping it).
await runtime.client.raiseEvent(largeId, 'ManagerApproval', { approved: true, by: 'carol' });
for (const id of [smallId, largeId]) {
  // Poll until the order reaches its cooling-off hour (a demo; tests use waitForCompletion with time skipping).
  for (let i = 0; i < 250; i += 1) {
    const status = await runtime.client.getStatus(id);
    if (status?.customStatus === 'cooling off' || (status && status.runtimeStatus !== 'Running' && status.runtimeStatus !== 'Pending')) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const status = await runtime.client.getStatus(id);
  console.log(`${id}: ${status?.runtimeStatus} (${String(status?.customStatus)})`);
}
console.log('Both orders are now in their one-hour cooling-off period; the tests run the whole pipeline with time skipping.');
await runtime.stop();
