// Run the daily ETL workflow on an SQLite file and print its steps and log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { dailyEtl, formatSteps, registry } from './etl.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-etl-'));
const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'etl.db') }), ...registry, logger: () => {} });
await runtime.start();
try {
  const id = await runtime.client.startNew(dailyEtl, { input: { day: '2024-06-01' } });
  const status = await runtime.client.waitForCompletion(id, { timeoutMs: 30_000 });
  console.log(`${id}: ${status.runtimeStatus}`, status.output);
  for (const line of formatSteps((await runtime.client.getSteps(id)) ?? [])) console.log(line);
  for (const entry of await runtime.client.getLogs(id)) console.log(`  log #${entry.sequence ?? '-'} ${entry.message}`);
} finally {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
}
