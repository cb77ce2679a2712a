/**
 * The test kit's error channel (issue 13, point 6): a virtual timer callback
 * that throws reaches the clock's `onError` (createTestRuntime passes its
 * own), and time goes on; without one it is logged as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock, createTestRuntime } from '../src/index.js';
import { deterministic } from './fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('virtual clock: onError', () => {
  it('receives what a timer callback threw; later timers still fire; nothing is printed', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const received: unknown[] = [];
    const clock = new VirtualClock({ startTime: 0, onError: (error) => received.push(error) });
    const failure = new Error('a timer bug');
    const fired: number[] = [];
    clock.setTimeout(() => {
      throw failure;
    }, 10);
    clock.setTimeout(() => fired.push(clock.now()), 20);
    await clock.advance(30);
    expect(received).toEqual([failure]);
    expect(fired).toEqual([20]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('logs with console.error by default', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const clock = new VirtualClock({ startTime: 0 });
    const failure = new Error('a timer bug');
    clock.setTimeout(() => {
      throw failure;
    }, 10);
    await clock.advance(10);
    expect(consoleError).toHaveBeenCalledWith('[reprise/testing] a virtual timer callback threw:', failure);
  });

  it("createTestRuntime's onError hears its clock's timer errors too", async () => {
    const consoleError = vi.spyOn(console, 'error');
    const received: unknown[] = [];
    const rt = await createTestRuntime({ orchestrators: deterministic }, { autoSkip: false, onError: (error) => received.push(error) });
    try {
      const failure = new Error('a timer bug');
      rt.clock.setTimeout(() => {
        throw failure;
      }, 10);
      await rt.clock.advance(10);
      expect(received).toEqual([failure]);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await rt.stop();
    }
  });

  it('refuses an onError that is not a function', () => {
    expect(() => new VirtualClock({ onError: 'log' as unknown as (error: unknown) => void })).toThrow(TypeError);
  });
});
