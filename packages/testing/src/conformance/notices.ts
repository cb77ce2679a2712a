/**
 * subscribe: the notices that keep workers from busy-polling. A store may
 * start a subscription asynchronously (pub/sub), so each test repeats its
 * trigger until the notice arrives rather than relying on the first one.
 */
import { describe, expect, it } from 'vitest';
import type { StorageNotice } from '@reprise/core';
import { activity, commitFor, ev, message } from './builders.js';
import type { ConformanceContext } from './context.js';
import { collectNotices, eventually, lockAllActivities, lockOne, startAndRun, startInstance } from './context.js';

const updated = (notices: StorageNotice[], id: string, status?: string) =>
  notices.some((n) => n.type === 'instance-updated' && n.instanceId === id && (status === undefined || n.status === status));

export function describeNotices(ctx: ConformanceContext): void {
  describe('subscribe', () => {
    it("sends 'orchestration-work' after a visible message is enqueued", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      const { notices, off } = collectNotices(s, hub);
      const send = () => s.sendMessages(hub, [message('i1', ev.raised('wake'))]);
      await send();
      await eventually(() => notices.some((n) => n.type === 'orchestration-work'), { retrigger: send, what: "'orchestration-work'" });
      off();
    });

    it("sends 'orchestration-work' after a delayed message is enqueued, so a sleeping worker learns the new due time", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      const { notices, off } = collectNotices(s, hub);
      const send = () => s.sendMessages(hub, [{ ...message('i1', ev.raised('later')), visibleAt: Date.now() + 60_000 }]);
      await send();
      await eventually(() => notices.some((n) => n.type === 'orchestration-work'), { retrigger: send, what: "'orchestration-work' for a delayed message" });
      off();
    });

    it("sends 'orchestration-work' after completeActivity delivers a result", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      const acts = Array.from({ length: 30 }, (_, i) => activity('i1', record.executionId, i));
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: acts }));
      const items = await lockAllActivities(s, hub);
      const { notices, off } = collectNotices(s, hub);
      const complete = async () => {
        const item = items.shift();
        if (item) await s.completeActivity(hub, { workItemId: item.id, lockToken: item.lockToken, message: message('i1', ev.taskCompleted(item.taskScheduledId)) });
      };
      await complete();
      await eventually(() => notices.some((n) => n.type === 'orchestration-work'), { retrigger: complete, what: "'orchestration-work'" });
      off();
    });

    it("sends 'activity-work' after a commit that schedules activities", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      let n = 0;
      const started = async () => {
        const id = `i${n++}`;
        const record = await startInstance(s, hub, id);
        return { id, record };
      };
      const pending = [await started()];
      const { notices, off } = collectNotices(s, hub);
      const commitWithActivity = async () => {
        const next = pending.shift() ?? (await started());
        const locked = await lockOne(s, hub, next.id);
        await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity(next.id, next.record.executionId, 0)] }));
      };
      await commitWithActivity();
      await eventually(() => notices.some((x) => x.type === 'activity-work'), { retrigger: commitWithActivity, what: "'activity-work'" });
      off();
    });

    it("sends 'instance-updated' with the status after createInstance", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { notices, off } = collectNotices(s, hub);
      const created: string[] = [];
      const create = async () => {
        const id = `i${created.length}`;
        created.push(id);
        await startInstance(s, hub, id);
      };
      await create();
      await eventually(() => created.some((id) => updated(notices, id, 'Pending')), { retrigger: create, what: "'instance-updated' Pending" });
      off();
    });

    it("sends 'instance-updated' with the status after a commit", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const { notices, off } = collectNotices(s, hub);
      const done: string[] = [];
      const complete = async () => {
        const id = `i${done.length}`;
        done.push(id);
        await startInstance(s, hub, id);
        const locked = await lockOne(s, hub, id);
        await s.commitOrchestration(hub, commitFor(locked, { status: 'Completed', append: [locked.messages[0]!.event, ev.completed()] }));
      };
      await complete();
      await eventually(() => done.some((id) => updated(notices, id, 'Completed')), { retrigger: complete, what: "'instance-updated' Completed" });
      off();
    });

    it("sends 'instance-updated' with a terminal status to a listener that asked for terminal updates only, and every update to one that did not", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const terminal = collectNotices(s, hub, { instanceUpdates: 'terminal' });
      const all = collectNotices(s, hub);
      const done: string[] = [];
      const run = async () => {
        const id = `i${done.length}`;
        done.push(id);
        await startInstance(s, hub, id);
        const locked = await lockOne(s, hub, id);
        await s.commitOrchestration(hub, commitFor(locked, { status: 'Running', append: [locked.messages[0]!.event] }));
        await s.sendMessages(hub, [message(id, ev.raised('go'))]);
        const again = await lockOne(s, hub, id);
        await s.commitOrchestration(hub, commitFor(again, { status: 'Completed', append: [again.messages[0]!.event, ev.completed()] }));
      };
      await run();
      await eventually(() => done.some((id) => updated(terminal.notices, id, 'Completed')), { retrigger: run, what: "'instance-updated' Completed (terminal only)" });
      await eventually(() => done.some((id) => updated(all.notices, id, 'Running') && updated(all.notices, id, 'Completed')), { retrigger: run, what: "'instance-updated' Running and Completed" });
      terminal.off();
      all.off();
    });

    it('stops notices to a listener once it unsubscribes; other listeners keep theirs', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const one = collectNotices(s, hub);
      const two = collectNotices(s, hub);
      let n = 0;
      const create = (prefix: string) => async () => startInstance(s, hub, `${prefix}-${n++}`);
      const before = create('before');
      await before();
      await eventually(() => one.notices.length > 0 && two.notices.length > 0, { retrigger: before, what: 'both listeners' });

      one.off();
      const after = create('after');
      await after();
      const isAfter = (x: StorageNotice) => x.type === 'instance-updated' && x.instanceId.startsWith('after-');
      await eventually(() => two.notices.some(isAfter), { retrigger: after, what: 'the remaining listener' });
      expect(one.notices.filter(isAfter)).toEqual([]);
      two.off();
    });

    it('sends notices only to listeners of the hub they concern', async () => {
      const s = ctx.storage;
      const hubA = ctx.hub();
      const hubB = ctx.hub();
      const a = collectNotices(s, hubA);
      const b = collectNotices(s, hubB);
      let n = 0;
      const createIn = (hub: string, prefix: string) => async () => startInstance(s, hub, `${prefix}-${n++}`);
      const inB = createIn(hubB, 'b');
      await inB();
      await eventually(() => b.notices.length > 0, { retrigger: inB, what: "hub B's listener" });

      const inA = createIn(hubA, 'a');
      await inA();
      const fromA = (x: StorageNotice) => x.type === 'instance-updated' && x.instanceId.startsWith('a-');
      await eventually(() => a.notices.some(fromA), { retrigger: inA, what: "hub A's listener" });
      // B's listener is live (it got B's notices) yet saw nothing of A's.
      await eventually(() => b.notices.some((x) => x.type === 'instance-updated' && x.instanceId.startsWith('b-')));
      expect(b.notices.filter(fromA)).toEqual([]);
      a.off();
      b.off();
    });

    it('isolates a throwing listener: the call that caused the notice succeeds, and other listeners still get theirs', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startAndRun(s, hub, 'i1');
      const off = s.subscribe(hub, () => {
        throw new Error('listener bug');
      });
      const { notices, off: offOther } = collectNotices(s, hub);
      const send = () => s.sendMessages(hub, [message('i1', ev.raised('wake'))]);
      await expect(send()).resolves.not.toThrow();
      await eventually(() => notices.some((n) => n.type === 'orchestration-work'), { retrigger: send, what: "'orchestration-work' beside a throwing listener" });
      off();
      offOther();
    });
  });
}
