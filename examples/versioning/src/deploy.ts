/**
 * A deploy of the order workflow on one SQLite file, start to end:
 * 1. version 1.0.0 takes two orders, which charge and wait for the warehouse;
 * 2. before deploying, `checkCompatibility` replays them against the new
 *    code: the unpatched fraud check breaks both, the patched one neither;
 * 3. version 1.1.0 replaces 1.0.0 (it runs its own and older instances),
 *    takes a third order, and all three ship: the old ones without the fraud
 *    check, the new one with it (and a PatchMarker in its history).
 */
import { createRuntime } from '@reprise/core';
import type { Runtime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { checkCompatibility, formatCompatibilityReport } from '@reprise/testing';
import { activities, orderV1, orderV1_1, orderV1_1Unpatched } from './workflows.js';

export interface OrderOutcome {
  instanceId: string;
  version: string | undefined;
  steps: string[];
  patchMarkers: string[];
}

export interface DeployResult {
  /** Orders in flight the unpatched 1.1.0 code would break. */
  brokenByUnpatched: string[];
  /** The same check against the patched code. */
  brokenByPatched: string[];
  orders: OrderOutcome[];
}

async function runtimeAt(path: string, version: string, Order: typeof orderV1): Promise<Runtime> {
  const runtime = createRuntime({
    storage: sqliteStorage({ path }),
    version,
    // 'currentOrOlder': the new version also runs the instances the old one left in flight.
    versioning: { match: 'currentOrOlder', onMismatch: 'leave' },
    orchestrators: { Order },
    activities,
    logger: () => {},
  });
  await runtime.start();
  return runtime;
}

async function waitForStatus(runtime: Runtime, id: string, done: (status: string | undefined, historyLength: number) => boolean): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const status = await runtime.client.getStatus(id, { showHistory: true });
    if (done(status?.runtimeStatus, status?.history?.length ?? 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`order ${id} did not get there in time`);
}

export async function deploy(path: string, log: (line: string) => void = () => {}): Promise<DeployResult> {
  // 1. Version 1.0.0 in production.
  const v1 = await runtimeAt(path, '1.0.0', orderV1);
  const old = ['A-1', 'A-2'];
  for (const id of old) await v1.client.startNew('Order', { instanceId: id, input: id });
  // Charged and waiting for 'Packed': Reserve and Charge recorded (started, 2 × scheduled + completed).
  for (const id of old) await waitForStatus(v1, id, (_, length) => length >= 5);
  await v1.close();
  log(`1.0.0 stopped with ${old.join(', ')} in flight (charged, waiting for the warehouse)`);

  // 2. The pre-deploy check, read-only, against the code about to ship.
  const storage = sqliteStorage({ path });
  await storage.open();
  const unpatched = await checkCompatibility({ storage, orchestrators: { Order: orderV1_1Unpatched } });
  log(`check against the unpatched fraud check:\n${formatCompatibilityReport(unpatched)}`);
  const patched = await checkCompatibility({ storage, orchestrators: { Order: orderV1_1 } });
  log(`check against the patched fraud check:\n${formatCompatibilityReport(patched)}`);
  await storage.close();

  // 3. Version 1.1.0 with the patch.
  const v2 = await runtimeAt(path, '1.1.0', orderV1_1);
  await v2.client.startNew('Order', { instanceId: 'B-1', input: 'B-1' });
  await waitForStatus(v2, 'B-1', (_, length) => length >= 8);
  const orders: OrderOutcome[] = [];
  for (const id of [...old, 'B-1']) {
    await v2.client.raiseEvent(id, 'Packed');
    const status = await v2.client.waitForCompletion(id, { timeoutMs: 10_000 });
    const history = (await v2.client.getStatus(id, { showHistory: true }))?.history ?? [];
    const patchMarkers = history.flatMap((event) => (event.EventType === 'PatchMarker' ? [String(event.PatchId)] : []));
    orders.push({ instanceId: id, version: status.version, steps: status.output as string[], patchMarkers });
    log(`${id} (version ${status.version}): ${(status.output as string[]).join(', ')}`);
  }
  await v2.close();
  return { brokenByUnpatched: unpatched.diverged.map((d) => d.instanceId).sort(), brokenByPatched: patched.diverged.map((d) => d.instanceId), orders };
}
