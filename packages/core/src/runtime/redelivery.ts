/**
 * Redelivered work runs alone in this process.
 *
 * An item is redelivered (deliveries > 1) when an earlier holder died with
 * it. To charge the next crash to the item that caused it and to nothing
 * else, a redelivered item is never taken beside other work:
 * - the work loops lock fresh items only (`redelivered: false`); the store
 *   tells them when a redelivered item is waiting;
 * - this process then stops taking work (both loops pause and ask for no
 *   eager work), lets its in-flight work finish, and only then locks with
 *   redelivered items allowed: one comes alone and runs alone, the next one
 *   after it ends;
 * - when that lock call hands out fresh items instead (another worker took
 *   the redelivered one), they go to their loop, and both loops resume.
 * A redelivered item is not leased, so not charged, while this process
 * drains: healthy work is charged for a crash it did not cause only as
 * fresh work running beside a fresh poison item, once per poison item.
 * Fresh work (the hot path) never waits here and costs nothing extra.
 *
 * The price: a worker that learns of a redelivered item takes no new work
 * until its in-flight work has finished, so a long activity in flight
 * delays recovery; every worker that sees the item waiting drains, and one
 * of them takes it. Recovery after a crash is one item at a time per worker.
 */
import type { Clock } from '../clock.js';

export type WorkKind = 'orchestration' | 'activity';

/** One item of a lock call that allowed redelivered items; its lease is held from the moment it was locked. */
export interface RecoveredItem {
  /** Handed out before (deliveries > 1): it runs alone. */
  readonly redelivered: boolean;
  /** Runs the item. */
  run(): Promise<void>;
  /** Queues a fresh item in its work loop. */
  queue(): void;
  /** Hands the item back unrun (shutdown), refunding its handout. */
  giveBack(): Promise<void>;
}

export interface RedeliveryOptions {
  /** Resolves once both work loops have nothing queued, running, reserved or being locked. */
  settled(): Promise<void>;
  /** Wakes both work loops (isolation ended). */
  resume(): void;
  /** One lock call of `kind` that may hand out a redelivered item (made once this process has settled). */
  lock(kind: WorkKind): Promise<RecoveredItem[]>;
  clock: Clock;
  onError(error: unknown): void;
}

/** After a failed lock call, before the loops learn of the waiting item again. */
const RETRY_MS = 500;

export class Redelivery {
  readonly #options: RedeliveryOptions;
  readonly #waiting = new Set<WorkKind>();
  #pumping: Promise<void> | undefined;
  #stopping = false;

  constructor(options: RedeliveryOptions) {
    this.#options = options;
  }

  /** True while redelivered work waits or runs: the work loops lock nothing. */
  get active(): boolean {
    return this.#waiting.size > 0 || this.#pumping !== undefined;
  }

  /** A lock call of `kind` reported a redelivered item waiting: drain, then take it alone. */
  waiting(kind: WorkKind): void {
    if (this.#stopping) return;
    this.#waiting.add(kind);
    this.#pumping ??= this.#pump();
  }

  /** Allows recovering again after stop(). */
  start(): void {
    this.#stopping = false;
  }

  /** Takes no more redelivered work and waits for the item running, if any. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#waiting.clear();
    await this.#pumping;
  }

  async #pump(): Promise<void> {
    const { onError } = this.#options;
    try {
      while (this.#waiting.size > 0 && !this.#stopping) {
        await this.#options.settled();
        const [kind] = this.#waiting;
        if (kind === undefined || this.#stopping) break;
        this.#waiting.delete(kind);
        let items: RecoveredItem[];
        try {
          items = await this.#options.lock(kind);
        } catch (error) {
          onError(error);
          await new Promise<void>((resolve) => this.#options.clock.setTimeout(resolve, RETRY_MS));
          continue;
        }
        if (this.#stopping) {
          await Promise.all(items.map((item) => item.giveBack().catch(onError)));
          break;
        }
        const [first] = items;
        if (items.length === 1 && first!.redelivered) {
          this.#waiting.add(kind); // more may wait: the next lock call tells
          await first!.run().catch(onError);
        } else {
          for (const item of items) item.queue();
        }
      }
    } finally {
      this.#pumping = undefined;
      this.#options.resume();
    }
  }
}
