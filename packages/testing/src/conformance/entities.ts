/** Entity rows: created on first signal, entityState kept across operations, queryable. */
import { describe, expect, it } from 'vitest';
import { T0, commitFor, entityRecord, ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockOne } from './context.js';

export function describeEntities(ctx: ConformanceContext): void {
  describe('entities', () => {
    it('creates an entity row on its first signal and keeps entityState across operations', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const row = entityRecord('counter', 'k1');
      const id = row.instanceId;
      await s.sendMessages(hub, [message(id, ev.entityOperation('add', '5'), { createIfMissing: row })]);
      expect(await s.getInstance(hub, id)).toEqual(row);

      const first = await lockOne(s, hub, id);
      expect(first.instance).toEqual(row);
      const c1 = commitFor(first, { instance: { entityState: '{"state":5,"queue":[]}', updatedAt: row.updatedAt + 1 } });
      await s.commitOrchestration(hub, c1);
      expect(await s.getInstance(hub, id)).toEqual(c1.instance);

      await s.sendMessages(hub, [message(id, ev.entityOperation('add', '2'), { createIfMissing: entityRecord('counter', 'k1', { entityState: 'must not win' }) })]);
      const second = await lockOne(s, hub, id);
      expect(second.instance.entityState).toBe('{"state":5,"queue":[]}');
      const c2 = commitFor(second, { instance: { entityState: '{"state":7,"queue":[]}', updatedAt: row.updatedAt + 2 } });
      await s.commitOrchestration(hub, c2);
      const stored = await s.getInstance(hub, id);
      expect(stored).toEqual(c2.instance);
      expect(stored).toMatchObject({ kind: 'entity', name: 'counter', entityState: '{"state":7,"queue":[]}' });
    });

    it('are filterable by kind, name and updatedAt', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const k1 = entityRecord('counter', 'k1', { createdAt: T0 + 1, updatedAt: T0 + 1000, entityState: '1' });
      const k2 = entityRecord('counter', 'k2', { createdAt: T0 + 2, updatedAt: T0 + 3000, entityState: '2' });
      const cart = entityRecord('cart', 'k1', { createdAt: T0 + 3, updatedAt: T0 + 2000, entityState: '[]' });
      const orch = orchestrationRecord('counter-orch', { name: 'counter', createdAt: T0 + 4, updatedAt: T0 + 2500 });
      await s.sendMessages(hub, [k1, k2, cart].map((r) => message(r.instanceId, ev.entityOperation('init'), { createIfMissing: r })));
      await s.createInstance(hub, orch, message(orch.instanceId, ev.started('counter')));

      const idsOf = async (q: Parameters<typeof s.queryInstances>[1]) => (await s.queryInstances(hub, q)).instances.map((r) => r.instanceId);
      expect(await s.queryInstances(hub, { kind: 'entity' })).toEqual({ instances: [k1, k2, cart] });
      expect(await idsOf({ kind: 'entity', name: 'counter' })).toEqual([k1.instanceId, k2.instanceId]);
      expect(await idsOf({ name: 'counter' })).toEqual([k1.instanceId, k2.instanceId, orch.instanceId]);
      expect(await idsOf({ kind: 'entity', updatedFrom: T0 + 2000 })).toEqual([k2.instanceId, cart.instanceId]);
      expect(await idsOf({ kind: 'entity', updatedTo: T0 + 2000 })).toEqual([k1.instanceId, cart.instanceId]);
      expect(await idsOf({ kind: 'entity', instanceIdPrefix: '@counter@' })).toEqual([k1.instanceId, k2.instanceId]);
    });
  });
}
