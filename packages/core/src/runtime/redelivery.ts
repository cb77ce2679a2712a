/**
 * Redelivered work runs alone in this process.
 *
 * An item is redelivered (deliveries > 1) when an earlier holder died with
 * it. To charge the next crash to the item that caused it and to nothing
 * else, a redelivered item runs in isolation:
 * - while one is held or running, neither work loop locks anything or asks
 *   the store for eager work (both are paused);
 * - it starts only once both loops have settled (nothing queued, running or
 *   being locked), and the next held one only after it ends;
 * - when none is left, both loops resume.
 * So a crash while it runs is attributable to it alone, and healthy work is
 * charged for a crash it did not cause only as fresh work beside it, or
 * while held waiting for the fresh work in flight to finish (a crash of
 * that fresh work): both bounded by the number of distinct poison items.
 * Fresh work (the hot path) never waits here and costs nothing extra.
 *
 * The price: a redelivered item waits for this worker's in-flight work, and
 * the worker takes no new work meanwhile; a long activity in flight delays
 * it (other workers keep going). Recovery after a crash is one item at a
 * time per worker.
 */
export interface HeldItem {
  /** Runs the item (its leases are held from the moment it was taken). */
  run(): Promise<void>;
  /** Hands the item back to the store unrun (shutdown), refunding its handout. */
  giveBack(): Promise<void>;
}

export interface RedeliveryOptions {
  /** Resolves once both work loops have nothing queued, running or being locked. */
  settled(): Promise<void>;
  /** Wakes both work loops (isolation ended). */
  resume(): void;
  onError(error: unknown): void;
}

export class Redelivery {
  readonly #options: RedeliveryOptions;
  readonly #held: HeldItem[] = [];
  #pumping: Promise<void> | undefined;
  #stopping = false;

  constructor(options: RedeliveryOptions) {
    this.#options = options;
  }

  /** True while a redelivered item waits or runs: the work loops lock nothing. */
  get active(): boolean {
    return this.#held.length > 0 || this.#pumping !== undefined;
  }

  /** Takes a redelivered item aside; it runs once this process has settled, alone. */
  hold(item: HeldItem): void {
    if (this.#stopping) {
      void item.giveBack().catch(this.#options.onError);
      return;
    }
    this.#held.push(item);
    this.#pumping ??= this.#pump();
  }

  /** Allows holding again after stop(). */
  start(): void {
    this.#stopping = false;
  }

  /** Gives back every item not yet run and waits for the one running, if any. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const unrun = this.#held.splice(0);
    await Promise.all(unrun.map((item) => item.giveBack().catch(this.#options.onError)));
    await this.#pumping;
  }

  async #pump(): Promise<void> {
    try {
      while (this.#held.length > 0 && !this.#stopping) {
        await this.#options.settled();
        const next = this.#held.shift();
        if (!next) break;
        try {
          await next.run();
        } catch (error) {
          this.#options.onError(error);
        }
      }
    } finally {
      this.#pumping = undefined;
      this.#options.resume();
    }
  }
}
