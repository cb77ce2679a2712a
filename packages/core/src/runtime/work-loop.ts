/**
 * One dispatch loop: lock a batch of work, hand each item to a bounded
 * queue, and sleep when there is nothing, until the store signals new work
 * or the next item becomes visible (a timer comes due, a lease held
 * elsewhere expires). No busy polling.
 *
 * The loop never holds more items than it has slots: a lock call asks for
 * the free slots, and work a store leases to us in a commit (eager
 * dispatch) fills slots reserved before that commit (`reserve`), so no
 * leased item waits in the queue while its lease runs out.
 *
 * While `paused()` holds (a redelivered item waits to run alone, or runs),
 * the loop locks nothing and offers no free slots.
 */
import type { Clock } from '../clock.js';
import type { LockResult } from '../storage/types.js';
import { SlotQueue } from './slot-queue.js';

export interface WorkLoopOptions<T> {
  lock(max: number): Promise<LockResult<T>>;
  handle(item: T): Promise<void>;
  concurrency: number;
  clock: Clock;
  onError(error: unknown): void;
  /** True while the loop must lock nothing (notify() it when this ends). */
  paused?(): boolean;
  /** Called for every item the moment it arrives (locked or pushed), before it is queued. */
  received?(item: T): void;
  /** A lock call reported a redelivered item waiting (it asked for fresh items only). */
  redeliveredWaiting?(): void;
}

/** Slots set aside for the work items a commit may lease to us (eager dispatch). */
export interface Reservation<T> {
  /** How many slots were set aside (0 when none were free). */
  readonly slots: number;
  /** Queue the items the store leased to us and free the reservation. Call once, with [] on failure. */
  fill(items: readonly T[]): void;
}

const ERROR_BACKOFF_MS = [50, 100, 250, 500, 1000, 2000];

export class WorkLoop<T> {
  readonly #options: WorkLoopOptions<T>;
  readonly #queue: SlotQueue;
  #running = false;
  /** Set by notify(); tells a loop that finished a lock call to try again at once. */
  #signalled = false;
  #wake: (() => void) | undefined;
  /** While sleeping after a lock call: moves the wake-up earlier (a lease announced meanwhile). */
  #wakeEarlier: ((at: number) => void) | undefined;
  /** The earliest announced lease expiry since the last lock call began (clock time). */
  #wakeBy = Infinity;
  #waitingForSlot = false;
  #reserved = 0;
  /** Resolved when the last reservation is filled. */
  #unreserved: Array<() => void> = [];
  #done: Promise<void> | undefined;
  /** The lock call in flight: its items are in flight too, though not queued yet. */
  #locking: Promise<unknown> | undefined;

  constructor(options: WorkLoopOptions<T>) {
    this.#options = options;
    // A finished item frees a slot: that matters only to a loop waiting for one.
    this.#queue = new SlotQueue(
      options.concurrency,
      (error) => options.onError(error),
      () => {
        if (this.#waitingForSlot) this.notify();
      },
    );
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#run();
  }

  /** True while the loop sleeps with nothing in flight (the test kit skips time then). */
  get isIdle(): boolean {
    return !this.#running || (this.#wake !== undefined && this.#queue.pending === 0 && this.#queue.size === 0 && this.#reserved === 0);
  }

  /** Slots neither used, queued nor reserved. */
  get #capacity(): number {
    return this.#options.concurrency - this.#queue.pending - this.#queue.size - this.#reserved;
  }

  /** Slots free for more work right now (what eager dispatch may ask the store for); none while paused. */
  get freeSlots(): number {
    if (!this.#running || this.#options.paused?.()) return 0;
    return Math.max(0, this.#capacity);
  }

  /** True while an item is queued or running, a lock call is out, or slots are reserved. */
  get busy(): boolean {
    return this.#locking !== undefined || this.#queue.pending > 0 || this.#queue.size > 0 || this.#reserved > 0;
  }

  /**
   * Sets aside up to `wanted` free slots for work a store may lease to us in
   * one operation, so concurrent episodes never ask for the same slots.
   * `handingOver`: slots the caller's own item holds and frees right after
   * that operation (a step commit made inside an activity's slot), counted
   * as free; what lands in them waits in the queue only until the caller returns.
   */
  reserve(wanted: number, handingOver = 0): Reservation<T> {
    const usable = this.#running && !this.#options.paused?.();
    const slots = usable ? Math.max(0, Math.min(wanted, this.#capacity + handingOver)) : 0;
    this.#reserved += slots;
    let filled = false;
    return {
      slots,
      fill: (items) => {
        if (filled) return;
        filled = true;
        this.#reserved -= slots;
        for (const item of items) this.#dispatch(item);
        if (this.#reserved === 0) for (const resolve of this.#unreserved.splice(0)) resolve();
        // Slots left unused may be what a loop waiting for one needs.
        if (items.length < slots && this.#waitingForSlot) this.notify();
      },
    };
  }

  /** Resolves once nothing is queued, running, reserved or being locked (call while paused, or it may never settle). */
  async settled(): Promise<void> {
    while (this.busy) {
      await this.#locking;
      if (this.#reserved > 0) await new Promise<void>((resolve) => this.#unreserved.push(resolve));
      await this.#queue.onIdle();
    }
  }

  /** Run an item that arrived already leased without a lock call or a reservation (eager dispatch). */
  push(item: T): void {
    this.#dispatch(item);
  }

  #dispatch(item: T): void {
    this.#options.received?.(item);
    this.#queue.add(() => this.#options.handle(item));
  }

  /** New work may be visible. */
  notify(): void {
    this.#signalled = true;
    const wake = this.#wake;
    this.#wake = undefined;
    this.#wakeEarlier = undefined;
    wake?.();
  }

  /**
   * Work may become visible within `ms`: a lease made without a lock call (eager dispatch)
   * expires then, and its holder may have died. A loop asleep past that locks again by then.
   */
  notifyWithin(ms: number): void {
    const at = this.#options.clock.now() + Math.max(0, ms);
    if (at >= this.#wakeBy) return;
    this.#wakeBy = at;
    this.#wakeEarlier?.(at);
  }

  /** Stop locking new work; resolves once every handed-out item has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.notify();
    await this.#done;
    await this.#queue.onIdle();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      if (this.#options.paused?.()) {
        this.#signalled = false;
        await this.#sleep(undefined);
        continue;
      }
      const capacity = this.#capacity;
      if (capacity <= 0) {
        // Full: wait for a slot ('next'), whatever work notices came meanwhile; we lock as soon as one frees.
        this.#signalled = false;
        this.#waitingForSlot = true;
        await this.#sleep(undefined);
        this.#waitingForSlot = false;
        continue;
      }
      this.#signalled = false;
      // This lock call sees every lease announced so far; later announcements count again.
      this.#wakeBy = Infinity;
      let result: LockResult<T>;
      let locking: Promise<LockResult<T>>;
      try {
        locking = this.#options.lock(capacity);
      } catch (error) {
        locking = Promise.reject(error);
      }
      this.#locking = locking.catch(() => {});
      try {
        result = await locking;
        this.#locking = undefined;
        failures = 0;
      } catch (error) {
        this.#locking = undefined;
        this.#options.onError(error);
        await this.#sleep(ERROR_BACKOFF_MS[Math.min(failures++, ERROR_BACKOFF_MS.length - 1)]);
        continue;
      }
      for (const item of result.items) this.#dispatch(item);
      if (result.redeliveredWaiting) this.#options.redeliveredWaiting?.();
      if (result.items.length === 0 && !this.#signalled && !this.#options.paused?.()) await this.#sleep(result.nextVisibleInMs, true);
    }
  }

  /** Sleeps until notify(), or `ms`; `watchLeases`: or until the earliest lease announced meanwhile expires. */
  #sleep(ms: number | undefined, watchLeases = false): Promise<void> {
    if (this.#signalled || !this.#running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const { clock } = this.#options;
      let timer: unknown;
      let until = Infinity;
      const wakeAt = (at: number) => {
        if (at >= until) return;
        until = at;
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = clock.setTimeout(() => this.notify(), Math.max(1, at - clock.now()));
      };
      if (ms !== undefined) wakeAt(clock.now() + ms);
      if (watchLeases) {
        wakeAt(this.#wakeBy);
        this.#wakeEarlier = wakeAt;
      }
      this.#wake = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        resolve();
      };
    });
  }
}
