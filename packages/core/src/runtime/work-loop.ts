/**
 * One dispatch loop: lock a batch of work, hand each item to a bounded
 * queue, and sleep when there is nothing, until the store signals new work
 * or the next item becomes visible. No busy polling.
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

  /** Slots free for more work right now (what eager dispatch may ask the store for). */
  get freeSlots(): number {
    return this.#running ? Math.max(0, this.#options.concurrency - this.#queue.pending - this.#queue.size) : 0;
  }

  /** Run an item that arrived already leased (eager dispatch), without a lock call. */
  push(item: T): void {
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
      try {
        result = await this.#options.lock(capacity);
        failures = 0;
      } catch (error) {
        this.#options.onError(error);
        await this.#sleep(ERROR_BACKOFF_MS[Math.min(failures++, ERROR_BACKOFF_MS.length - 1)]);
        continue;
      }
      for (const item of result.items) {
        void this.#queue.add(() => this.#options.handle(item)).catch((error: unknown) => this.#options.onError(error));
      }
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
