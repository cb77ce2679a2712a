/**
 * A virtual clock: implements core's `Clock` with timers kept in a list, so
 * time moves only when the test (or the time skipper) says so.
 *
 * `advance(ms)` fires the due timers in due-time order (ties in registration
 * order), setting `now()` to each timer's due time before its callback runs
 * and yielding one real macrotask turn after each, so async work started by
 * a callback (a work loop waking up, a lease renewal) gets to run in between.
 *
 * Time skipping: participants (test runtimes) register with the clock; a
 * background loop on the REAL event loop checks them, and when every
 * participant has been idle for a few consecutive turns and one of them
 * knows when its next work becomes visible (a durable timer, a delayed
 * start), the clock jumps there. Nothing else is ever skipped to: a
 * `waitForCompletion` timeout or a lease renewal alone never moves time.
 * A skip jumps (timers due on the way fire late, once); `advance` steps
 * through every due time.
 */
import type { Clock, ErrorHandler } from '@reprise/core';

// Captured at load so fake timers a test installs later do not drive the skipper.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;
const realClearImmediate = globalThis.clearImmediate;

/** One real macrotask turn: every pending microtask (promise continuation) runs first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

interface VirtualTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/** Something that runs work on the virtual clock (a test runtime). */
export interface TimeSkipParticipant {
  /** True when nothing is in flight: every instance waits on a timer, an event or nothing. */
  isIdle(): boolean;
  /** When the next piece of work becomes visible (virtual ms since epoch), if known. */
  nextWorkAt(): number | undefined;
}

export interface VirtualClockOptions {
  /** Initial time. @default the real current time */
  startTime?: Date | number;
  /**
   * Receives what a timer callback threw (time goes on regardless).
   * `createTestRuntime` passes its `onError` here.
   * @default logs with `console.error('[reprise/testing] a virtual timer callback threw:', error)`
   */
  onError?: ErrorHandler;
}

export class VirtualClock implements Clock {
  #now: number;
  #timers: VirtualTimer[] = [];
  #nextId = 1;
  #advancing: Promise<void> | undefined;
  #participants = new Set<TimeSkipParticipant>();
  #skipLoop: { cancel(): void } | undefined;
  #loopGeneration = 0;
  #idleTurns = 0;
  #skips = 0;
  readonly #onError: ErrorHandler;
  /** Skip to the next due work when every participant is idle. Set to false for manual control. */
  autoSkip = true;

  constructor(options: VirtualClockOptions = {}) {
    if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('onError must be a function');
    this.#onError = options.onError ?? ((error) => console.error('[reprise/testing] a virtual timer callback threw:', error));
    const start = options.startTime === undefined ? Date.now() : options.startTime instanceof Date ? options.startTime.getTime() : options.startTime;
    if (!Number.isFinite(start)) throw new TypeError('startTime must be a valid Date or a number of milliseconds');
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: VirtualTimer = { id: this.#nextId++, dueAt: this.#now + delay, callback };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const index = this.#timers.indexOf(handle as VirtualTimer);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer. */
  get nextTimerAt(): number | undefined {
    return this.#earliest()?.dueAt;
  }

  /** How many times the skipper has jumped ahead. */
  get skips(): number {
    return this.#skips;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new TypeError(`advance needs a non-negative number of milliseconds, got ${ms}`));
    return this.#serialize(() => this.#advanceTo(this.#now + ms));
  }

  /** Move time forward to `time` (never backwards), firing due timers. */
  advanceTo(time: Date | number): Promise<void> {
    const target = time instanceof Date ? time.getTime() : time;
    if (!Number.isFinite(target)) return Promise.reject(new TypeError('advanceTo needs a valid Date or number'));
    return this.#serialize(() => this.#advanceTo(Math.max(target, this.#now)));
  }

  // Time skipping ------------------------------------------------------------

  /** Register a participant; the skipper runs while at least one is registered. */
  attach(participant: TimeSkipParticipant): () => void {
    this.#participants.add(participant);
    this.#ensureSkipLoop();
    return () => {
      this.#participants.delete(participant);
      if (this.#participants.size === 0) {
        this.#skipLoop?.cancel();
        this.#skipLoop = undefined;
        this.#loopGeneration += 1;
      }
    };
  }

  /** Where the skipper would jump now, or undefined when it would not. */
  skipTarget(): number | undefined {
    if (this.#participants.size === 0) return undefined;
    let target: number | undefined;
    for (const p of this.#participants) {
      if (!p.isIdle()) return undefined;
      const at = p.nextWorkAt();
      if (at !== undefined && (target === undefined || at < target)) target = at;
    }
    return target;
  }

  #ensureSkipLoop(): void {
    if (this.#skipLoop !== undefined) return;
    const generation = ++this.#loopGeneration;
    const tick = async (): Promise<void> => {
      // Immediate turns while counting idle turns towards a skip; 1 ms polls while work
      // runs; 5 ms polls while everything waits on the outside world (an event, a test step).
      let delay = 5;
      if (this.autoSkip && this.#advancing === undefined) {
        const target = this.skipTarget();
        if (target === undefined) {
          this.#idleTurns = 0;
          delay = this.#allIdle() ? 5 : 1;
        } else if (++this.#idleTurns >= 3) {
          this.#idleTurns = 0;
          this.#skips += 1;
          await this.#serialize(() => this.#jumpTo(target));
          delay = 0;
        } else {
          delay = 0;
        }
      } else if (this.#advancing !== undefined) {
        delay = 1;
      }
      if (generation !== this.#loopGeneration) return; // detached (and maybe re-attached) meanwhile
      if (this.#participants.size === 0) {
        this.#skipLoop = undefined;
        return;
      }
      this.#schedule(tick, delay);
    };
    this.#schedule(tick, 0);
  }

  #schedule(tick: () => Promise<void>, delay: number): void {
    // Polls are unref'd: a forgotten stop() never keeps the process alive. The few
    // immediate turns before a skip stay ref'd: an unref'd immediate does not keep
    // the event loop from blocking in its poll phase, which would stall the skip.
    if (delay === 0) {
      const handle = realSetImmediate(() => void tick());
      this.#skipLoop = { cancel: () => realClearImmediate(handle) };
    } else {
      const handle = realSetTimeout(() => void tick(), delay);
      handle.unref?.();
      this.#skipLoop = { cancel: () => realClearTimeout(handle) };
    }
  }

  #allIdle(): boolean {
    for (const p of this.#participants) if (!p.isIdle()) return false;
    return true;
  }

  // Internals ----------------------------------------------------------------

  #earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.#timers) if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    return best;
  }

  async #serialize(run: () => Promise<void>): Promise<void> {
    while (this.#advancing) await this.#advancing;
    const done = run();
    this.#advancing = done.finally(() => {
      this.#advancing = undefined;
    });
    return done;
  }

  /**
   * The skipper's move: time jumps straight to `target`, then the timers due
   * by then fire in order, late, as after a machine wakes from sleep. Only
   * bookkeeping timers (lease renewals, say) can fall due before the work the
   * skip is for, and stepping through each of them would cost a real turn
   * every half lease.
   */
  async #jumpTo(target: number): Promise<void> {
    if (target > this.#now) this.#now = target;
    await this.#advanceTo(this.#now);
  }

  async #advanceTo(target: number): Promise<void> {
    for (;;) {
      const timer = this.#earliest();
      if (!timer || timer.dueAt > target) break;
      this.#timers.splice(this.#timers.indexOf(timer), 1);
      if (timer.dueAt > this.#now) this.#now = timer.dueAt;
      try {
        timer.callback();
      } catch (error) {
        // A timer callback that throws must not stop time (nor must the handler told about it).
        try {
          this.#onError(error);
        } catch (thrown) {
          console.error('[reprise/testing] onError threw', thrown, 'while handling', error);
        }
      }
      await nextTurn();
    }
    if (target > this.#now) this.#now = target;
    await nextTurn();
  }
}

export function createVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
  return new VirtualClock(options);
}
