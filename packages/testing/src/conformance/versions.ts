/**
 * Versions (optional: `capabilities.versioning`): the store keeps an
 * instance's version, filters queries and counts by it, leases only the
 * work of versions a lock call accepts (core's `matchesVersion` rule,
 * semver precedence included), and moves an idle instance to another
 * version with `setInstanceVersion`.
 */
import { describe, expect } from 'vitest';
import type { LockOptions, Storage, VersionMatch } from '@reprise/core';
import { activity, commitFor, entityRecord, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, lockOne, sleep, startInstance } from './context.js';
import { itWithCapability } from './optional.js';

async function lockedIds(s: Storage, hub: string, version: VersionMatch | undefined, redelivered = true): Promise<string[]> {
  const options: LockOptions = { max: 100, leaseMs: LONG_LEASE, redelivered, ...(version && { version }) };
  const { items } = await s.lockInstances(hub, options);
  return items.map((i) => i.instance.instanceId).sort();
}

export function describeVersions(ctx: ConformanceContext): void {
  describe('versions', () => {
    const itVersions = itWithCapability(ctx, 'versioning');

    itVersions('keeps the version of an instance and of a sub-orchestration created by a message', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'v1', { version: '1.2.0' });
      await startInstance(s, hub, 'none');
      await s.sendMessages(hub, [message('child', ev.started(), { createIfMissing: { ...(await s.getInstance(hub, 'v1'))!, instanceId: 'child', version: '1.2.0' } })]);
      expect((await s.getInstance(hub, 'v1'))?.version).toBe('1.2.0');
      expect((await s.getInstance(hub, 'child'))?.version).toBe('1.2.0');
      expect((await s.getInstance(hub, 'none'))?.version).toBeUndefined();
    });

    itVersions('filters queries and counts by exact version; an empty version means unversioned', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'a', { version: '1.0.0' });
      await startInstance(s, hub, 'b', { version: '1.0.0' });
      await startInstance(s, hub, 'c', { version: '2.0.0' });
      await startInstance(s, hub, 'd');
      const ids = async (version: string) => (await s.queryInstances(hub, { version })).instances.map((r) => r.instanceId).sort();
      expect(await ids('1.0.0')).toEqual(['a', 'b']);
      expect(await ids('2.0.0')).toEqual(['c']);
      expect(await ids('')).toEqual(['d']);
      expect(await s.countInstances(hub, { version: '1.0.0' })).toBe(2);
      expect(await s.countInstances(hub, { version: '1.0.0', runtimeStatus: ['Pending'] })).toBe(2);
      expect(await s.countInstances(hub, { version: '3.0.0' })).toBe(0);
      // Paging with a version filter.
      const first = await s.queryInstances(hub, { version: '1.0.0', pageSize: 1 });
      expect(first.instances).toHaveLength(1);
      const second = await s.queryInstances(hub, { version: '1.0.0', pageSize: 1, continuationToken: first.continuationToken! });
      expect([...first.instances, ...second.instances].map((r) => r.instanceId).sort()).toEqual(['a', 'b']);
    });

    itVersions("'strict' leases only the instances of exactly that version; the rest wait, unleased and uncharged", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'old', { version: '1.0.0' });
      await startInstance(s, hub, 'new', { version: '2.0.0' });
      await startInstance(s, hub, 'plain');
      expect(await lockedIds(s, hub, { match: 'strict', version: '2.0.0' })).toEqual(['new']);
      expect(await lockedIds(s, hub, { match: 'strict', version: '2.0.0' })).toEqual([]);
      const left = await s.lockInstances(hub, { max: 100, leaseMs: LONG_LEASE });
      expect(left.items.map((i) => i.instance.instanceId).sort()).toEqual(['old', 'plain']);
      expect(left.items.every((i) => i.deliveries === 1)).toBe(true);
    });

    itVersions("'currentOrOlder' compares semver by precedence, other versions exactly", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const versions: Record<string, string> = { a: '1.9.0', b: '1.10.0', c: '1.10.1', d: '1.10.0-rc.1', e: '1.10.0+build.7', f: 'blue', g: '2.0.0' };
      for (const [id, version] of Object.entries(versions)) await startInstance(s, hub, id, { version });
      await startInstance(s, hub, 'plain');
      expect(await lockedIds(s, hub, { match: 'currentOrOlder', version: '1.10.0' })).toEqual(['a', 'b', 'd', 'e']);
      expect(await lockedIds(s, hub, { match: 'currentOrOlder', version: 'blue' })).toEqual(['f']);
      expect(await lockedIds(s, hub, { match: 'currentOrOlder', version: '3.0.0' })).toEqual(['c', 'g']);
      expect(await lockedIds(s, hub, undefined)).toEqual(['plain']);
    });

    itVersions('per-orchestrator versions and exempt orchestrators; entities always pass', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'pay', { name: 'Pay', version: '5.0.0' });
      await startInstance(s, hub, 'ship', { name: 'Ship', version: '5.0.0' });
      await startInstance(s, hub, 'sched', { name: 'reprise.schedule', version: '0.1.0' });
      await s.sendMessages(hub, [message('@counter@k', ev.entityOperation('add'), { createIfMissing: entityRecord('counter', 'k') })]);
      const filter: VersionMatch = { match: 'strict', version: '1.0.0', byOrchestrator: { Pay: '5.0.0' }, exempt: ['reprise.schedule'] };
      expect(await lockedIds(s, hub, filter)).toEqual(['@counter@k', 'pay', 'sched']);
    });

    itVersions('activities are leased by the version of their instance', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      for (const [id, version] of [['i1', '1.0.0'], ['i2', '2.0.0']] as const) {
        const record = await startInstance(s, hub, id, { version });
        const locked = await lockOne(s, hub, id);
        await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity(id, record.executionId, 0)] }));
      }
      const v2 = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, version: { match: 'strict', version: '2.0.0' } });
      expect(v2.items.map((a) => a.instanceId)).toEqual(['i2']);
      const again = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, version: { match: 'strict', version: '2.0.0' } });
      expect(again.items).toEqual([]);
      const v1 = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, version: { match: 'currentOrOlder', version: '1.5.0' } });
      expect(v1.items.map((a) => [a.instanceId, a.deliveries])).toEqual([['i1', 1]]);
    });

    itVersions('redelivered work of a rejected version stays unleased and uncharged, is not reported waiting, and goes to a call that accepts it', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1', { version: '1.0.0' });
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('i1', record.executionId, 0)] }));
      // Both leases run out without a commit or completion: the instance and the work item are redelivered work.
      await s.sendMessages(hub, [message('i1', ev.raised('go'))]);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: SHORT_LEASE })).items).toHaveLength(1);
      expect((await s.lockActivities(hub, { max: 10, leaseMs: SHORT_LEASE })).items).toHaveLength(1);
      await sleep(PAST_EXPIRY);
      const v2: VersionMatch = { match: 'strict', version: '2.0.0', exempt: ['reprise.schedule'] };
      for (let i = 0; i < 2; i += 1) {
        expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, version: v2 })).items).toEqual([]);
        expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false, version: v2 })).redeliveredWaiting).toBeFalsy();
        expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, version: v2 })).items).toEqual([]);
        expect((await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false, version: v2 })).redeliveredWaiting).toBeFalsy();
      }
      const v1: VersionMatch = { match: 'currentOrOlder', version: '1.5.0' };
      expect((await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, redelivered: false, version: v1 })).redeliveredWaiting).toBe(true);
      const again = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE, version: v1 });
      expect(again.items.map((i) => [i.instance.instanceId, i.deliveries])).toEqual([['i1', 2]]);
      const item = await s.lockActivities(hub, { max: 10, leaseMs: LONG_LEASE, version: v1 });
      expect(item.items.map((a) => [a.instanceId, a.deliveries])).toEqual([['i1', 2]]);
    });

    itVersions('setInstanceVersion moves an idle instance; refused while leased, at another history length, terminal or missing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1', { version: '1.0.0' });
      const locked = await lockOne(s, hub, 'i1');
      expect(await s.setInstanceVersion!(hub, 'i1', { version: '2.0.0', historyLength: 0 })).toBe(false);
      const commit = commitFor(locked, { append: [locked.messages[0]!.event] });
      await s.commitOrchestration(hub, commit);
      expect(await s.setInstanceVersion!(hub, 'i1', { version: '2.0.0', historyLength: 0 })).toBe(false);
      expect(await s.setInstanceVersion!(hub, 'i1', { version: '2.0.0', historyLength: 1 })).toBe(true);
      expect((await s.getInstance(hub, 'i1'))?.version).toBe('2.0.0');
      expect(await s.countInstances(hub, { version: '2.0.0' })).toBe(1);
      expect(await s.countInstances(hub, { version: '1.0.0' })).toBe(0);
      expect(await s.setInstanceVersion!(hub, 'missing', { version: '2.0.0', historyLength: 0 })).toBe(false);
      await startInstance(s, hub, 'done', { version: '1.0.0' });
      const d = await lockOne(s, hub, 'done');
      await s.commitOrchestration(hub, commitFor(d, { append: [d.messages[0]!.event, ev.completed()], status: 'Completed' }));
      expect(await s.setInstanceVersion!(hub, 'done', { version: '2.0.0', historyLength: 2 })).toBe(false);
      // The moved instance's work now goes to version 2.0.0.
      await s.sendMessages(hub, [message('i1', ev.raised('go'))]);
      expect(await lockedIds(s, hub, { match: 'strict', version: '1.0.0' })).toEqual([]);
      expect(await lockedIds(s, hub, { match: 'strict', version: '2.0.0' })).toEqual(['i1']);
    });
  });
}
