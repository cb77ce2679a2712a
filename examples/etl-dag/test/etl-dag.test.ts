// The example's workflow on a real SQLite file: its output, and its steps with
// the dependencies the DAG declares.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { dailyEtl, formatSteps, registry } from '../src/etl.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-etl-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('runs the DAG on SQLite: sources in parallel, then join, then load and report; steps name their dependencies', async () => {
  const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'etl.db') }), ...registry, logger: () => {} });
  await runtime.start();
  try {
    const id = await runtime.client.startNew(dailyEtl, { input: { day: '2024-06-01' } });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ LOAD: 3, REPORT: '2024-06-01: 2 of 3 customers ordered' });
    const steps = (await runtime.client.getSteps(id))!;
    expect(steps.map((s) => [s.name, s.status, s.previous])).toEqual([
      ['etl.ExtractCustomers', 'Succeeded', []],
      ['etl.ExtractOrders', 'Succeeded', []],
      ['etl.Join', 'Succeeded', [0, 1]],
      ['etl.Load', 'Succeeded', [2]],
      ['etl.Report', 'Succeeded', [2]],
    ]);
    expect(steps[3]!.progress).toMatchObject({ percent: 100, message: 'loaded 3 of 3 rows' });
    expect(formatSteps(steps)[3]).toContain('100% (loaded 3 of 3 rows)');
  } finally {
    await runtime.close();
  }
});
