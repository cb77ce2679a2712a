/** Inbox messages: order per instance, delayed visibility, missing targets, createIfMissing. */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent, LockedInstance } from '@reprise/core';
import { commitFor, ev, message, orchestrationRecord, raisedMessages } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockAll, lockOne, sleep, startAndRun, startInstance } from './context.js';

/** The `Name` of each EventRaised message of a lock (other events show their EventType). */
const names = (locked: LockedInstance): string[] =>
  locked.messages.map((m) => (m.event.EventType === 'EventRaised' ? m.event.Name : m.event.EventType));

export function describeMessages(ctx: ConformanceContext): void {
  describe('message order', () => {
    it('keeps enqueue order within a sendMessages call and across calls, per instance', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'a');
      await startAndRun(s, hub, 'b');
      await s.sendMessages(hub, [...raisedMessages('a', 'a', 3)]);
      await s.sendMessages(hub, [message('b', ev.raised('b0')), message('a', ev.raised('a3')), message('b', ev.raised('b1')), message('a', ev.raised('a4'))]);
      await s.sendMessages(hub, [message('a', ev.raised('a5'))]);

      const locks = await lockAll(s, hub);
      expect(names(locks.get('a')!)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
      expect(names(locks.get('b')!)).toEqual(['b0', 'b1']);
      expect(locks.get('a')!.messages.every((m) => m.instanceId === 'a')).toBe(true);
      const ids = [...locks.values()].flatMap((l) => l.messages.map((m) => m.id));
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('keeps order across commits: unconsumed messages, messages that arrived during the lease, then new ones', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      await s.sendMessages(hub, raisedMessages('i1', 'e', 2));
      const locked = await lockOne(s, hub, 'i1');
      expect(names(locked)).toEqual(['e0', 'e1']);
      await s.sendMessages(hub, [message('i1', ev.raised('during0')), message('i1', ev.raised('during1'))]);
      await s.commitOrchestration(
        hub,
        commitFor(locked, { append: [locked.messages[0]!.event], consume: [locked.messages[0]!.id], messages: [message('i1', ev.raised('self'))] }),
      );
      await s.sendMessages(hub, [message('i1', ev.raised('after'))]);

      const next = await lockOne(s, hub, 'i1');
      expect(names(next)).toEqual(['e1', 'during0', 'during1', 'self', 'after']);
      expect(next.messages[0]!.id).toBe(locked.messages[1]!.id);
    });

    it('delivers messages sent by commits in the order sent, interleaved with sendMessages', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 's1');
      await startAndRun(s, hub, 's2');
      await startAndRun(s, hub, 'target');
      await s.sendMessages(hub, [message('s1', ev.raised('go')), message('s2', ev.raised('go'))]);
      const senders = await lockAll(s, hub);
      const episode = async (sender: string, sent: HistoryEvent[]) => {
        const locked = senders.get(sender)!;
        await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], messages: sent.map((e) => message('target', e)) }));
      };
      await episode('s1', [ev.raised('m0'), ev.raised('m1')]);
      await s.sendMessages(hub, [message('target', ev.raised('m2'))]);
      await episode('s2', [ev.raised('m3')]);

      const locks = await lockAll(s, hub);
      expect([...locks.keys()]).toEqual(['target']);
      expect(names(locks.get('target')!)).toEqual(['m0', 'm1', 'm2', 'm3']);
    });
  });

  describe('delayed visibility', () => {
    it('does not hand out a message before its visibleAt, and hands it out once due', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      const due = Date.now() + 600;
      await s.sendMessages(hub, [message('i1', ev.timerFired(0, due), { visibleAt: due })]);
      expect((await s.lockInstances(hub, { max: 10, leaseMs: 60_000 })).items).toEqual([]);

      await sleep(due - Date.now() + 300);
      const locked = await lockOne(s, hub, 'i1');
      expect(locked.messages.map((m) => m.event.EventType)).toEqual(['TimerFired']);
    });

    it('reports nextVisibleInMs when only future messages exist, and nothing when nothing is scheduled', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      expect(await s.lockInstances(hub, { max: 10, leaseMs: 60_000 })).toEqual({ items: [] });
      await startAndRun(s, hub, 'i1');
      expect((await s.lockInstances(hub, { max: 10, leaseMs: 60_000 })).nextVisibleInMs).toBeUndefined();

      await s.sendMessages(hub, [message('i1', ev.timerFired(0, Date.now() + 20_000), { visibleAt: Date.now() + 20_000 })]);
      await s.sendMessages(hub, [message('i1', ev.timerFired(1, Date.now() + 10_000), { visibleAt: Date.now() + 10_000 })]);
      const result = await s.lockInstances(hub, { max: 10, leaseMs: 60_000 });
      expect(result.items).toEqual([]);
      // The earliest one: about 10 s away (generous bounds for clock skew and a slow call).
      expect(result.nextVisibleInMs).toBeGreaterThan(8_000);
      expect(result.nextVisibleInMs).toBeLessThanOrEqual(11_000);
    });

    it('hands out only the visible messages of an instance that also has future ones; past visibleAt is visible', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      await s.sendMessages(hub, [
        message('i1', ev.raised('now')),
        message('i1', ev.raised('later'), { visibleAt: Date.now() + 60_000 }),
        message('i1', ev.raised('past'), { visibleAt: Date.now() - 60_000 }),
      ]);
      const locked = await lockOne(s, hub, 'i1');
      expect(names(locked)).toEqual(['now', 'past']);
      await s.commitOrchestration(
        hub,
        commitFor(locked, { append: locked.messages.map((m) => m.event), messages: [message('i1', ev.raised('timer'), { visibleAt: Date.now() + 30_000 })] }),
      );

      const after = await s.lockInstances(hub, { max: 10, leaseMs: 60_000 });
      expect(after.items).toEqual([]);
      expect(after.nextVisibleInMs).toBeGreaterThan(20_000);
      expect(after.nextVisibleInMs).toBeLessThanOrEqual(31_000);
    });
  });

  describe('missing instances', () => {
    it('drops messages to a missing instance (they do not reappear when it is created later)', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await s.sendMessages(hub, [message('ghost', ev.raised('lost')), message('ghost', ev.raised('later-lost'), { visibleAt: Date.now() + 60_000 })]);
      expect(await s.getInstance(hub, 'ghost')).toBeUndefined();
      expect(await s.lockInstances(hub, { max: 10, leaseMs: 60_000 })).toEqual({ items: [] });

      const record = await startInstance(s, hub, 'ghost');
      const locked = await lockOne(s, hub, 'ghost');
      expect(names(locked)).toEqual(['ExecutionStarted']);
      expect(locked.instance).toEqual(record);
    });

    it('createIfMissing creates the row once; later createIfMissing leaves it and just delivers', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const row = orchestrationRecord('child', { parentInstanceId: 'parent', input: '"x"' });
      const other = orchestrationRecord('child', { name: 'Other', status: 'Running', input: '"y"' });
      await s.sendMessages(hub, [message('child', ev.raised('m0'), { createIfMissing: row }), message('child', ev.raised('m1'), { createIfMissing: other })]);
      expect(await s.getInstance(hub, 'child')).toEqual(row);
      expect(await s.getHistory(hub, 'child')).toEqual([]);

      await s.sendMessages(hub, [message('child', ev.raised('m2'), { createIfMissing: other })]);
      expect(await s.getInstance(hub, 'child')).toEqual(row);
      const locked = await lockOne(s, hub, 'child');
      expect(locked.instance).toEqual(row);
      expect(names(locked)).toEqual(['m0', 'm1', 'm2']);
    });

    it('createIfMissing on an existing instance leaves its row and history as they are', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const running = await startAndRun(s, hub, 'i1');
      const history = await s.getHistory(hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('hello'), { createIfMissing: orchestrationRecord('i1', { name: 'Other' }) })]);
      expect(await s.getInstance(hub, 'i1')).toEqual(running);
      expect(await s.getHistory(hub, 'i1')).toEqual(history);
      expect(names(await lockOne(s, hub, 'i1'))).toEqual(['hello']);
    });
  });
}
