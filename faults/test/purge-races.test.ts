/**
 * Purge races, between processes: concurrent purges of the same instances
 * count each deletion once; purges racing the instances' completion delete
 * each exactly once, and never leave part of an instance behind (no row,
 * history, inbox, work item, log or key survives a counted deletion).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startChild, startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import type { StoreUnderTest } from './support/stores.js';
import { settle, sleep, until } from './support/wait.js';

const HUB = 'purge';

interface PurgeResult {
  deleted: number;
  calls: number;
  errors: string[];
}

/** What is left of these instances in the store, read below the Storage API. */
async function leftovers(store: StoreUnderTest, ids: string[]): Promise<number> {
  if (store.kind === 'sqlite') {
    const db = new Database(store.target, { readonly: true });
    try {
      let rows = 0;
      for (const table of ['instances', 'history', 'messages', 'activities', 'logs']) {
        const count = db.prepare(`SELECT count(*) FROM ${table} WHERE hub = ? AND instance_id IN (${ids.map(() => '?').join(',')})`).pluck();
        rows += count.get(HUB, ...ids) as number;
      }
      return rows;
    } finally {
      db.close();
    }
  }
  const redis = new Redis(store.target);
  try {
    const keys = await redis.keys(`reprise:{${HUB}}:*`);
    return keys.filter((key) => ids.some((id) => key.endsWith(`:${id}`) || key.includes(`:${id}:`))).length;
  } finally {
    redis.disconnect();
  }
}

/** Starts one purger process per order; `go()` hands the orders out at once and resolves with their results. */
async function purgers(store: StoreUnderTest, orders: Array<{ mode: string; ids: string[]; deadlineMs: number }>) {
  const children = await Promise.all(orders.map((_, i) => startChild('purger.ts', `p${i}`, { ...store.env, FAULT_HUB: HUB })));
  return {
    go(): Promise<PurgeResult[]> {
      const done = children.map((c) => c.next<PurgeResult>('done', 60_000));
      children.forEach((c, i) => c.send(orders[i]));
      return Promise.all(done);
    },
  };
}

describe('purge races', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: four concurrent purges of the same instances count each deletion once`, { timeout: 60_000 }, async () => {
      const store = await openStore(kind);
      const runtime = clientRuntime(store, HUB);
      await runtime.start();
      const ids = Array.from({ length: 30 }, (_, i) => `done-${i}`);
      await Promise.all(ids.map((instanceId, i) => runtime.client.startNew('Steps', { instanceId, input: { seed: i, steps: 1, ms: 0 } satisfies StepsInput })));
      const unfinished = await settle(runtime.client, ids, 30_000);
      await runtime.stop();

      const ready = await purgers(store, [
        { mode: 'ids', ids, deadlineMs: 0 },
        { mode: 'ids', ids, deadlineMs: 0 },
        { mode: 'filter', ids, deadlineMs: 0 },
        { mode: 'filter', ids, deadlineMs: 0 },
      ]);
      const results = await ready.go();
      const deleted = results.reduce((sum, r) => sum + r.deleted, 0);
      const errors = results.flatMap((r) => r.errors);
      const left = await leftovers(store, ids);

      figure(`purge-concurrent-${kind}`, { instances: ids.length, purgers: results.length, calls: results.reduce((s, r) => s + r.calls, 0), deleted, errors: errors.length, leftovers: left });
      expect(unfinished).toEqual([]);
      expect(errors).toEqual([]);
      expect(deleted).toBe(ids.length);
      expect(left).toBe(0);
    });

    it.skipIf(unavailable(kind))(`${kind}: purges racing completion: each deleted once, none half-deleted`, { timeout: 60_000 }, async () => {
      const store = await openStore(kind);
      if (kind === 'sqlite') await store.storage().open();
      const worker = await startWorker('w', { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: join(store.dir, 'ledger.jsonl') });
      const runtime = clientRuntime(store, HUB);
      const ids = Array.from({ length: 20 }, (_, i) => `race-${i}`);
      await Promise.all(ids.map((instanceId) => runtime.client.startNew('Collector', { instanceId })));
      await until(async () => (await Promise.all(ids.map((id) => runtime.client.getStatus(id)))).every((s) => s?.runtimeStatus === 'Running'), 30_000, 'every collector to run');

      // Three processes purge in a tight loop while the instances are told to finish, one by one.
      const ready = await purgers(store, [0, 1, 2].map(() => ({ mode: 'race', ids, deadlineMs: 20_000 })));
      const racing = ready.go();
      await sleep(100);
      for (const id of ids) {
        await runtime.client.raiseEvent(id, 'e', { end: true });
        await sleep(20);
      }
      const results = await racing;
      await stopWorker(worker);

      const deleted = results.reduce((sum, r) => sum + r.deleted, 0);
      const errors = results.flatMap((r) => r.errors);
      const storage = store.storage();
      let present = 0;
      for (const id of ids) if ((await storage.getInstance(HUB, id)) || (await storage.getHistory(HUB, id)).length > 0) present++;
      const left = await leftovers(store, ids);

      figure(`purge-racing-completion-${kind}`, { instances: ids.length, purgers: results.length, calls: results.reduce((s, r) => s + r.calls, 0), deleted, errors: errors.length, present, leftovers: left });
      expect(errors).toEqual([]);
      expect(deleted).toBe(ids.length);
      expect(present).toBe(0);
      expect(left).toBe(0);
    });
  }
});
