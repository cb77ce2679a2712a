import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/index.js';

describe('VirtualClock', () => {
  it('starts where told and moves only on advance', async () => {
    const clock = new VirtualClock({ startTime: new Date('2030-01-01T00:00:00Z') });
    expect(clock.now()).toBe(Date.parse('2030-01-01T00:00:00Z'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(Date.parse('2030-01-01T00:00:00Z'));
    await clock.advance(1500);
    expect(clock.now()).toBe(Date.parse('2030-01-01T00:00:01.500Z'));
  });

  it('fires due timers in due order, ties in registration order, with now() at each due time', async () => {
    const clock = new VirtualClock({ startTime: 0 });
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['c', clock.now()]), 300);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['b', clock.now()]), 100);
    const cancelled = clock.setTimeout(() => fired.push(['x', clock.now()]), 200);
    clock.clearTimeout(cancelled);
    await clock.advance(250);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 100],
    ]);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt).toBe(300);
    await clock.advance(50);
    expect(fired.at(-1)).toEqual(['c', 300]);
  });

  it('fires timers that callbacks schedule within the advanced span', async () => {
    const clock = new VirtualClock({ startTime: 0 });
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(clock.now());
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(45);
    expect(ticks).toEqual([10, 20, 30, 40]);
  });

  it('lets async work started by a timer run before the next one fires', async () => {
    const clock = new VirtualClock({ startTime: 0 });
    const log: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => log.push('async after first'));
    }, 10);
    clock.setTimeout(() => log.push('second'), 20);
    await clock.advance(30);
    expect(log).toEqual(['async after first', 'second']);
  });

  it('skips to the earliest work a participant reports, only while every participant is idle', async () => {
    const clock = new VirtualClock({ startTime: 0 });
    let idle = false;
    const detach = clock.attach({ isIdle: () => idle, nextWorkAt: () => 1_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clock.now()).toBe(0);
    idle = true;
    for (let i = 0; i < 100 && clock.now() === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(clock.now()).toBe(1_000_000);
    detach();
  });

  it('rejects bad input', async () => {
    const clock = new VirtualClock({ startTime: 0 });
    await expect(clock.advance(-1)).rejects.toThrow(TypeError);
    expect(() => new VirtualClock({ startTime: Number.NaN })).toThrow(TypeError);
  });
});
