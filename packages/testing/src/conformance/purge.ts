/** purgeInstances: by ids and by filter, terminal only, everything removed, concurrent purges counted once. */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord, RuntimeStatus, Storage } from '@reprise/core';
import { T0, activity, commitFor, ev, logEntry, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockAll, lockAllActivities, lockOne, startInstance } from './context.js';

async function createWithStatus(s: Storage, hub: string, id: string, status: RuntimeStatus, createdAt: number = Date.now()): Promise<InstanceRecord> {
  return startInstance(s, hub, id, { status, createdAt });
}

export function describePurge(ctx: ConformanceContext): void {
  describe('purgeInstances', () => {
    it('removes a terminal instance entirely: row, history, inbox, activities and logs', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(
        hub,
        commitFor(locked, {
          status: 'Completed',
          append: [locked.messages[0]!.event, ev.scheduled(0), ev.completed()],
          activities: [activity('i1', record.executionId, 0)],
          logs: [logEntry('bye')],
        }),
      );
      await s.sendMessages(hub, [message('i1', ev.raised('late')), message('i1', ev.raised('later'), { visibleAt: Date.now() + 60_000 })]);

      expect(await s.purgeInstances(hub, { instanceIds: ['i1'] })).toEqual({ instancesDeleted: 1 });
      expect(await s.getInstance(hub, 'i1')).toBeUndefined();
      expect(await s.getHistory(hub, 'i1')).toEqual([]);
      expect(await s.getLogs(hub, 'i1')).toEqual([]);
      expect(await s.lockInstances(hub, { max: 10, leaseMs: 60_000 })).toEqual({ items: [] });
      expect(await lockAllActivities(s, hub)).toEqual([]);
      expect((await s.queryInstances(hub, {})).instances).toEqual([]);

      // The id is free again, with nothing left over from before.
      await startInstance(s, hub, 'i1');
      expect((await lockOne(s, hub, 'i1')).messages.map((m) => m.event.EventType)).toEqual(['ExecutionStarted']);
      expect(await s.purgeInstances(hub, { instanceIds: ['i1'] })).toEqual({ instancesDeleted: 0 });
    });

    it('refuses non-terminal instances: they are not counted and not deleted', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const live = await Promise.all(
        (['Pending', 'Running', 'Suspended', 'ContinuedAsNew'] as const).map((status) => createWithStatus(s, hub, `live-${status}`, status)),
      );
      const dead = await Promise.all((['Completed', 'Failed', 'Canceled', 'Terminated'] as const).map((status) => createWithStatus(s, hub, `dead-${status}`, status)));

      const all = [...live, ...dead].map((r) => r.instanceId);
      expect(await s.purgeInstances(hub, { instanceIds: [...all, 'unknown'] })).toEqual({ instancesDeleted: 4 });
      for (const r of live) expect(await s.getInstance(hub, r.instanceId)).toEqual(r);
      for (const r of dead) expect(await s.getInstance(hub, r.instanceId)).toBeUndefined();
      // The live ones keep their inbox.
      expect([...(await lockAll(s, hub)).keys()].sort()).toEqual(live.map((r) => r.instanceId).sort());
    });

    it('purges by filter: createdFrom / createdTo inclusive, runtimeStatus, terminal only', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await createWithStatus(s, hub, 'c1', 'Completed', T0 + 1000);
      await createWithStatus(s, hub, 'c2', 'Failed', T0 + 2000);
      await createWithStatus(s, hub, 'c3', 'Completed', T0 + 3000);
      const running = await createWithStatus(s, hub, 'r1', 'Running', T0 + 2000);
      await createWithStatus(s, hub, 'c4', 'Terminated', T0 + 4000);

      expect(await s.purgeInstances(hub, { createdFrom: T0 + 2000, createdTo: T0 + 3000, runtimeStatus: ['Completed'] })).toEqual({ instancesDeleted: 1 });
      expect(await s.getInstance(hub, 'c3')).toBeUndefined();
      expect(await s.getInstance(hub, 'c2')).toBeDefined();

      expect(await s.purgeInstances(hub, { createdFrom: T0 + 2000, createdTo: T0 + 3000 })).toEqual({ instancesDeleted: 1 });
      expect(await s.getInstance(hub, 'c2')).toBeUndefined();

      expect(await s.purgeInstances(hub, { createdFrom: T0 + 1001 })).toEqual({ instancesDeleted: 1 });
      expect(await s.getInstance(hub, 'c1')).toBeDefined();
      expect(await s.purgeInstances(hub, { createdFrom: T0 + 1000 })).toEqual({ instancesDeleted: 1 });
      expect((await s.queryInstances(hub, {})).instances).toEqual([running]);
    });

    it('counts each deletion once when two purges of the same instances run concurrently', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const ids = Array.from({ length: 10 }, (_, i) => `done-${i}`);
      await Promise.all(ids.map((id) => createWithStatus(s, hub, id, 'Completed', T0 + 1)));
      const [a, b] = await Promise.all([s.purgeInstances(hub, { instanceIds: ids }), s.purgeInstances(hub, { instanceIds: [...ids].reverse() })]);
      expect(a!.instancesDeleted + b!.instancesDeleted).toBe(10);

      const more = Array.from({ length: 10 }, (_, i) => `more-${i}`);
      await Promise.all(more.map((id) => createWithStatus(s, hub, id, 'Failed', T0 + 2)));
      const results = await Promise.all([
        s.purgeInstances(hub, { createdFrom: T0 }),
        s.purgeInstances(hub, { createdFrom: T0, runtimeStatus: ['Failed'] }),
        s.purgeInstances(hub, { instanceIds: more.slice(0, 5) }),
      ]);
      expect(results.reduce((n, r) => n + r.instancesDeleted, 0)).toBe(10);
      expect((await s.queryInstances(hub, {})).instances).toEqual([]);
    });
  });
}
