/**
 * The bounded queue behind a work loop: runs at most `concurrency` tasks at
 * once, starting queued ones in arrival order as slots free. What p-queue did
 * for the loop, without its per-item promise, events and options: one array
 * push and one call per item on the hot path.
 *
 * Invariants:
 * - A task's failure (thrown or rejected) goes to `onError` and frees its slot like a success.
 * - `onFreed` runs after each task settles, once its slot is free and the next queued task (if any) started.
 * - `onIdle()` resolves once nothing is queued or running.
 */
export class SlotQueue {
  readonly #concurrency: number;
  readonly #onError: (error: unknown) => void;
  readonly #onFreed: () => void;
  #queued: Array<() => Promise<void>> = [];
  /** Index of the next queued task (the array is compacted when drained). */
  #head = 0;
  #running = 0;
  #idle: Array<() => void> = [];

  constructor(concurrency: number, onError: (error: unknown) => void, onFreed: () => void) {
    this.#concurrency = concurrency;
    this.#onError = onError;
    this.#onFreed = onFreed;
  }

  /** Tasks running now. */
  get pending(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get size(): number {
    return this.#queued.length - this.#head;
  }

  add(task: () => Promise<void>): void {
    if (this.#running < this.#concurrency) this.#start(task);
    else this.#queued.push(task);
  }

  onIdle(): Promise<void> {
    if (this.#running === 0 && this.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #start(task: () => Promise<void>): void {
    this.#running += 1;
    let running: Promise<void>;
    try {
      running = task();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(this.#settled, this.#failed);
  }

  readonly #failed = (error: unknown): void => {
    this.#onError(error);
    this.#settled();
  };

  readonly #settled = (): void => {
    this.#running -= 1;
    if (this.#head < this.#queued.length) {
      const next = this.#queued[this.#head]!;
      this.#queued[this.#head++] = undefined as never;
      if (this.#head === this.#queued.length) {
        this.#queued = [];
        this.#head = 0;
      }
      this.#start(next);
    }
    this.#onFreed();
    if (this.#running === 0 && this.size === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve();
  };
}
