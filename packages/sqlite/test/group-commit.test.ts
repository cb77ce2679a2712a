// Group commit and busy handling: what this adapter adds on top of the contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockedInstance, OrchestrationCommit, Storage } from '@reprise/core';
import { activity, commitFor, ev, startInstance } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';

let dir: string;
let path: string;
let storage: Storage;
const hub = 'gc';

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-gc-'));
  path = join(dir, 'gc.db');
  storage = sqliteStorage({ path, busyTimeoutMs: 50 });
  await storage.open();
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startAndLock(count: number): Promise<LockedInstance[]> {
  await Promise.all(Array.from({ length: count }, (_, i) => startInstance(storage, hub, `i${i}`)));
  const { items } = await storage.lockInstances(hub, { max: count, leaseMs: 60_000 });
  expect(items).toHaveLength(count);
  return items.sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId, 'en', { numeric: true }));
}

const commitOf = (locked: LockedInstance, lockToken = locked.lockToken): OrchestrationCommit =>
  commitFor(locked, { append: locked.messages.map((m) => m.event), activities: [activity(locked.instance.instanceId, locked.instance.executionId, 0, 'Step')], lockToken });

describe('group commit', () => {
  it('a refused commit in a batch fails alone: the others commit, it changes nothing', async () => {
    const locks = await startAndLock(10);
    const results = await Promise.allSettled(locks.map((l, i) => storage.commitOrchestration(hub, commitOf(l, i === 4 ? 'stale-token' : l.lockToken))));
    expect(results.map((r) => r.status)).toEqual(results.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    expect((results[4] as PromiseRejectedResult).reason).toMatchObject({ name: 'LeaseLostError', code: 'LEASE_LOST' });

    for (const [i, l] of locks.entries()) {
      const id = l.instance.instanceId;
      expect((await storage.getInstance(hub, id))?.status).toBe(i === 4 ? 'Pending' : 'Running');
      expect(await storage.getHistory(hub, id)).toHaveLength(i === 4 ? 0 : 1);
    }
    const activities = await storage.lockActivities(hub, { max: 100, leaseMs: 60_000 });
    expect(activities.items.map((a) => a.instanceId).sort()).toEqual(locks.filter((_, i) => i !== 4).map((l) => l.instance.instanceId).sort());
    // The refused instance still holds its message and lease: its real holder commits.
    await storage.commitOrchestration(hub, commitOf(locks[4]!));
    expect(await storage.getHistory(hub, 'i4')).toHaveLength(1);
  });

  it('operations of one tick commit together, before any caller hears back', async () => {
    await startAndLock(1);
    const sends = Array.from({ length: 50 }, (_, n) =>
      storage.sendMessages(hub, [{ instanceId: 'i0', event: ev.raised(`e${n}`) }]),
    );
    await sends[0];
    const other = new Database(path, { readonly: true });
    try {
      expect(other.prepare("SELECT count(*) FROM messages WHERE hub = ? AND event LIKE '%EventRaised%'").pluck().get(hub)).toBe(50);
    } finally {
      other.close();
    }
    await Promise.all(sends);
  });

  it('waits out another connection holding the write lock: no SQLITE_BUSY reaches the caller', async () => {
    const [locked] = await startAndLock(1);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 400);
    try {
      const started = Date.now();
      await storage.commitOrchestration(hub, commitOf(locked!));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect((await storage.getInstance(hub, 'i0'))?.status).toBe('Running');
    } finally {
      clearTimeout(release);
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
  });
});
