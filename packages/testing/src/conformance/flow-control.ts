/**
 * Flow control at the storage level: namespaces (filters, counts, purges),
 * concurrency groups (admission, queue positions, release and FIFO
 * promotion, crash of a slot holder, races), cancellation of queued
 * instances and of running work items.
 */
import { describe, expect, it } from 'vitest';
import type { Admission, InstanceRecord, Storage } from '@reprise/core';
import { T0, activity, commitFor, ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, collectNotices, eventually, lockAll, lockAllActivities, lockOne, sleep, startInstance } from './context.js';

const group = (name: string, limit: number, extra: Partial<Admission> = {}): Admission => ({ group: name, limit, onFull: 'queue', ...extra });

/** createInstance with an admission; returns the result as is. */
function admit(s: Storage, hub: string, instanceId: string, admission: Admission, overrides: Partial<InstanceRecord> = {}) {
  const { onFull: _onFull, ...settings } = admission;
  const record = orchestrationRecord(instanceId, { concurrency: settings, ...overrides });
  return s.createInstance(hub, record, message(instanceId, ev.started(record.name, record.input, record.executionId)), admission);
}

/** Locks every lockable instance and returns their ids, sorted. */
async function lockableIds(s: Storage, hub: string): Promise<string[]> {
  return [...(await lockAll(s, hub)).keys()].sort();
}

/** Runs the locked instance's first episode and ends it with `status`. */
async function finish(s: Storage, hub: string, instanceId: string, status: 'Completed' | 'Failed' | 'Terminated' | 'Canceled' | 'ContinuedAsNew' = 'Completed') {
  const locked = await lockOne(s, hub, instanceId);
  await s.commitOrchestration(hub, commitFor(locked, { status, append: locked.messages.map((m) => m.event) }));
}

export function describeFlowControl(ctx: ConformanceContext): void {
  describe('namespaces', () => {
    it('keep the namespace of each instance; the default namespace reads back as absent', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const a = await startInstance(s, hub, 'a', { namespace: 'team-a' });
      const plain = await startInstance(s, hub, 'plain');
      const empty = await startInstance(s, hub, 'empty', { namespace: '' });
      expect(await s.getInstance(hub, 'a')).toEqual(a);
      expect(await s.getInstance(hub, 'plain')).toEqual(plain);
      expect((await s.getInstance(hub, 'empty'))?.namespace ?? '').toBe('');
      expect(empty.instanceId).toBe('empty');
    });

    it('filter queries, counts and purges exactly; unfiltered calls see every namespace', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      for (let i = 0; i < 3; i++) await startInstance(s, hub, `a${i}`, { namespace: 'a', createdAt: T0 + i });
      for (let i = 0; i < 2; i++) await startInstance(s, hub, `ab${i}`, { namespace: 'ab', createdAt: T0 + 10 + i, status: 'Completed' });
      await startInstance(s, hub, 'none', { createdAt: T0 + 20, status: 'Completed' });

      const ids = async (namespace?: string) => (await s.queryInstances(hub, namespace === undefined ? {} : { namespace })).instances.map((r) => r.instanceId);
      expect(await ids('a')).toEqual(['a0', 'a1', 'a2']);
      expect(await ids('ab')).toEqual(['ab0', 'ab1']);
      expect(await ids('')).toEqual(['none']);
      expect(await ids('missing')).toEqual([]);
      expect(await ids()).toEqual(['a0', 'a1', 'a2', 'ab0', 'ab1', 'none']);

      // Pages within one namespace.
      const first = await s.queryInstances(hub, { namespace: 'a', pageSize: 2 });
      expect(first.instances.map((r) => r.instanceId)).toEqual(['a0', 'a1']);
      const second = await s.queryInstances(hub, { namespace: 'a', pageSize: 2, continuationToken: first.continuationToken! });
      expect(second.instances.map((r) => r.instanceId)).toEqual(['a2']);

      expect(await s.countInstances(hub, {})).toBe(6);
      expect(await s.countInstances(hub, { namespace: 'a' })).toBe(3);
      expect(await s.countInstances(hub, { namespace: 'ab' })).toBe(2);
      expect(await s.countInstances(hub, { namespace: '' })).toBe(1);
      expect(await s.countInstances(hub, { namespace: 'a', runtimeStatus: ['Pending'] })).toBe(3);
      expect(await s.countInstances(hub, { namespace: 'a', runtimeStatus: ['Completed'] })).toBe(0);
      expect(await s.countInstances(hub, { runtimeStatus: ['Completed'] })).toBe(3);
      expect(await s.countInstances(hub, { namespace: 'a', createdFrom: T0 + 1, createdTo: T0 + 2 })).toBe(2);
      expect(await s.countInstances(hub, { createdFrom: T0 + 10 })).toBe(3);
      expect(await s.countInstances(hub, { kind: 'entity' })).toBe(0);

      // Purge by filter honours the namespace (and stays terminal-only).
      expect(await s.purgeInstances(hub, { createdFrom: T0, namespace: 'ab' })).toEqual({ instancesDeleted: 2 });
      expect(await ids()).toEqual(['a0', 'a1', 'a2', 'none']);
      expect(await s.purgeInstances(hub, { createdFrom: T0, namespace: 'a' })).toEqual({ instancesDeleted: 0 });
      expect(await s.countInstances(hub, {})).toBe(4);
    });

    it('counts follow status changes and removals', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'x', { namespace: 'n' });
      await startInstance(s, hub, 'y', { namespace: 'n' });
      expect(await s.countInstances(hub, { namespace: 'n', runtimeStatus: ['Pending'] })).toBe(2);
      await finish(s, hub, 'x');
      expect(await s.countInstances(hub, { namespace: 'n', runtimeStatus: ['Pending'] })).toBe(1);
      expect(await s.countInstances(hub, { namespace: 'n', runtimeStatus: ['Completed'] })).toBe(1);
      await s.purgeInstances(hub, { instanceIds: ['x'] });
      expect(await s.countInstances(hub, { namespace: 'n' })).toBe(1);
      // Sub-orchestrations created by message are counted too.
      await s.sendMessages(hub, [message('child', ev.started(), { createIfMissing: orchestrationRecord('child', { namespace: 'n' }) })]);
      expect(await s.countInstances(hub, { namespace: 'n' })).toBe(2);
    });
  });

  describe('concurrency groups', () => {
    it('admit up to the limit, queue the rest in order, and hold queued starts back', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      expect(await admit(s, hub, 'r1', group('g', 2))).toEqual({ created: true });
      expect(await admit(s, hub, 'r2', group('g', 2))).toEqual({ created: true });
      expect(await admit(s, hub, 'q1', group('g', 2))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
      expect(await admit(s, hub, 'q2', group('g', 2))).toEqual({ created: true, queued: { group: 'g', position: 2 } });
      // Another group is independent.
      expect(await admit(s, hub, 'other', group('h', 1))).toEqual({ created: true });

      expect((await s.getInstance(hub, 'q1'))?.status).toBe('Pending');
      expect((await s.getInstance(hub, 'q1'))?.concurrency).toEqual({ group: 'g', limit: 2 });
      expect(await s.getQueuePosition(hub, 'q1')).toEqual({ group: 'g', position: 1 });
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 2 });
      expect(await s.getQueuePosition(hub, 'r1')).toBeUndefined();
      expect(await s.getQueuePosition(hub, 'unknown')).toBeUndefined();
      // Only admitted starts are lockable; a queued start does not count as scheduled work either.
      expect(await lockableIds(s, hub)).toEqual(['other', 'r1', 'r2']);
      const next = await s.lockInstances(hub, { max: 10, leaseMs: LONG_LEASE });
      expect(next.items).toEqual([]);
      expect(next.nextVisibleInMs === undefined || next.nextVisibleInMs > 10_000).toBe(true);
    });

    it('refuse with onFull reject or a full queue, and store nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      expect(await admit(s, hub, 'r1', group('g', 1, { maxQueued: 1 }))).toEqual({ created: true });
      expect(await admit(s, hub, 'no', group('g', 1, { onFull: 'reject' }))).toEqual({ created: false, refused: 'limit' });
      expect(await admit(s, hub, 'q1', group('g', 1, { maxQueued: 1 }))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
      expect(await admit(s, hub, 'q2', group('g', 1, { maxQueued: 1 }))).toEqual({ created: false, refused: 'queueFull' });
      for (const id of ['no', 'q2']) {
        expect(await s.getInstance(hub, id)).toBeUndefined();
        expect(await s.getHistory(hub, id)).toEqual([]);
      }
      expect(await s.countInstances(hub, {})).toBe(2);
      // maxQueued 0: never queue.
      expect(await admit(s, hub, 'z1', group('zero', 1, { maxQueued: 0 }))).toEqual({ created: true });
      expect(await admit(s, hub, 'z2', group('zero', 1, { maxQueued: 0 }))).toEqual({ created: false, refused: 'queueFull' });
    });

    it('apply the settings of the start that found the group empty, until it is empty again', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      expect(await admit(s, hub, 'a', group('g', 1))).toEqual({ created: true });
      // A later start asking for a higher limit joins under limit 1.
      expect(await admit(s, hub, 'b', group('g', 5))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
      await finish(s, hub, 'a');
      // b was promoted; the group is not empty, so limit 1 still applies.
      expect(await admit(s, hub, 'c', group('g', 5))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
      await finish(s, hub, 'b');
      await finish(s, hub, 'c');
      // Empty now: the next start's settings apply.
      expect(await admit(s, hub, 'd', group('g', 2))).toEqual({ created: true });
      expect(await admit(s, hub, 'e', group('g', 1))).toEqual({ created: true });
      expect(await admit(s, hub, 'f', group('g', 1))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
    });

    it('release the slot in the commit that makes its holder terminal and promote the oldest queued instance', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1));
      for (const id of ['q1', 'q2', 'q3']) await admit(s, hub, id, group('g', 1));
      const { notices, off } = collectNotices(s, hub);
      await finish(s, hub, 'r', 'Completed');
      try {
        await eventually(() => notices.some((n) => n.type === 'orchestration-work'), { what: 'a work notice after promotion' });
      } finally {
        off();
      }
      expect(await s.getQueuePosition(hub, 'q1')).toBeUndefined();
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 1 });
      expect(await s.getQueuePosition(hub, 'q3')).toEqual({ group: 'g', position: 2 });
      const promoted = await lockOne(s, hub, 'q1');
      expect(promoted.messages.map((m) => m.event.EventType)).toEqual(['ExecutionStarted']);
      expect(await lockableIds(s, hub)).toEqual([]);

      // ContinuedAsNew keeps the slot; a purge of a live instance changes nothing.
      await s.commitOrchestration(hub, commitFor(promoted, { status: 'ContinuedAsNew', replace: [], messages: [message('q1', ev.started())] }));
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 1 });
      expect(await lockableIds(s, hub)).toEqual(['q1']);
      expect(await s.purgeInstances(hub, { instanceIds: ['q1'] })).toEqual({ instancesDeleted: 0 });
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 1 });
    });

    it('promote in FIFO order as each holder fails, is terminated, canceled or completes', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1));
      for (let i = 0; i < 4; i++) await admit(s, hub, `q${i}`, group('g', 1));
      let holder = (await lockAll(s, hub)).get('r')!;
      const order: string[] = [];
      for (const status of ['Failed', 'Terminated', 'Canceled', 'Completed'] as const) {
        await s.commitOrchestration(hub, commitFor(holder, { status, append: holder.messages.map((m) => m.event) }));
        const locks = [...(await lockAll(s, hub)).values()];
        expect(locks).toHaveLength(1);
        holder = locks[0]!;
        order.push(holder.instance.instanceId);
      }
      expect(order).toEqual(['q0', 'q1', 'q2', 'q3']);
    });

    it('a queued instance that ends before its turn frees its place and never starts', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1));
      await admit(s, hub, 'q1', group('g', 1));
      await admit(s, hub, 'q2', group('g', 1));
      const holder = (await lockAll(s, hub)).get('r')!;
      // A terminate message reaches the queued instance (its start is held back).
      await s.sendMessages(hub, [message('q1', { EventType: 'ExecutionTerminated', Timestamp: new Date().toISOString() })]);
      const locked = await lockOne(s, hub, 'q1');
      expect(locked.messages.map((m) => m.event.EventType)).toEqual(['ExecutionTerminated']);
      await s.commitOrchestration(hub, commitFor(locked, { status: 'Terminated', append: locked.messages.map((m) => m.event) }));
      expect(await s.getQueuePosition(hub, 'q1')).toBeUndefined();
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 1 });
      // r still holds the only slot: q2 was not promoted, and q1's held start is gone.
      expect(await lockableIds(s, hub)).toEqual([]);
      await s.commitOrchestration(hub, commitFor(holder, { status: 'Completed', append: holder.messages.map((m) => m.event) }));
      expect(await lockableIds(s, hub)).toEqual(['q2']);
      expect((await s.getHistory(hub, 'q1')).map((e) => e.EventType)).toEqual(['ExecutionTerminated']);
    });

    it('a crashed slot holder keeps its slot until another worker finishes it', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1));
      await admit(s, hub, 'q', group('g', 1));
      await lockOne(s, hub, 'r', SHORT_LEASE); // the worker dies with it
      await sleep(PAST_EXPIRY);
      // The slot stays taken: q is still queued.
      expect(await s.getQueuePosition(hub, 'q')).toEqual({ group: 'g', position: 1 });
      const redelivered = await lockOne(s, hub, 'r');
      expect(redelivered.deliveries).toBe(2);
      await s.commitOrchestration(hub, commitFor(redelivered, { status: 'Completed', append: redelivered.messages.map((m) => m.event) }));
      expect(await s.getQueuePosition(hub, 'q')).toBeUndefined();
      expect(await lockableIds(s, hub)).toEqual(['q']);
    });

    it('racing starts never admit more than the limit', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => admit(s, hub, `i${i}`, group('g', 3, { onFull: 'reject' }))));
      expect(results.filter((r) => r.created)).toHaveLength(3);
      expect(results.filter((r) => !r.created && 'refused' in r && r.refused === 'limit')).toHaveLength(17);
      expect(await s.countInstances(hub, {})).toBe(3);

      const queued = await Promise.all(Array.from({ length: 10 }, (_, i) => admit(s, hub, `k${i}`, group('k', 2, { maxQueued: 5 }))));
      expect(queued.filter((r) => r.created && r.queued === undefined)).toHaveLength(2);
      const positions = queued.flatMap((r) => (r.created && r.queued ? [r.queued.position] : [])).sort((a, b) => a - b);
      expect(positions).toEqual([1, 2, 3, 4, 5]);
      expect(queued.filter((r) => !r.created)).toHaveLength(3);
    });

    it('admit sub-orchestrations created by message; they queue rather than being refused', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1, { maxQueued: 0 }));
      const child = orchestrationRecord('child', { concurrency: { group: 'g', limit: 1, maxQueued: 0 }, parentInstanceId: 'p' });
      await s.sendMessages(hub, [{ ...message('child', ev.started(), { createIfMissing: child }), admission: group('g', 1, { maxQueued: 0, onFull: 'reject' }) }]);
      expect((await s.getInstance(hub, 'child'))?.status).toBe('Pending');
      expect(await s.getQueuePosition(hub, 'child')).toEqual({ group: 'g', position: 1 });
      expect(await lockableIds(s, hub)).toEqual(['r']);
      const other = orchestrationRecord('free', { concurrency: { group: 'free', limit: 1 } });
      await s.sendMessages(hub, [{ ...message('free', ev.started(), { createIfMissing: other }), admission: group('free', 1) }]);
      expect(await s.getQueuePosition(hub, 'free')).toBeUndefined();
      expect(await lockableIds(s, hub)).toEqual(['free']);
    });

    it('a restarted id (terminal instance replaced) is admitted afresh', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'a', group('g', 1));
      await finish(s, hub, 'a');
      expect(await admit(s, hub, 'a', group('g', 1))).toEqual({ created: true });
      expect(await admit(s, hub, 'b', group('g', 1))).toEqual({ created: true, queued: { group: 'g', position: 1 } });
    });
  });

  describe('cancellation', () => {
    it('cancelQueued cancels a queued instance at once and frees its place', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await admit(s, hub, 'r', group('g', 1));
      await admit(s, hub, 'q1', group('g', 1));
      await admit(s, hub, 'q2', group('g', 1));
      const requested = { EventType: 'ExecutionCancelRequested' as const, Timestamp: new Date().toISOString(), Reason: '"why"' };
      const answer = message('parent', ev.raised('answer'));
      await startInstance(s, hub, 'parent');
      const locks = await lockAll(s, hub);
      expect([...locks.keys()].sort()).toEqual(['parent', 'r']);
      await s.commitOrchestration(hub, commitFor(locks.get('parent')!, { append: locks.get('parent')!.messages.map((m) => m.event) }));
      expect(await s.cancelQueued(hub, 'q1', { output: '"why"', updatedAt: Date.now(), history: [requested], messages: [answer] })).toBe(true);
      const row = await s.getInstance(hub, 'q1');
      expect(row).toMatchObject({ status: 'Canceled', output: '"why"', historyLength: 1 });
      expect(await s.getHistory(hub, 'q1')).toEqual([requested]);
      expect(await s.getQueuePosition(hub, 'q2')).toEqual({ group: 'g', position: 1 });
      const parent = await lockOne(s, hub, 'parent');
      expect(parent.messages.map((m) => m.event.EventType)).toEqual(['EventRaised']);

      // Not queued (admitted, terminal, unknown): false, nothing changes.
      for (const id of ['r', 'q1', 'unknown']) {
        const before = await s.getInstance(hub, id);
        expect(await s.cancelQueued(hub, id, { updatedAt: Date.now(), history: [requested], messages: [answer] })).toBe(false);
        expect(await s.getInstance(hub, id)).toEqual(before);
      }
      const holder = locks.get('r')!;
      await s.commitOrchestration(hub, commitFor(holder, { status: 'Completed', append: holder.messages.map((m) => m.event) }));
      expect(await lockableIds(s, hub)).toEqual(['q2']);
    });

    it('cancelActivities marks the instance’s existing work items: held ones are reported at renewal, others carry the mark', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i');
      const first = await lockOne(s, hub, 'i');
      await s.commitOrchestration(
        hub,
        commitFor(first, { append: first.messages.map((m) => m.event), activities: [activity('i', record.executionId, 0), activity('i', record.executionId, 1)] }),
      );
      const [held] = (await s.lockActivities(hub, { max: 1, leaseMs: LONG_LEASE })).items;
      expect(held?.canceled ?? false).toBe(false);

      await s.sendMessages(hub, [message('i', { EventType: 'ExecutionCancelRequested', Timestamp: new Date().toISOString() })]);
      const cancel = await lockOne(s, hub, 'i');
      await s.commitOrchestration(hub, {
        ...commitFor(cancel, { append: cancel.messages.map((m) => m.event), activities: [activity('i', record.executionId, 2, 'Compensate')] }),
        cancelActivities: true,
      });

      const renewed = await s.renewLeases(hub, { instances: [], activities: [{ workItemId: held!.id, lockToken: held!.lockToken }] }, LONG_LEASE);
      expect(renewed).toEqual({ lostInstances: [], lostActivities: [], canceledActivities: [held!.lockToken] });
      const rest = await lockAllActivities(s, hub);
      expect(rest.map((a) => [a.taskScheduledId, a.canceled ?? false]).sort()).toEqual([
        [1, true],
        [2, false],
      ]);
      // The mark does not stop completion: the result is still delivered.
      await s.completeActivity(hub, { workItemId: held!.id, lockToken: held!.lockToken, message: message('i', ev.taskCompleted(0)) });
    });
  });
}
