/**
 * The work loop's slot accounting and wake-ups, and the lease keeper's view
 * of lost leases: the pieces that keep a leased item from waiting unrenewed
 * in a local queue, or sleeping workers from missing a lease that lapses.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '@reprise/core';
import type { ActivityWorkItem, LockResult } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { LeaseKeeper } from '../src/runtime/leases.js';
import { WorkLoop } from '../src/runtime/work-loop.js';
import { eventually, sleep } from './helpers.js';

/** A loop of `concurrency` slots whose items run until released; records lock calls and arrivals. */
function loopOf(concurrency: number, lockResult: () => LockResult<string> = () => ({ items: [] }), paused?: () => boolean) {
  const locks: number[] = [];
  const received: string[] = [];
  const running = new Map<string, () => void>();
  const loop = new WorkLoop<string>({
    concurrency,
    clock: systemClock,
    onError: (error) => {
      throw error;
    },
    lock: async (max) => {
      locks.push(max);
      return lockResult();
    },
    received: (item) => received.push(item),
    handle: (item) => new Promise<void>((resolve) => running.set(item, resolve)),
    ...(paused && { paused }),
  });
  return { loop, locks, received, running };
}

describe('WorkLoop', () => {
  it('reserves only free slots: concurrent reservations never promise the same slot twice', async () => {
    const { loop, received, running } = loopOf(3);
    loop.start();
    await eventually(async () => loop.isIdle);
    const first = loop.reserve(2);
    const second = loop.reserve(2);
    expect([first.slots, second.slots]).toEqual([2, 1]);
    expect(loop.freeSlots).toBe(0);
    expect(loop.reserve(1).slots).toBe(0);

    first.fill(['a']); // the store leased one of the two
    expect(received).toEqual(['a']);
    await eventually(async () => running.has('a'));
    expect(loop.freeSlots).toBe(1); // 'a' runs, the unused slot is free again, 'second' still holds one
    second.fill([]);
    expect(loop.freeSlots).toBe(2);
    running.get('a')!();
    await loop.stop();
  });

  it('a reservation may count the slot its caller hands over (a step commit inside an activity slot), never while paused or stopped', async () => {
    let paused = false;
    const { loop, running } = loopOf(1, undefined, () => paused);
    loop.start();
    await eventually(async () => loop.isIdle);
    const own = loop.reserve(1);
    own.fill(['a']);
    await eventually(async () => running.has('a'));
    expect(loop.reserve(1).slots).toBe(0);
    const handover = loop.reserve(2, 1);
    expect(handover.slots).toBe(1);
    handover.fill([]);
    paused = true;
    expect(loop.reserve(1, 1).slots).toBe(0);
    paused = false;
    running.get('a')!();
    await loop.stop();
    expect(loop.reserve(1, 1).slots).toBe(0);
  });

  it('a lock call asks only for slots neither running nor reserved', async () => {
    let items: string[] = [];
    const { loop, locks, running } = loopOf(4, () => {
      const result = { items };
      items = [];
      return result;
    });
    loop.start();
    await eventually(async () => loop.isIdle);
    const held = loop.reserve(2);
    items = ['x'];
    loop.notify();
    await eventually(async () => running.has('x') && locks.length >= 3);
    // 4 slots; then 2 reserved; then 'x' runs too (a call that got items looks again at once).
    expect(locks.slice(0, 3)).toEqual([4, 2, 1]);
    held.fill([]);
    running.get('x')!();
    await loop.stop();
  });

  it('settled() waits for a reservation to be filled and its items to finish', async () => {
    const { loop, running } = loopOf(2);
    loop.start();
    await eventually(async () => loop.isIdle);
    const reservation = loop.reserve(1);
    let settled = false;
    const settling = loop.settled().then(() => (settled = true));
    await sleep(20);
    expect(settled).toBe(false);
    reservation.fill(['a']);
    await sleep(20);
    expect(settled).toBe(false);
    running.get('a')!();
    await settling;
    await loop.stop();
  });

  it('notifyWithin wakes a loop asleep without a deadline by then, without waking it at once', async () => {
    const { loop, locks } = loopOf(1);
    loop.start();
    await eventually(async () => loop.isIdle);
    expect(locks).toHaveLength(1);
    loop.notifyWithin(150);
    await sleep(50);
    expect(locks).toHaveLength(1);
    await eventually(() => locks.length === 2, { timeoutMs: 2000 });
    await loop.stop();
  });

  it('a lock call that reports a redelivered item waiting hands the loop to its handler instead of sleeping', async () => {
    let waiting = 0;
    let paused = false;
    const loop = new WorkLoop<string>({
      concurrency: 2,
      clock: systemClock,
      onError: () => {},
      lock: async () => ({ items: [], redeliveredWaiting: true }),
      handle: async () => {},
      paused: () => paused,
      redeliveredWaiting: () => {
        waiting++;
        paused = true;
      },
    });
    loop.start();
    await eventually(async () => waiting === 1);
    expect(loop.freeSlots).toBe(0); // paused: no eager work either
    await loop.stop();
  });
});

describe('LeaseKeeper', () => {
  it('knows a lease it found lost: the item must not start', async () => {
    const storage = memoryStorage();
    const hub = 'keeper';
    await storage.createInstance(hub, { instanceId: 'i', kind: 'orchestration', name: 'O', executionId: 'e', status: 'Pending', createdAt: 0, updatedAt: 0, historyLength: 0 }, { instanceId: 'i', event: { EventType: 'ExecutionStarted', Timestamp: new Date(0).toISOString(), Name: 'O' } as never });
    const [locked] = (await storage.lockInstances(hub, { max: 1, leaseMs: 60_000 })).items;
    await storage.commitOrchestration(hub, {
      instanceId: 'i',
      lockToken: locked!.lockToken,
      instance: { ...locked!.instance, status: 'Running', historyLength: 1 },
      history: { append: [locked!.messages[0]!.event] },
      consumedMessageIds: [locked!.messages[0]!.id],
      messages: [],
      activities: [{ instanceId: 'i', executionId: 'e', taskScheduledId: 0, name: 'A' }],
      logs: [],
    });
    const [item] = (await storage.lockActivities(hub, { max: 1, leaseMs: 20 })).items as [ActivityWorkItem];
    const keeper = new LeaseKeeper(storage, hub, 40, systemClock, () => {});
    keeper.holdActivity(item.lockToken, item.id);
    expect(keeper.holds(item.lockToken)).toBe(true);
    await sleep(30); // the lease lapses before the first renewal (every 20 ms)...
    await storage.lockActivities(hub, { max: 1, leaseMs: 60_000 }); // ...and another worker takes the item
    keeper.start();
    await eventually(() => !keeper.holds(item.lockToken), { timeoutMs: 2000 });
    keeper.stop();
  });
});
