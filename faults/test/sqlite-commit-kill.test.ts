/**
 * SIGKILL inside one large SQLite commit: an episode that fans out 1,000
 * activities (20 KB of input each, so the transaction takes a while) is
 * killed while its worker holds the write lock for that commit, twice. The
 * file stays intact (integrity_check ok), the commit is all or nothing, and a
 * fresh worker then finishes the fan-out with each item scheduled once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { figure } from './support/figure.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { killWorker, startWorker, stopWorker } from './support/processes.js';
import { settle, sleep, until } from './support/wait.js';

const ITEMS = 1000;
const PAD_BYTES = 20_000;
const ACTIVITY_SLOTS = 8;
const TRIALS = 2;
const HUB = 'fanout';
const ID = 'fanout';

interface Outcome {
  integrity: string;
  scheduled: number;
  workItems: number;
  historyRows: number;
  historyLength: number;
}

function inspect(path: string): Outcome {
  const db = new Database(path, { readonly: true });
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'missing';
    const count = (sql: string) => (db.prepare(sql).pluck().get(HUB, ID) as number | undefined) ?? 0;
    return {
      integrity,
      scheduled: count(`SELECT count(*) FROM history WHERE hub = ? AND instance_id = ? AND event LIKE '%"EventType":"TaskScheduled"%'`),
      workItems: count('SELECT count(*) FROM activities WHERE hub = ? AND instance_id = ?'),
      historyRows: count('SELECT count(*) FROM history WHERE hub = ? AND instance_id = ?'),
      historyLength: count('SELECT history_length FROM instances WHERE hub = ? AND instance_id = ?'),
    };
  } finally {
    db.close();
  }
}

/** True while another connection holds the write lock (a probe with no busy wait). */
function writeLocked(db: Database.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return true;
    throw error;
  }
}

describe('SIGKILL inside a 1,000-item SQLite commit', () => {
  const openStore = useStores();

  it('integrity ok, all or none of the items, then completes once', { timeout: 120_000 }, async () => {
    const store = await openStore('sqlite');
    const ledger = join(store.dir, 'ledger.jsonl');
    const runtime = clientRuntime(store, HUB);
    await runtime.client.startNew('FanOut', { instanceId: ID, input: { n: ITEMS, padBytes: PAD_BYTES } });
    const probe = new Database(store.target, { timeout: 0 });

    const outcomes: Array<'none' | 'all' | 'partial'> = [];
    let integrityFailures = 0;
    let killsInCommit = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const mark = join(store.dir, `commit-${trial}.mark`);
      const worker = await startWorker(`w${trial}`, {
        ...store.env,
        FAULT_HUB: HUB,
        FAULT_LEDGER: ledger,
        FAULT_LEASE_MS: '1500',
        FAULT_ACTIVITIES: String(ACTIVITY_SLOTS),
        FAULT_COMMIT_MARK: mark,
        FAULT_COMMIT_MARK_MIN: String(ITEMS),
      });
      // The worker has called commitOrchestration with the 1,000 items: kill it once its transaction holds the lock.
      await until(() => existsSync(mark), 30_000, 'the fan-out commit to begin');
      const deadline = Date.now() + 3_000;
      let locked = false;
      while (!(locked = writeLocked(probe)) && Date.now() < deadline) await sleep(1);
      await killWorker(worker);
      if (locked) killsInCommit++;

      const outcome = inspect(store.target);
      if (outcome.integrity !== 'ok' || outcome.historyRows !== outcome.historyLength) integrityFailures++;
      if (outcome.scheduled === 0 && outcome.workItems === 0) outcomes.push('none');
      else if (outcome.scheduled === ITEMS && outcome.workItems >= ITEMS - ACTIVITY_SLOTS) outcomes.push('all');
      else outcomes.push('partial');
      if (outcomes.at(-1) === 'all') break; // the commit made it before the kill: nothing left to interrupt
    }
    probe.close();

    // A fresh worker finishes the fan-out.
    const last = await startWorker('last', { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1500' });
    const unfinished = await settle(runtime.client, [ID], 60_000);
    const status = await runtime.client.getStatus(ID);
    await stopWorker(last);
    const final = inspect(store.target);

    figure('sqlite-kill-in-1000-item-commit', {
      items: ITEMS,
      trials: outcomes.length,
      killsInCommit,
      none: outcomes.filter((o) => o === 'none').length,
      all: outcomes.filter((o) => o === 'all').length,
      partial: outcomes.filter((o) => o === 'partial').length,
      integrityFailures,
      finalIntegrity: final.integrity,
      finalScheduled: final.scheduled,
      status: status?.runtimeStatus ?? 'missing',
      unfinished: unfinished.length,
    });
    expect(killsInCommit).toBeGreaterThan(0);
    expect(outcomes).not.toContain('partial');
    expect(integrityFailures).toBe(0);
    expect(final.integrity).toBe('ok');
    expect(status?.runtimeStatus).toBe('Completed');
    expect(status?.output).toBe((ITEMS * (ITEMS - 1)) / 2);
    expect(final.scheduled).toBe(ITEMS);
  });
});
