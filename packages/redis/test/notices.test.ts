/**
 * Fewer notices on Redis (issue 20): an instance update that is neither
 * terminal nor beside work goes to a channel of its own, which only a
 * listener of every update subscribes to. A runtime subscribes for terminal
 * updates only (waitForCompletion), and holds a second subscription while
 * something waits for any change of an instance (a schedule command).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { StorageNotice } from '@reprise/core';
import { commitFor, eventually, ev, lockOne, message, startInstance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { parseNotice } from '../src/subscriber.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');

describe('redis: a published message read back as notices', () => {
  it('reads work flags, lease announcements and the instance update', () => {
    expect(parseNotice('o\nPending\ni1')).toEqual([{ type: 'instance-updated', status: 'Pending', instanceId: 'i1' }, { type: 'orchestration-work' }]);
    expect(parseNotice('\nCompleted\nsome:id')).toEqual([{ type: 'instance-updated', status: 'Completed', instanceId: 'some:id' }]);
    expect(parseNotice('oa')).toEqual([{ type: 'orchestration-work' }, { type: 'activity-work' }]);
    expect(parseNotice('A30000')).toEqual([{ type: 'activity-work', inMs: 30000 }]);
    expect(parseNotice('O150A7\nRunning\ni2')).toEqual([
      { type: 'instance-updated', status: 'Running', instanceId: 'i2' },
      { type: 'orchestration-work', inMs: 150 },
      { type: 'activity-work', inMs: 7 },
    ]);
    // A work flag wins over an announcement of the same kind (the scripts never send both).
    expect(parseNotice('oO5')).toEqual([{ type: 'orchestration-work' }]);
  });
});

describe.skipIf(!binary)('redis: notices', () => {
  let server: RedisServer | undefined;

  beforeAll(async () => {
    server = await startRedisServer({ binary });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends a running update only to listeners of every update; a terminal one reaches both', async () => {
    const storage = redisStorage({ url: server!.url, onUnsafeServer: 'ignore' });
    const hub = `notices-${randomUUID()}`;
    const terminal: StorageNotice[] = [];
    const all: StorageNotice[] = [];
    const offTerminal = storage.subscribe(hub, (n) => terminal.push(n), { instanceUpdates: 'terminal' });
    const offAll = storage.subscribe(hub, (n) => all.push(n));
    try {
      await startInstance(storage, hub, 'i1');
      const locked = await lockOne(storage, hub, 'i1');
      // A commit that leaves the instance running and makes no work: an update alone.
      await storage.commitOrchestration(hub, commitFor(locked, { status: 'Running', append: [locked.messages[0]!.event] }));
      await storage.sendMessages(hub, [message('i1', ev.raised('go'))]);
      const again = await lockOne(storage, hub, 'i1');
      await storage.commitOrchestration(hub, commitFor(again, { status: 'Completed', append: [again.messages[0]!.event, ev.completed()] }));
      const status = (list: StorageNotice[], st: string) => list.some((n) => n.type === 'instance-updated' && n.instanceId === 'i1' && n.status === st);
      await eventually(() => status(all, 'Completed') && status(terminal, 'Completed'), { what: 'the Completed update on both' });
      expect(status(all, 'Running')).toBe(true);
      expect(status(terminal, 'Running')).toBe(false);
      // The work notices reach both.
      expect(terminal.some((n) => n.type === 'orchestration-work')).toBe(true);
    } finally {
      offTerminal();
      offAll();
      await storage.close();
    }
  });

  it("a runtime's waits for completion and for a schedule's command both end", async () => {
    const storage = redisStorage({ url: server!.url, onUnsafeServer: 'ignore' });
    const runtime = createRuntime({
      storage,
      taskHub: `rt-${randomUUID()}`,
      orchestrators: {
        Steps: function* (ctx: { getInput(): number; callActivity(name: string, input: unknown): unknown }): Generator<unknown, number, number> {
          const a = yield ctx.callActivity('Add', ctx.getInput());
          return yield ctx.callActivity('Add', a);
        },
      },
      activities: { Add: (n: number) => n + 1 },
    });
    await runtime.start();
    try {
      const id = await runtime.client.startNew('Steps', { input: 0 });
      const done = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
      expect(done.output).toBe(2);
      // A schedule's command waits for any change of its running instance (the command's ack), not its end.
      await runtime.client.schedules.create({ scheduleId: 'hourly', orchestrator: 'Steps', every: 3_600_000, input: 0 });
      expect(await runtime.client.schedules.pause('hourly', 'maintenance')).toMatchObject({ paused: true, pauseReason: 'maintenance' });
      expect((await runtime.client.schedules.resume('hourly')).paused).toBe(false);
    } finally {
      await runtime.stop();
      await storage.close();
    }
  });
});
