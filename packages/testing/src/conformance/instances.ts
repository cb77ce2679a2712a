/** createInstance and reading rows back. */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord, RuntimeStatus } from '@reprise/core';
import { activity, commitFor, ev, logEntry, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockAll, lockAllActivities, lockOne, startAndRun, startInstance } from './context.js';

export function describeInstances(ctx: ConformanceContext): void {
  describe('createInstance', () => {
    it('stores a new row, an empty history and the first message', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = orchestrationRecord('i1', { input: '"in"' });
      const start = ev.started(record.name, record.input, record.executionId);
      expect(await s.createInstance(hub, record, message('i1', start))).toEqual({ created: true });

      expect(await s.getInstance(hub, 'i1')).toEqual(record);
      expect(await s.getHistory(hub, 'i1')).toEqual([]);
      expect(await s.getLogs(hub, 'i1')).toEqual([]);
      const locked = await lockOne(s, hub, 'i1');
      expect(locked.instance).toEqual(record);
      expect(locked.messages.map((m) => m.event)).toEqual([start]);
      expect(locked.messages[0]!.instanceId).toBe('i1');
    });

    it('keeps every field of the row, optional ones included', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const record = orchestrationRecord('full', {
        input: '{"json":["input"]}',
        output: '"out"',
        customStatus: '{"step":1}',
        parentInstanceId: 'parent-1',
        tags: { team: 'payments', 'ünï': 'cödé' },
        createdAt: 1_700_000_000_123,
        updatedAt: 1_700_000_000_456,
        historyLength: 0,
      });
      await s.createInstance(hub, record, message('full', ev.started()));
      expect(await s.getInstance(hub, 'full')).toEqual(record);
      expect((await lockOne(s, hub, 'full')).instance).toEqual(record);
    });

    it('returns undefined, an empty history and no logs for an unknown instance', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      expect(await s.getInstance(hub, 'nope')).toBeUndefined();
      expect(await s.getHistory(hub, 'nope')).toEqual([]);
      expect(await s.getLogs(hub, 'nope')).toEqual([]);
    });

    it('returns the existing row of a Pending instance and enqueues nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const first = await startInstance(s, hub, 'i1');
      const second = orchestrationRecord('i1', { name: 'Other', input: '"other"' });
      const result = await s.createInstance(hub, second, message('i1', ev.started('Other', '"other"')));

      expect(result).toEqual({ created: false, existing: first });
      expect(await s.getInstance(hub, 'i1')).toEqual(first);
      const locked = await lockOne(s, hub, 'i1');
      expect(locked.messages).toHaveLength(1);
      expect(locked.messages[0]!.event).toMatchObject({ EventType: 'ExecutionStarted', Name: 'TestOrchestrator' });
    });

    it('returns the existing row of a Running instance and changes nothing', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const running = await startAndRun(s, hub, 'i1');
      const history = await s.getHistory(hub, 'i1');
      expect(running.status).toBe('Running');

      const result = await s.createInstance(hub, orchestrationRecord('i1', { name: 'Other' }), message('i1', ev.started('Other')));
      expect(result).toEqual({ created: false, existing: running });
      expect(await s.getInstance(hub, 'i1')).toEqual(running);
      expect(await s.getHistory(hub, 'i1')).toEqual(history);
      expect((await lockAll(s, hub)).size).toBe(0);
    });

    it('replaces a terminal instance: history, inbox, activities and logs are removed first', async () => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const old = await startInstance(s, hub, 'i1');
      const locked = await lockOne(s, hub, 'i1');
      await s.commitOrchestration(
        hub,
        commitFor(locked, {
          status: 'Completed',
          instance: { output: '"done"', customStatus: '"cs"' },
          append: [locked.messages[0]!.event, ev.scheduled(0), ev.completed('"done"')],
          activities: [activity('i1', old.executionId, 0)],
          logs: [logEntry('old log')],
        }),
      );
      // A message that arrives after completion sits in the old inbox.
      await s.sendMessages(hub, [message('i1', ev.raised('late'))]);

      const fresh = orchestrationRecord('i1', { name: 'Again', input: '"again"' });
      const start = ev.started('Again', '"again"', fresh.executionId);
      expect(await s.createInstance(hub, fresh, message('i1', start))).toEqual({ created: true });

      expect(await s.getInstance(hub, 'i1')).toEqual(fresh);
      expect(await s.getHistory(hub, 'i1')).toEqual([]);
      expect(await s.getLogs(hub, 'i1')).toEqual([]);
      expect(await lockAllActivities(s, hub)).toEqual([]);
      const relocked = await lockOne(s, hub, 'i1');
      expect(relocked.messages.map((m) => m.event)).toEqual([start]);
      expect(relocked.deliveries).toBe(1);
    });

    it.each<RuntimeStatus>(['Completed', 'Failed', 'Canceled', 'Terminated'])('treats %s as terminal', async (status) => {
      const s = ctx.storage;
      const hub = ctx.hub();
      await startInstance(s, hub, 'i1', { status });
      const fresh: InstanceRecord = orchestrationRecord('i1', { name: 'Again' });
      expect(await s.createInstance(hub, fresh, message('i1', ev.started('Again')))).toEqual({ created: true });
      expect(await s.getInstance(hub, 'i1')).toEqual(fresh);
    });

    it.each<RuntimeStatus>(['Pending', 'Running', 'Suspended', 'ContinuedAsNew'])('treats %s as not terminal', async (status) => {
      const s = ctx.storage;
      const hub = ctx.hub();
      const first = await startInstance(s, hub, 'i1', { status });
      const result = await s.createInstance(hub, orchestrationRecord('i1', { name: 'Again' }), message('i1', ev.started('Again')));
      expect(result).toEqual({ created: false, existing: first });
    });
  });
}
