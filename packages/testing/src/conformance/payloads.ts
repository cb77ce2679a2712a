/** Payloads are opaque strings kept byte-exact; ids with odd characters; values are stored by value. */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@reprise/core';
import { UNICODE_PAYLOAD, activity, bigPayload, commitFor, entityRecord, ev, logEntry, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockAll, lockAllActivities, lockOne } from './context.js';

/** Exact equality without printing 200 KB on failure. */
function expectExact(actual: unknown, expected: string, what: string): void {
  expect(typeof actual, what).toBe('string');
  const text = actual as string;
  if (text === expected) return;
  let i = 0;
  while (i < text.length && text[i] === expected[i]) i++;
  expect.fail(
    `${what}: length ${text.length}, want ${expected.length}; first difference at UTF-16 index ${i}: ` +
      `got ${JSON.stringify(text.slice(i, i + 16))}, want ${JSON.stringify(expected.slice(i, i + 16))}`,
  );
}

const field = (event: HistoryEvent | undefined, key: string): unknown => (event as unknown as Record<string, unknown> | undefined)?.[key];

export function describePayloads(ctx: ConformanceContext): void {
  describe('payloads', () => {
    it.each([
      ['unicode', UNICODE_PAYLOAD],
      ['a 200 KB string', bigPayload(200_000)],
    ])('keeps %s byte-exact in every payload field', async (_label, payload) => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = orchestrationRecord('p1', { input: payload, customStatus: payload, tags: { note: UNICODE_PAYLOAD } });
      await s.createInstance(hub, record, message('p1', ev.started(record.name, payload)));
      const row = await s.getInstance(hub, 'p1');
      expectExact(row!.input, payload, 'row.input');
      expectExact(row!.customStatus, payload, 'row.customStatus');
      expectExact(row!.tags!.note, UNICODE_PAYLOAD, 'row.tags');

      const locked = await lockOne(s, hub, 'p1');
      expectExact(field(locked.messages[0]!.event, 'Input'), payload, 'message Input');
      expectExact(locked.instance.input, payload, 'locked row input');
      await s.commitOrchestration(
        hub,
        commitFor(locked, {
          status: 'Completed',
          instance: { output: payload },
          append: [locked.messages[0]!.event, ev.taskCompleted(0, payload), ev.completed(payload)],
          activities: [activity('p1', record.executionId, 1, 'A', payload)],
          logs: [logEntry(payload)],
        }),
      );
      expectExact((await s.getInstance(hub, 'p1'))!.output, payload, 'row.output');
      const history = await s.getHistory(hub, 'p1');
      expectExact(field(history[0], 'Input'), payload, 'history Input');
      expectExact(field(history[1], 'Result'), payload, 'history TaskCompleted Result');
      expectExact(field(history[2], 'Result'), payload, 'history ExecutionCompleted Result');
      expectExact((await s.getLogs(hub, 'p1'))[0]?.message, payload, 'log message');
      const [work] = await lockAllActivities(s, hub);
      expectExact(work!.input, payload, 'activity input');

      const entity = entityRecord('blob', 'k', { entityState: payload });
      await s.sendMessages(hub, [message(entity.instanceId, ev.entityOperation('set', payload), { createIfMissing: entity })]);
      expectExact((await s.getInstance(hub, entity.instanceId))!.entityState, payload, 'entityState');
      expectExact(field((await lockOne(s, hub, entity.instanceId)).messages[0]!.event, 'Input'), payload, 'entity operation Input');
    });

    it('keeps instance ids with separators, wildcards and unicode apart', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const ids = ['a', 'a:b', 'a:b:c', 'a{b}', 'a b', 'a/b', 'a*', 'ünï cödé 🚀', `q"'\\`];
      for (const id of ids) await s.createInstance(hub, orchestrationRecord(id, { input: JSON.stringify(id) }), message(id, ev.started('T', JSON.stringify(id))));
      const locks = await lockAll(s, hub);
      expect([...locks.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const row = await s.getInstance(hub, id);
        expect(row?.instanceId).toBe(id);
        expect(row?.input).toBe(JSON.stringify(id));
        const locked = locks.get(id)!;
        expect(locked.messages.map((m) => field(m.event, 'Input'))).toEqual([JSON.stringify(id)]);
        await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event] }));
      }
      for (const id of ids) expect((await s.getHistory(hub, id)).map((e) => field(e, 'Input'))).toEqual([JSON.stringify(id)]);
      const all = (await s.queryInstances(hub, {})).instances.map((r) => r.instanceId);
      expect([...all].sort()).toEqual([...ids].sort());
      expect((await s.queryInstances(hub, { instanceIdPrefix: 'a:b' })).instances.map((r) => r.instanceId).sort()).toEqual(['a:b', 'a:b:c']);
    });

    it("stores values, not references: changing the caller's objects later changes nothing stored", async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = orchestrationRecord('i1', { tags: { a: '1' } });
      const start = ev.started(record.name, '"in"') as HistoryEvent & { Input?: string };
      await s.createInstance(hub, record, message('i1', start));
      record.tags!.a = 'changed';
      record.status = 'Failed';
      start.Input = '"changed"';

      const locked = await lockOne(s, hub, 'i1');
      expect(locked.instance.tags).toEqual({ a: '1' });
      expect(field(locked.messages[0]!.event, 'Input')).toBe('"in"');
      const appended = [ev.raised('e', '"kept"')];
      const logs = [logEntry('kept')];
      const commit = commitFor(locked, { append: appended, logs });
      await s.commitOrchestration(hub, commit);
      (appended[0] as { Name: string }).Name = 'changed';
      logs[0]!.message = 'changed';
      commit.instance.status = 'Failed';

      const history = await s.getHistory(hub, 'i1');
      expect(field(history[0], 'Name')).toBe('e');
      (history[0] as { Name: string }).Name = 'mutated-by-reader';
      (await s.getLogs(hub, 'i1'))[0]!.message = 'mutated-by-reader';
      (await s.getInstance(hub, 'i1'))!.tags!.a = 'mutated-by-reader';

      expect(field((await s.getHistory(hub, 'i1'))[0], 'Name')).toBe('e');
      expect((await s.getLogs(hub, 'i1'))[0]!.message).toBe('kept');
      const row = await s.getInstance(hub, 'i1');
      expect(row!.status).toBe('Running');
      expect(row!.tags).toEqual({ a: '1' });
    });
  });
}
