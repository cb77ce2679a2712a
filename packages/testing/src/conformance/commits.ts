/** commitOrchestration: every effect, atomically, and fencing (a commit without the lease changes nothing). */
import { describe, expect, it } from 'vitest';
import type { LockedInstance, OrchestrationCommit, Storage } from '@reprise/core';
import { activity, commitFor, ev, logEntry, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { LONG_LEASE, PAST_EXPIRY, SHORT_LEASE, expectLeaseLost, lockAll, lockAllActivities, lockOne, sleep, startAndRun, startInstance } from './context.js';

const eventTypes = async (s: Storage, hub: string, id: string) => (await s.getHistory(hub, id)).map((e) => e.EventType);

export function describeCommits(ctx: ConformanceContext): void {
  describe('commitOrchestration', () => {
    it('appends history across commits; the row carries historyLength', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const first = await lockOne(s, hub, 'i1');
      const append1 = [first.messages[0]!.event, ev.scheduled(0)];
      const c1 = commitFor(first, { append: append1 });
      await s.commitOrchestration(hub, c1);
      expect(await s.getInstance(hub, 'i1')).toEqual(c1.instance);
      expect(c1.instance.historyLength).toBe(2);

      await s.sendMessages(hub, [message('i1', ev.taskCompleted(0, '"r"'))]);
      const second = await lockOne(s, hub, 'i1');
      expect(second.instance).toEqual(c1.instance);
      const append2 = [second.messages[0]!.event, ev.completed('"r"')];
      const c2 = commitFor(second, { status: 'Completed', instance: { output: '"r"' }, append: append2 });
      await s.commitOrchestration(hub, c2);

      const history = await s.getHistory(hub, 'i1');
      expect(history).toEqual([...append1, ...append2]);
      expect(history.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);
      const row = await s.getInstance(hub, 'i1');
      expect(row).toEqual(c2.instance);
      expect(row!.historyLength).toBe(history.length);
    });

    it('replaces the history on history.replace (continue-as-new), then appends to the new one', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('go'))]);
      const locked = await lockOne(s, hub, 'i1');
      const restart = ev.started('TestOrchestrator', '"gen2"', 'exec-2');
      const c = commitFor(locked, { replace: [restart], instance: { executionId: 'exec-2', input: '"gen2"' } });
      await s.commitOrchestration(hub, c);
      expect(await s.getHistory(hub, 'i1')).toEqual([restart]);
      expect((await s.getInstance(hub, 'i1'))!.historyLength).toBe(1);

      await s.sendMessages(hub, [message('i1', ev.raised('go2'))]);
      const next = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(next, { append: [next.messages[0]!.event] }));
      expect(await eventTypes(s, hub, 'i1')).toEqual(['ExecutionStarted', 'EventRaised']);
      expect((await s.getInstance(hub, 'i1'))!.historyLength).toBe(2);
    });

    it('replaces the row as a whole: optional fields left out of the new row are gone', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1', { customStatus: '"old"', output: '"stale"', tags: { a: '1' }, parentInstanceId: 'p' });
      const locked = await lockOne(s, hub, 'i1');
      const { customStatus: _cs, output: _out, ...rest } = commitFor(locked).instance;
      const row = { ...rest, status: 'Suspended' as const, name: 'Renamed', tags: { b: '2' } };
      await s.commitOrchestration(hub, { ...commitFor(locked), instance: row });
      const stored = await s.getInstance(hub, 'i1');
      expect(stored).toEqual(row);
      expect(stored!.customStatus).toBeUndefined();
      expect(stored!.output).toBeUndefined();
    });

    it('removes consumed messages and keeps the others, including those that arrived during the lease', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('e0')), message('i1', ev.raised('e1')), message('i1', ev.raised('e2'))]);
      const locked = await lockOne(s, hub, 'i1');
      await s.sendMessages(hub, [message('i1', ev.raised('during'))]);
      const [m0, m1, m2] = locked.messages;
      await s.commitOrchestration(hub, commitFor(locked, { consume: [m0!.id, m2!.id], append: [m0!.event, m2!.event] }));

      // The lease is released and work remains, so it is lockable at once.
      const next = await lockOne(s, hub, 'i1');
      expect(next.messages.map((m) => m.id).slice(0, 1)).toEqual([m1!.id]);
      expect(next.messages.map((m) => (m.event.EventType === 'EventRaised' ? m.event.Name : '?'))).toEqual(['e1', 'during']);
      expect(next.deliveries).toBe(1);
    });

    it('delivers messages to other instances (createIfMissing included, missing targets dropped) and enqueues activities', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const parent = await startAndRun(s, hub, 'parent');
      await startAndRun(s, hub, 'other');
      await s.sendMessages(hub, [message('parent', ev.raised('go'))]);
      const locked = await lockOne(s, hub, 'parent');
      const childRow = orchestrationRecord('child', { parentInstanceId: 'parent', name: 'Child' });
      const childStart = ev.started('Child', undefined, childRow.executionId);
      const hi = ev.raised('hi');
      const acts = [activity('parent', parent.executionId, 1, 'A', '"a"'), activity('parent', parent.executionId, 2, 'B')];
      await s.commitOrchestration(
        hub,
        commitFor(locked, {
          append: [locked.messages[0]!.event],
          messages: [message('other', hi), message('child', childStart, { createIfMissing: childRow }), message('ghost', ev.raised('dropped'))],
          activities: acts,
        }),
      );

      expect(await s.getInstance(hub, 'child')).toEqual(childRow);
      expect(await s.getInstance(hub, 'ghost')).toBeUndefined();
      const locks = await lockAll(s, hub);
      expect([...locks.keys()].sort()).toEqual(['child', 'other']);
      expect(locks.get('child')!.messages.map((m) => m.event)).toEqual([childStart]);
      expect(locks.get('other')!.messages.map((m) => m.event)).toEqual([hi]);

      const work = await lockAllActivities(s, hub);
      expect(work).toHaveLength(2);
      const byTask = [...work].sort((a, b) => a.taskScheduledId - b.taskScheduledId);
      for (const [i, item] of byTask.entries()) {
        expect(item).toMatchObject({ ...acts[i], deliveries: 1 });
        expect(typeof item.id).toBe('string');
        expect(typeof item.lockToken).toBe('string');
      }
      expect(byTask[1]!.input).toBeUndefined();
      expect(new Set(work.map((w) => w.id)).size).toBe(2);
    });

    it('appends logs across commits, in order', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const l1 = logEntry('first', 'debug', 1_700_000_000_001);
      const l2 = logEntry('second', 'warn', 1_700_000_000_002);
      const l3 = logEntry('third', 'error', 1_700_000_000_003);
      const a = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(a, { append: [a.messages[0]!.event], logs: [l1] }));
      await s.sendMessages(hub, [message('i1', ev.raised('go'))]);
      const b = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(hub, commitFor(b, { append: [b.messages[0]!.event], logs: [l2, l3] }));
      expect(await s.getLogs(hub, 'i1')).toEqual([l1, l2, l3]);
    });

    it('releases the lease: new messages make the instance lockable at once, and the used token is dead', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1', LONG_LEASE);
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event] }));
      expect(await lockAll(s, hub)).toEqual(new Map());
      await s.sendMessages(hub, [message('i1', ev.raised('next'))]);
      const again = await lockOne(s, hub, 'i1');
      expect(again.deliveries).toBe(1);
      await expectLeaseLost(s.commitOrchestration(hub, commitFor(locked, { append: [ev.raised('twice')] })));
      expect(await eventTypes(s, hub, 'i1')).toEqual(['ExecutionStarted']);
    });
  });

  describe('fencing', () => {
    /** Instance i1 (Pending, one message) next to a quiet instance 'other'. */
    async function setup(hub: string) {
      const s = ctx.storage;
      await startAndRun(s, hub, 'other');
      const record = await startInstance(s, hub, 'i1', { customStatus: '"before"' });
      return { record };
    }

    /** A commit that would change everything it can. */
    function everything(locked: LockedInstance, lockToken?: string): OrchestrationCommit {
      return commitFor(locked, {
        ...(lockToken !== undefined && { lockToken }),
        status: 'Completed',
        instance: { output: '"after"', customStatus: '"after"' },
        append: [locked.messages[0]!.event, ev.completed('"after"')],
        messages: [message('other', ev.raised('x')), message('i1', ev.raised('self')), message('newborn', ev.raised('y'), { createIfMissing: orchestrationRecord('newborn') })],
        activities: [activity('i1', locked.instance.executionId, 0)],
        logs: [logEntry('refused')],
      });
    }

    async function expectNothingChanged(hub: string, record: unknown): Promise<void> {
      const s = ctx.storage;
      expect(await s.getInstance(hub, 'i1')).toEqual(record);
      expect(await s.getHistory(hub, 'i1')).toEqual([]);
      expect(await s.getLogs(hub, 'i1')).toEqual([]);
      expect(await s.getInstance(hub, 'newborn')).toBeUndefined();
      expect(await lockAllActivities(s, hub)).toEqual([]);
      expect((await lockAll(s, hub)).has('other')).toBe(false);
    }

    it('refuses a commit with a wrong token (LEASE_LOST) and changes nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { record } = await setup(hub);
      const locked = await lockOne(s, hub, 'i1', LONG_LEASE);
      await expectLeaseLost(s.commitOrchestration(hub, everything(locked, 'wrong-token')));
      await expectNothingChanged(hub, record);

      await s.releaseInstance(hub, 'i1', locked.lockToken);
      const again = await lockOne(s, hub, 'i1');
      expect(again.messages).toEqual(locked.messages);
    });

    it('refuses a commit after the lease expired, even if nobody took it, and changes nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { record } = await setup(hub);
      const locked = await lockOne(s, hub, 'i1', SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      await expectLeaseLost(s.commitOrchestration(hub, everything(locked)));
      // expectNothingChanged locks what is lockable: i1 is handed out again, with its message.
      await expectNothingChanged(hub, record);
    });

    it('refuses a commit after another holder took the lease, changes nothing, and the new holder commits', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { record } = await setup(hub);
      const stale = await lockOne(s, hub, 'i1', SHORT_LEASE);
      await sleep(PAST_EXPIRY);
      const holder = await lockOne(s, hub, 'i1', LONG_LEASE);
      expect(holder.deliveries).toBe(2);
      await expectLeaseLost(s.commitOrchestration(hub, everything(stale)));
      await expectNothingChanged(hub, record);

      expect(holder.messages).toEqual(stale.messages);
      await s.commitOrchestration(hub, everything(holder));
      expect(await eventTypes(s, hub, 'i1')).toEqual(['ExecutionStarted', 'ExecutionCompleted']);
      expect((await s.getInstance(hub, 'i1'))!.status).toBe('Completed');
    });
  });
}
