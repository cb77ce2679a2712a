/**
 * What `client.explain` reads from a store beyond history: an instance's
 * pending inbox (with due times of invisible messages), the lease expiry of
 * work items (kept after a lease runs out, until the next lease), and the
 * registry of runtimes (heartbeats, stops, retention), all by the store's clock.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeRegistration } from '@reprise/core';
import { activity, commitFor, ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, lockAllActivities, lockOne, sleep, startAndRun, startInstance } from './context.js';

/** Judged by the store's clock (Redis: the server's); a wide margin for skew on one machine. */
const SKEW = 5_000;

const registration = (runtimeId: string, startedAt: number, names: Partial<RuntimeRegistration> = {}): RuntimeRegistration => ({
  runtimeId,
  orchestrators: ['Order'],
  activities: ['Charge', 'Ship'],
  entities: [],
  host: 'test-host:1',
  startedAt,
  ...names,
});

export function describeRegistry(ctx: ConformanceContext): void {
  describe('pending inbox (getMessages)', () => {
    it('lists unconsumed messages in enqueue order, with visibleAt only on those not visible yet', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      const later = Date.now() + 60_000;
      await s.sendMessages(hub, [message('i1', ev.raised('First', '"a"')), message('i1', ev.timerFired(0, later), { visibleAt: later }), message('i1', ev.raised('Second'))]);
      const pending = await s.getMessages(hub, 'i1');
      expect(pending.map((m) => m.event.EventType === 'EventRaised' ? m.event.Name : m.event.EventType)).toEqual(['First', 'TimerFired', 'Second']);
      expect(pending[0]!.visibleAt).toBeUndefined();
      expect(pending[0]!.event).toMatchObject({ EventType: 'EventRaised', Name: 'First', Input: '"a"' });
      expect(pending[1]!.visibleAt).toBe(later);
      expect(pending[2]!.visibleAt).toBeUndefined();
      expect(new Set(pending.map((m) => m.id)).size).toBe(3);
      expect(await s.getMessages(hub, 'nobody')).toEqual([]);
    });

    it('consumed messages are gone; a delayed start shows its due time', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(locked, { append: locked.messages.map((m) => m.event) }));
      expect(await s.getMessages(hub, 'i1')).toEqual([]);

      const at = Date.now() + 120_000;
      const record = { ...(await s.getInstance(hub, 'i1'))!, instanceId: 'later', status: 'Pending' as const, historyLength: 0 };
      await s.createInstance(hub, record, message('later', ev.started(record.name), { visibleAt: at }));
      const [start] = await s.getMessages(hub, 'later');
      expect(start).toMatchObject({ event: { EventType: 'ExecutionStarted' }, visibleAt: at });
    });

    it("a queued member's held start is not in its inbox", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const admission = { group: 'g', limit: 1, onFull: 'queue' as const };
      for (const id of ['a', 'b']) {
        const record = orchestrationRecord(id, { concurrency: { group: 'g', limit: 1 } });
        await s.createInstance(hub, record, message(id, ev.started(record.name)), admission);
      }
      expect(await s.getQueuePosition(hub, 'b')).toEqual({ group: 'g', position: 1 });
      expect(await s.getMessages(hub, 'b')).toEqual([]);
      expect((await s.getMessages(hub, 'a')).map((m) => m.event.EventType)).toEqual(['ExecutionStarted']);
    });
  });

  describe('lease expiry of work items', () => {
    it('leaseExpiresAt is the live lease while running, stays after the lease runs out, and is renewed by a new lease', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withShip(hub);
      const [queued] = await s.getActivityStates(hub, 'i1');
      expect(queued!.running).toBe(false);
      expect(queued!.leaseExpiresAt).toBeUndefined();

      const before = Date.now();
      const [item] = await lockAllActivities(s, hub, SHORT_LEASE);
      const [running] = await s.getActivityStates(hub, 'i1');
      expect(running!.running).toBe(true);
      expect(running!.leaseExpiresAt).toBeGreaterThan(before - SKEW);
      expect(running!.leaseExpiresAt).toBeLessThan(Date.now() + SHORT_LEASE + SKEW);

      await sleep(PAST_EXPIRY);
      const [expired] = await s.getActivityStates(hub, 'i1');
      expect(expired).toMatchObject({ workItemId: item!.id, running: false, leaseExpiresAt: running!.leaseExpiresAt });

      const [retaken] = await lockAllActivities(s, hub, LONG_LEASE);
      expect(retaken!.id).toBe(item!.id);
      const [held] = await s.getActivityStates(hub, 'i1');
      expect(held!.running).toBe(true);
      expect(held!.leaseExpiresAt).toBeGreaterThan(Date.now() + LONG_LEASE / 2);
    });

    it('a given-back item has no lease expiry', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await withShip(hub);
      const [item] = await lockAllActivities(s, hub);
      await s.abandonActivity(hub, item!.id, item!.lockToken);
      const [state] = await s.getActivityStates(hub, 'i1');
      expect(state!.running).toBe(false);
      expect(state!.leaseExpiresAt).toBeUndefined();
    });
  });

  describe('runtime registry', () => {
    it('a heartbeat registers or refreshes a runtime by id, with times from the store clock', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const before = Date.now();
      await s.heartbeatRuntime(hub, registration('r2', before + 1), 10_000);
      await s.heartbeatRuntime(hub, registration('r1', before, { activities: [] }), 10_000);
      const listed = await s.listRuntimes(hub);
      expect(listed.map((r) => r.runtimeId)).toEqual(['r1', 'r2']);
      const r1 = listed[0]!;
      expect(r1).toMatchObject({ orchestrators: ['Order'], activities: [], entities: [], host: 'test-host:1', startedAt: before });
      expect(r1.stoppedAt).toBeUndefined();
      expect(r1.heartbeatAt).toBeGreaterThan(before - SKEW);
      expect(r1.expiresAt - r1.heartbeatAt).toBe(10_000);

      await sleep(20);
      await s.heartbeatRuntime(hub, registration('r1', before, { activities: ['Ship'] }), 20_000);
      const refreshed = (await s.listRuntimes(hub)).find((r) => r.runtimeId === 'r1')!;
      expect(refreshed.activities).toEqual(['Ship']);
      expect(refreshed.heartbeatAt).toBeGreaterThanOrEqual(r1.heartbeatAt);
      expect(refreshed.expiresAt - refreshed.heartbeatAt).toBe(20_000);
      expect(await s.listRuntimes(ctx.hub())).toEqual([]);
    });

    it('a stop marks the runtime stopped and expired now; the next heartbeat clears the mark; unknown ids are ignored', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await s.heartbeatRuntime(hub, registration('r1', Date.now()), 60_000);
      await s.stopRuntime(hub, 'r1');
      await s.stopRuntime(hub, 'nobody');
      const [stopped] = await s.listRuntimes(hub);
      expect(stopped!.stoppedAt).toBeGreaterThanOrEqual(stopped!.heartbeatAt);
      expect(stopped!.expiresAt).toBeLessThanOrEqual(stopped!.stoppedAt!);
      expect(await s.listRuntimes(hub)).toHaveLength(1);

      await s.heartbeatRuntime(hub, registration('r1', Date.now()), 60_000);
      const [back] = await s.listRuntimes(hub);
      expect(back!.stoppedAt).toBeUndefined();
      expect(back!.expiresAt).toBeGreaterThan(back!.heartbeatAt);
    });

    it('a runtime that stops beating stays listed, with an expiry in the past', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await s.heartbeatRuntime(hub, registration('r1', Date.now()), SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const [gone] = await s.listRuntimes(hub);
      expect(gone!.runtimeId).toBe('r1');
      expect(gone!.stoppedAt).toBeUndefined();
      expect(gone!.expiresAt - gone!.heartbeatAt).toBe(SHORT_LEASE);
    });
  });

  /** Instance i1 with one scheduled activity 'Ship', queued. */
  async function withShip(hub: string): Promise<void> {
    const s = ctx.storage;
    const record = await startInstance(s, hub, 'i1');
    const locked = await lockOne(s, hub, 'i1');
    await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event, ev.scheduled(0, 'Ship')], activities: [activity('i1', record.executionId, 0, 'Ship')] }));
  }
}
