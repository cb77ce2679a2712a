/** queryInstances: every filter, ordering, paging with continuation tokens, bad tokens and page sizes. */
import { describe, expect, it } from 'vitest';
import type { InstanceQuery, InstanceRecord, Storage } from '@reprise/core';
import { T0, entityRecord, ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { rejectionOf } from './context.js';

async function create(s: Storage, hub: string, records: InstanceRecord[]): Promise<void> {
  for (const r of records) expect(await s.createInstance(hub, r, message(r.instanceId, ev.started(r.name)))).toEqual({ created: true });
}

async function ids(s: Storage, hub: string, query: InstanceQuery): Promise<string[]> {
  const page = await s.queryInstances(hub, query);
  expect(page.continuationToken).toBeUndefined();
  return page.instances.map((r) => r.instanceId);
}

/** Every page of a query, following continuation tokens (at most 100 pages). */
async function allPages(s: Storage, hub: string, query: InstanceQuery): Promise<InstanceRecord[][]> {
  const pages: InstanceRecord[][] = [];
  let token: string | undefined;
  do {
    const page = await s.queryInstances(hub, { ...query, ...(token !== undefined && { continuationToken: token }) });
    pages.push(page.instances);
    token = page.continuationToken;
    expect(pages.length).toBeLessThan(100);
  } while (token !== undefined);
  return pages;
}

const byCreatedThenId = (a: InstanceRecord, b: InstanceRecord) => a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);

export function describeQueries(ctx: ConformanceContext): void {
  describe('queryInstances', () => {
    const dataset = (): InstanceRecord[] => [
      orchestrationRecord('order-1', { name: 'OrderFlow', status: 'Running', createdAt: T0 + 1000, updatedAt: T0 + 5000 }),
      orchestrationRecord('order-2', { name: 'OrderFlow', status: 'Completed', createdAt: T0 + 2000, updatedAt: T0 + 6000 }),
      orchestrationRecord('bill-1', { name: 'Billing', status: 'Failed', createdAt: T0 + 3000, updatedAt: T0 + 7000 }),
      orchestrationRecord('bill-2', { name: 'Billing', status: 'Pending', createdAt: T0 + 4000, updatedAt: T0 + 4000 }),
      entityRecord('counter', 'a', { createdAt: T0 + 1500, updatedAt: T0 + 9000 }),
      orchestrationRecord('order-3', { name: 'OrderFlowV2', status: 'Terminated', createdAt: T0 + 5000, updatedAt: T0 + 8000 }),
    ];

    it('returns whole rows in createdAt order when no filter is given', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const records = dataset();
      await create(s, hub, records);
      const page = await s.queryInstances(hub, {});
      expect(page.continuationToken).toBeUndefined();
      expect(page.instances).toEqual([...records].sort(byCreatedThenId));
      expect(page.instances.map((r) => r.instanceId)).toEqual(['order-1', '@counter@a', 'order-2', 'bill-1', 'bill-2', 'order-3']);
    });

    it('filters by kind', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      expect(await ids(s, hub, { kind: 'entity' })).toEqual(['@counter@a']);
      expect(await ids(s, hub, { kind: 'orchestration' })).toEqual(['order-1', 'order-2', 'bill-1', 'bill-2', 'order-3']);
    });

    it('filters by a list of runtime statuses', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      expect(await ids(s, hub, { runtimeStatus: ['Completed', 'Failed'] })).toEqual(['order-2', 'bill-1']);
      expect(await ids(s, hub, { runtimeStatus: ['Pending'] })).toEqual(['bill-2']);
      expect(await ids(s, hub, { runtimeStatus: ['Suspended'] })).toEqual([]);
    });

    it('filters by createdFrom / createdTo, both inclusive', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      expect(await ids(s, hub, { createdFrom: T0 + 2000, createdTo: T0 + 4000 })).toEqual(['order-2', 'bill-1', 'bill-2']);
      expect(await ids(s, hub, { createdFrom: T0 + 2001 })).toEqual(['bill-1', 'bill-2', 'order-3']);
      expect(await ids(s, hub, { createdTo: T0 + 1500 })).toEqual(['order-1', '@counter@a']);
    });

    it('filters by updatedFrom / updatedTo, both inclusive', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      expect(await ids(s, hub, { updatedFrom: T0 + 6000, updatedTo: T0 + 8000 })).toEqual(['order-2', 'bill-1', 'order-3']);
      expect(await ids(s, hub, { updatedFrom: T0 + 8000 })).toEqual(['@counter@a', 'order-3']);
      expect(await ids(s, hub, { updatedTo: T0 + 4999 })).toEqual(['bill-2']);
    });

    it('filters by exact name and by instance id prefix, and combines filters', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      expect(await ids(s, hub, { name: 'OrderFlow' })).toEqual(['order-1', 'order-2']);
      expect(await ids(s, hub, { name: 'counter' })).toEqual(['@counter@a']);
      expect(await ids(s, hub, { instanceIdPrefix: 'order-' })).toEqual(['order-1', 'order-2', 'order-3']);
      expect(await ids(s, hub, { instanceIdPrefix: 'bill-2' })).toEqual(['bill-2']);
      expect(await ids(s, hub, { kind: 'orchestration', runtimeStatus: ['Running', 'Completed', 'Terminated'], instanceIdPrefix: 'order', createdTo: T0 + 4000 })).toEqual(['order-1', 'order-2']);
    });

    it('treats the id prefix literally and case-sensitively (no LIKE or glob wildcards)', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const idsToCreate = ['a%b-1', 'a_b-2', 'axb-3', 'a*c', 'a?c', 'a[1]', 'a\\d', 'A%b'];
      await create(s, hub, idsToCreate.map((id, i) => orchestrationRecord(id, { createdAt: T0 + i })));
      expect(await ids(s, hub, { instanceIdPrefix: 'a%' })).toEqual(['a%b-1']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a_' })).toEqual(['a_b-2']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a*' })).toEqual(['a*c']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a?' })).toEqual(['a?c']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a[' })).toEqual(['a[1]']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a\\' })).toEqual(['a\\d']);
      expect(await ids(s, hub, { instanceIdPrefix: 'a' })).toEqual(idsToCreate.slice(0, 7));
    });

    it('pages through 25 instances with pageSize 7: no duplicates, no gaps, ordered by createdAt then instanceId', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      // Groups of three share a createdAt; id order differs from creation order.
      const records = Array.from({ length: 25 }, (_, i) =>
        orchestrationRecord(`p-${String((i * 7) % 25).padStart(2, '0')}`, { createdAt: T0 + Math.floor(i / 3) * 1000, status: i % 2 ? 'Completed' : 'Running' }),
      );
      const shuffled = [...records].sort((a, b) => (a.executionId < b.executionId ? -1 : 1));
      await create(s, hub, shuffled);
      const expected = [...records].sort(byCreatedThenId);

      const pages = await allPages(s, hub, { pageSize: 7 });
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
      expect(pages.flat()).toEqual(expected);

      const completed = await allPages(s, hub, { pageSize: 4, runtimeStatus: ['Completed'] });
      expect(completed.flat().map((r) => r.instanceId)).toEqual(expected.filter((r) => r.status === 'Completed').map((r) => r.instanceId));
      expect(completed.every((p) => p.length <= 4)).toBe(true);
    });

    it('rejects a continuation token it did not produce with INVALID_ARGUMENT', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      for (const token of ['garbage!!', 'bm90IGpzb24', Buffer.from('{"a":1}').toString('base64url')]) {
        const error = await rejectionOf(s.queryInstances(hub, { continuationToken: token }));
        expect(error.code).toBe('INVALID_ARGUMENT');
      }
    });

    // pageSize and the token reach the store as callers wrote them (an HTTP query string): the store checks them.
    it('rejects a pageSize that is not a positive integer with INVALID_ARGUMENT, and caps a large one', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await create(s, hub, dataset());
      for (const pageSize of [0, -1, 1.5, Number.NaN]) {
        const error = await rejectionOf(s.queryInstances(hub, { pageSize }));
        expect(error.code).toBe('INVALID_ARGUMENT');
      }
      expect((await s.queryInstances(hub, { pageSize: 1_000_000 })).instances).toHaveLength(dataset().length);
    });
  });
}
