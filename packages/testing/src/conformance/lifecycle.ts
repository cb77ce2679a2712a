/** open / close: idempotent, and a storage closed can be followed by a fresh one. */
import { describe, expect, it } from 'vitest';
import { ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockOne } from './context.js';

export function describeLifecycle(ctx: ConformanceContext): void {
  describe('open / close', () => {
    it('open and close are idempotent, and a fresh storage opens and works after close', async () => {
      const { create, destroy } = ctx.options;
      const hub = ctx.hub();
      const first = await create();
      let second: typeof first | undefined;
      try {
        await first.open();
        await first.open();
        const record = orchestrationRecord('i1');
        expect(await first.createInstance(hub, record, message('i1', ev.started()))).toEqual({ created: true });
        expect(await first.getInstance(hub, 'i1')).toEqual(record);
        await first.close();
        await first.close();

        second = await create();
        await second.open();
        const other = orchestrationRecord('i2');
        expect(await second.createInstance(hub, other, message('i2', ev.started()))).toEqual({ created: true });
        expect(await second.getInstance(hub, 'i2')).toEqual(other);
        expect((await lockOne(second, hub, 'i2')).messages).toHaveLength(1);
        await second.close();
      } finally {
        await destroy?.(first);
        if (second) await destroy?.(second);
      }
    });
  });
}
