/**
 * Golden histories from a real SQLite store: the deploy's three orders are
 * exported to files, then replayed against the shipped code (clean), the
 * unconditional fraud check (every file diverges, each naming its file) and
 * the old code (only the order that took the patch diverges).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NonDeterminismError } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { exportHistories, replayHistories } from '@reprise/testing';
import { deploy } from '../src/deploy.js';
import { orderV1, orderV1_1, orderV1_1Unpatched } from '../src/workflows.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-example-golden-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('exports real histories and replays them: clean on the same code, the divergence on changed code', async () => {
  const path = join(dir, 'orders.db');
  await deploy(path);
  const golden = join(dir, 'golden');
  const storage = sqliteStorage({ path });
  await storage.open();
  try {
    const written = await exportHistories({ storage, dir: golden });
    expect(written.map((file) => file.slice(golden.length + 1)).sort()).toEqual(['A-1.json', 'A-2.json', 'B-1.json']);
  } finally {
    await storage.close();
  }
  expect(readdirSync(golden).sort()).toEqual(['A-1.json', 'A-2.json', 'B-1.json']);
  expect(JSON.parse(readFileSync(join(golden, 'B-1.json'), 'utf8'))).toMatchObject({ instanceId: 'B-1', name: 'Order', version: '1.1.0' });

  const same = await replayHistories(golden, { Order: orderV1_1 });
  expect(same.failed).toEqual([]);
  expect(same.passed.map((p) => [p.summary.instanceId, p.summary.status, p.summary.output])).toEqual([
    ['A-1', 'completed', ['reserved A-1', 'charged A-1', 'shipped A-1']],
    ['A-2', 'completed', ['reserved A-2', 'charged A-2', 'shipped A-2']],
    ['B-1', 'completed', ['reserved B-1', 'fraud-checked B-1', 'charged B-1', 'shipped B-1']],
  ]);

  const unpatched = await replayHistories(golden, { Order: orderV1_1Unpatched }, { collect: true });
  expect(unpatched.passed).toEqual([]);
  const divergences = unpatched.failed.map(({ file, error }) => [file.slice(golden.length + 1), (error as NonDeterminismError).expected, (error as NonDeterminismError).actual]);
  expect(divergences).toEqual([
    ['A-1.json', "callActivity('Charge') #1", "callActivity('FraudCheck') #1"],
    ['A-2.json', "callActivity('Charge') #1", "callActivity('FraudCheck') #1"],
    ['B-1.json', "patched('fraud-check') #1", "callActivity('FraudCheck') #1"],
  ]);
  // Without collect: the first divergence, naming its file.
  const first = await replayHistories(golden, { Order: orderV1_1Unpatched }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(first).toBeInstanceOf(NonDeterminismError);
  expect((first as Error).message).toContain(join(golden, 'A-1.json'));

  // The old code: the orders recorded without the patch replay, the one that took it does not.
  const old = await replayHistories(golden, { Order: orderV1 }, { collect: true });
  expect(old.passed.map((p) => p.summary.instanceId)).toEqual(['A-1', 'A-2']);
  expect(old.failed.map((f) => f.file.slice(golden.length + 1))).toEqual(['B-1.json']);
});
