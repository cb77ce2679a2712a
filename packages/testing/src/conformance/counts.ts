/**
 * Counts and pages stay true through every change of a row: each count
 * equals the number of rows its filter pages through, and each paged
 * listing equals the unfiltered listing filtered in process (core's
 * `matchesQuery`). Stores that keep counters or indices beside the rows
 * (issue 20) must update them in the same change: commits that move a
 * status, continue-as-new, replacing a terminal instance, a version move,
 * cancelQueued and purge.
 */
import { describe, expect, it } from 'vitest';
import { matchesQuery } from '@reprise/core';
import type { CountQuery, InstanceRecord, Storage } from '@reprise/core';
import { T0, commitFor, entityRecord, ev, message, orchestrationRecord } from './builders.js';
import { lockAll, lockOne } from './context.js';
import type { ConformanceContext } from './context.js';

/** Every page of a query with a small page size, following tokens. */
async function listAll(s: Storage, hub: string, query: CountQuery): Promise<InstanceRecord[]> {
  const out: InstanceRecord[] = [];
  let token: string | undefined;
  do {
    const page = await s.queryInstances(hub, { ...query, pageSize: 2, ...(token !== undefined && { continuationToken: token }) });
    expect(page.instances.length).toBeLessThanOrEqual(2);
    out.push(...page.instances);
    token = page.continuationToken;
    expect(out.length).toBeLessThan(200);
  } while (token !== undefined);
  return out;
}

const FILTERS: CountQuery[] = [
  {},
  { kind: 'orchestration' },
  { kind: 'entity' },
  { runtimeStatus: ['Pending'] },
  { runtimeStatus: ['Running', 'Completed', 'Canceled'] },
  { kind: 'orchestration', runtimeStatus: ['Pending', 'Running'] },
  { namespace: 'a' },
  { namespace: '' },
  { namespace: 'a', runtimeStatus: ['Pending', 'Completed'] },
  { kind: 'orchestration', namespace: 'b', runtimeStatus: ['Running'] },
  { name: 'X' },
  { kind: 'orchestration', name: 'Y', runtimeStatus: ['Pending'] },
  { version: '1' },
  { version: '' },
  { createdFrom: T0 + 2, createdTo: T0 + 4 },
  { kind: 'orchestration', namespace: 'a', createdFrom: T0 + 1 },
  { runtimeStatus: ['Pending', 'Running'], createdTo: T0 + 3 },
  { name: 'X', createdFrom: T0 + 1, createdTo: T0 + 5 },
];

/** Counts equal pages, and pages equal the reference filter, for every filter above. */
async function expectCountsMatchPages(s: Storage, hub: string): Promise<void> {
  const everything = await listAll(s, hub, {});
  for (const query of FILTERS) {
    const expected = everything.filter((r) => matchesQuery(r, query)).map((r) => r.instanceId);
    const listed = (await listAll(s, hub, query)).map((r) => r.instanceId);
    expect({ query, listed }).toEqual({ query, listed: expected });
    expect({ query, count: await s.countInstances(hub, query) }).toEqual({ query, count: expected.length });
  }
}

export function describeCounts(ctx: ConformanceContext): void {
  describe('counts and pages after changes', () => {
    it('counts and pages follow creation, status moves, continue-as-new, replacement, version moves, cancelQueued and purge', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const create = async (record: InstanceRecord) => {
        expect(await s.createInstance(hub, record, message(record.instanceId, ev.started(record.name, record.input, record.executionId)))).toMatchObject({ created: true });
      };
      await create(orchestrationRecord('a1', { name: 'X', namespace: 'a', version: '1', createdAt: T0 + 1 }));
      await create(orchestrationRecord('a2', { name: 'Y', namespace: 'a', createdAt: T0 + 2 }));
      await create(orchestrationRecord('b1', { name: 'X', namespace: 'b', createdAt: T0 + 3 }));
      await create(orchestrationRecord('c1', { name: 'Y', createdAt: T0 + 3 }));
      await create(entityRecord('x', 'k', { createdAt: T0 + 4 }));
      await expectCountsMatchPages(s, hub);

      // Pending → Running (every row but b1, left Pending), then a1 → Completed.
      for (const [id, first] of await lockAll(s, hub)) {
        if (id === 'b1') await s.releaseInstance(hub, id, first.lockToken);
        else await s.commitOrchestration(hub, commitFor(first, { append: first.messages.map((m) => m.event) }));
      }
      await expectCountsMatchPages(s, hub);
      await s.commitOrchestration(hub, commitFor(await lockOne(s, hub, 'b1'), { status: 'Running' })); // nothing else is lockable now
      await expectCountsMatchPages(s, hub);
      await s.sendMessages(hub, [message('a1', ev.raised('go'))]);
      let locked = await lockOne(s, hub, 'a1');
      await s.commitOrchestration(hub, commitFor(locked, { status: 'Completed', instance: { output: '1' }, append: locked.messages.map((m) => m.event) }));
      await expectCountsMatchPages(s, hub);

      // Continue-as-new: the row restarts (new execution, history replaced), still counted once.
      await s.sendMessages(hub, [message('a2', ev.raised('again'))]);
      locked = await lockOne(s, hub, 'a2');
      await s.commitOrchestration(
        hub,
        commitFor(locked, { status: 'ContinuedAsNew', replace: [], instance: { executionId: 'exec-2' }, messages: [message('a2', ev.started('Y', undefined, 'exec-2'))] }),
      );
      await expectCountsMatchPages(s, hub);
      locked = await lockOne(s, hub, 'a2');
      await s.commitOrchestration(hub, commitFor(locked, { status: 'Running', append: locked.messages.map((m) => m.event) }));
      await expectCountsMatchPages(s, hub);

      // A terminal instance replaced by a new start of the same id, with another name and namespace.
      await create(orchestrationRecord('a1', { name: 'Y', namespace: 'b', createdAt: T0 + 5 }));
      await expectCountsMatchPages(s, hub);

      // A version move, where the store supports versions.
      if (s.capabilities?.versioning === true && s.setInstanceVersion) {
        const c1 = (await s.getInstance(hub, 'c1'))!;
        expect(await s.setInstanceVersion(hub, 'c1', { version: '1', historyLength: c1.historyLength })).toBe(true);
        await expectCountsMatchPages(s, hub);
      }

      // cancelQueued: a queued member becomes Canceled.
      const admission = { group: 'g', limit: 1, onFull: 'queue' as const };
      for (const id of ['g1', 'g2']) {
        const record = orchestrationRecord(id, { name: 'X', namespace: 'a', createdAt: T0 + 6, concurrency: { group: 'g', limit: 1 } });
        expect(await s.createInstance(hub, record, message(id, ev.started('X', undefined, record.executionId)), admission)).toMatchObject({ created: true });
      }
      const requested = { EventType: 'ExecutionCancelRequested' as const, Timestamp: new Date().toISOString(), Reason: '"stop"' };
      expect(await s.cancelQueued(hub, 'g2', { output: '"stop"', updatedAt: Date.now(), history: [requested], messages: [] })).toBe(true);
      await expectCountsMatchPages(s, hub);

      // Purge takes terminal rows out of counts and pages.
      expect(await s.purgeInstances(hub, { createdFrom: 0, runtimeStatus: ['Canceled'] })).toEqual({ instancesDeleted: 1 });
      await expectCountsMatchPages(s, hub);
      expect(await s.countInstances(hub, {})).toBe(6);
    });
  });
}
