/**
 * The activity ledger: one JSON line per activity execution phase, appended
 * by the workers (fixtures/worker.ts). From it a test counts re-executions and
 * checks each is attributable: an item runs at most once on workers that
 * were never killed, paused or stopped; every further run was on a faulted
 * worker that held the item (cut short, or a zombie running it late).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LedgerRecord } from '../fixtures/workloads.js';

export interface LedgerEntry extends LedgerRecord {
  pid: number;
  worker: string;
  at: number;
}

export function readLedger(path: string): LedgerEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEntry);
}

export const itemKey = (e: { instanceId: string; seq: number }) => `${e.instanceId}#${e.seq}`;

export interface ExecutionCounts {
  /** Activity executions (starts). */
  executions: number;
  /** Distinct items executed. */
  items: number;
  /** Executions beyond the first of each item. */
  reExecutions: number;
  /** Items re-executed although an earlier execution ran on a healthy worker. */
  unattributed: string[];
}

/** Counts re-executions; `faulted` holds the pids of workers that were killed, paused or stopped. */
export function countExecutions(entries: LedgerEntry[], faulted: ReadonlySet<number>): ExecutionCounts {
  const byItem = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    if (entry.phase !== 'start') continue;
    const key = itemKey(entry);
    byItem.set(key, [...(byItem.get(key) ?? []), entry]);
  }
  let executions = 0;
  const unattributed: string[] = [];
  for (const [key, runs] of byItem) {
    executions += runs.length;
    // At most one run on a healthy worker: every other run was cut short by a fault on its worker,
    // or ran late on a paused one that had held the item (a zombie).
    if (runs.filter((run) => !faulted.has(run.pid)).length > 1) unattributed.push(key);
  }
  return { executions, items: byItem.size, reExecutions: executions - byItem.size, unattributed };
}

/** Items whose latest start has no matching 'done' on the same worker: running right now (as far as the ledger knows). */
export function inFlight(entries: LedgerEntry[], pid: number): string[] {
  const running = new Set<string>();
  for (const entry of entries) {
    if (entry.pid !== pid) continue;
    if (entry.phase === 'start') running.add(itemKey(entry));
    else running.delete(itemKey(entry));
  }
  return [...running];
}
