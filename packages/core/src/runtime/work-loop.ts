/**
 * One dispatch loop: lock a batch of work, hand each item to a bounded
 * queue, and sleep when there is nothing, until the store signals new work
 * or the next item becomes visible. No busy polling.
 *
 * While `paused()` holds (a redelivered item waits to run alone, or runs),
 * the loop locks nothing and offers no free slots; `hold(item)` takes
 * redelivered items aside instead of queueing them.
 */
import PQueue from 'p-queue';
import type { Clock } from '../clock.js';
import type { LockResult } from '../storage/types.js';

export interface WorkLoopOptions<T> {
  lock(max: number): Promise<LockResult<T>>;
  handle(item: T): Promise<void>;
  concurrency: number;
  clock: Clock;
  onError(error: unknown): void;
  /** True while the loop must lock nothing (notify() it when this ends). */
  paused?(): boolean;
  /** Takes an item that must not run in this queue (a redelivered one); true when taken. */
  hold?(item: T): boolean;
}

const ERROR_BACKOFF_MS = [50, 100, 250, 500, 1000, 2000];

export class WorkLoop<T> {
  readonly #options: WorkLoopOptions<T>;
  readonly #queue: PQueue;
  #running = false;
  /** Set by notify(); tells a loop that finished a lock call to try again at once. */
  #signalled = false;
  #wake: (() => void) | undefined;
  #waitingForSlot = false;
  #done: Promise<void> | undefined;
  /** The lock call in flight: its items are in flight too, though not queued yet. */
  #locking: Promise<unknown> | undefined;

  constructor(options: WorkLoopOptions<T>) {
    this.#options = options;
    this.#queue = new PQueue({ concurrency: options.concurrency });
    // A finished item frees a slot: that matters only to a loop waiting for one.
    this.#queue.on('next', () => {
      if (this.#waitingForSlot) this.notify();
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#run();
  }

  /** True while the loop sleeps with nothing in flight (the test kit skips time then). */
  get isIdle(): boolean {
    return !this.#running || (this.#wake !== undefined && this.#queue.pending === 0 && this.#queue.size === 0);
  }

  /** Slots free for more work right now (what eager dispatch may ask the store for); none while paused. */
  get freeSlots(): number {
    if (!this.#running || this.#options.paused?.()) return 0;
    return Math.max(0, this.#options.concurrency - this.#queue.pending - this.#queue.size);
  }

  /** True while an item is queued or running, or a lock call is out. */
  get busy(): boolean {
    return this.#locking !== undefined || this.#queue.pending > 0 || this.#queue.size > 0;
  }

  /** Resolves once nothing is queued, running or being locked (call while paused, or it may never settle). */
  async settled(): Promise<void> {
    while (this.busy) {
      await this.#locking;
      await this.#queue.onIdle();
    }
  }

  /** Run an item that arrived already leased (eager dispatch), without a lock call. */
  push(item: T): void {
    this.#dispatch(item);
  }

  #dispatch(item: T): void {
    if (this.#options.hold?.(item)) return;
    void this.#queue.add(() => this.#options.handle(item)).catch((error: unknown) => this.#options.onError(error));
  }

  /** New work may be visible. */
  notify(): void {
    this.#signalled = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
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
      const capacity = this.#options.concurrency - this.#queue.pending - this.#queue.size;
      if (capacity <= 0) {
        // Full: wait for a slot ('next'), whatever work notices came meanwhile; we lock as soon as one frees.
        this.#signalled = false;
        this.#waitingForSlot = true;
        await this.#sleep(undefined);
        this.#waitingForSlot = false;
        continue;
      }
      this.#signalled = false;
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
      if (result.items.length === 0 && !this.#signalled) await this.#sleep(result.nextVisibleInMs);
    }
  }

  #sleep(ms: number | undefined): Promise<void> {
    if (this.#signalled || !this.#running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const { clock } = this.#options;
      const timer = ms === undefined ? undefined : clock.setTimeout(() => this.notify(), Math.max(1, ms));
      this.#wake = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        resolve();
      };
    });
  }
}
