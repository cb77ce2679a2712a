// SQLite judges time by each process's clock (see the README's "Clocks"). A worker whose clock
// jumps ahead takes over a lease that is still live for its holder; fencing must then refuse the
// old holder's commit, so no step is ever committed twice. Guards issue 12, item 9.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLostError, systemClock } from '@reprise/core';
import type { Clock, HistoryEvent, LockedInstance, OrchestrationCommit } from '@reprise/core';
import { commitFor, ev, startInstance } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-clocks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const ahead: Clock = { ...systemClock, now: () => Date.now() + HOUR };

/** The commit of `locked`'s messages and one more event. */
function commitOf(locked: LockedInstance, event: HistoryEvent): OrchestrationCommit {
  return commitFor(locked, { append: [...locked.messages.map((m) => m.event), event] });
}

describe('clocks', () => {
  it('a lease taken over by a worker whose clock jumped ahead fences out the old holder: one commit, never two', async () => {
    const path = join(dir, 'clocks.db');
    const honest = sqliteStorage({ path });
    const skewed = sqliteStorage({ path, clock: ahead });
    await Promise.all([honest.open(), skewed.open()]);
    try {
      await startInstance(honest, 'hub', 'i1');
      const [held] = (await honest.lockInstances('hub', { max: 10, leaseMs: 60_000 })).items;
      expect(held).toBeDefined();

      // To the skewed worker the live lease looks an hour old: it takes the instance (as redelivered work).
      const [stolen] = (await skewed.lockInstances('hub', { max: 10, leaseMs: 60_000 })).items;
      expect(stolen?.instance.instanceId).toBe('i1');
      expect(stolen!.deliveries).toBe(2);

      const marker = (who: string): HistoryEvent => ev.raised(who);
      await expect(honest.commitOrchestration('hub', commitOf(held!, marker('honest')))).rejects.toBeInstanceOf(LeaseLostError);
      expect(await honest.renewLeases('hub', { instances: [{ instanceId: 'i1', lockToken: held!.lockToken }], activities: [] }, 60_000)).toEqual({
        lostInstances: [held!.lockToken],
        lostActivities: [],
        canceledActivities: [],
      });
      await skewed.commitOrchestration('hub', commitOf(stolen!, marker('skewed')));

      const history = await honest.getHistory('hub', 'i1');
      expect(history.map((e) => (e.EventType === 'EventRaised' ? e.Name : e.EventType))).toEqual(['ExecutionStarted', 'skewed']);
      expect((await honest.getInstance('hub', 'i1'))!.historyLength).toBe(2);
    } finally {
      await Promise.all([honest.close(), skewed.close()]);
    }
  });
});
