/**
 * Step commits: an episode's commit that leased its new work items to this
 * runtime may keep the instance leased to us for a short grace
 * (`OrchestrationCommit.keepLease`). The first of those items to finish
 * within the grace claims it: its result is applied to the cached executor
 * and committed with the next episode, in one store operation
 * (`completeActivities`). Everything else takes today's path: the item is
 * completed with `completeActivity`, and a grace nobody claimed lapses by
 * itself (a lapsed kept lease leaves the instance fresh, not redelivered) or
 * is given back at once when its items can no longer use it (shutdown, a
 * lost lease), so messages that came meanwhile wait no longer.
 *
 * Invariants:
 * - A grace is claimed at most once, and never after its deadline: half
 *   the kept lease, counted from the runtime's clock read before the commit
 *   (earlier than the store's), so the step commit has the other half to
 *   reach a busy store; one that lands late anyway is refused, never applied.
 * - Nothing here calls the store except to give back an unclaimed grace.
 */
import type { Clock } from '../clock.js';
import type { InstanceRecord } from '../storage/types.js';

export interface Grace {
  /** The instance row as the commit stored it. */
  instance: InstanceRecord;
  /** The kept lease's token. */
  lockToken: string;
  /** Clock time after which the grace is not used (its lease may have run out). */
  deadline: number;
  /** The work items' lease tokens that may claim it. */
  tokens: readonly string[];
}

export class StepGraces {
  readonly #byItem = new Map<string, Grace>();

  constructor(
    private readonly clock: Clock,
    /** Gives a kept lease back (releaseInstance). */
    private readonly release: (grace: Grace) => Promise<void>,
  ) {}

  keep(grace: Grace): void {
    for (const token of grace.tokens) this.#byItem.set(token, grace);
  }

  /** The grace an item's result may be committed with: its own, unclaimed, within its deadline. Claimed (or dropped) either way. */
  claim(itemToken: string): Grace | undefined {
    const grace = this.#forget(itemToken);
    return grace && this.clock.now() < grace.deadline ? grace : undefined;
  }

  /** Whether the item may still claim (or must settle) a grace; most items have claimed theirs by the time they end. */
  holds(itemToken: string): boolean {
    return this.#byItem.has(itemToken);
  }

  /** The item ended without claiming its grace (given back, lease lost): give the instance back now if nobody else may still claim it. */
  async settle(itemToken: string): Promise<void> {
    const grace = this.#byItem.get(itemToken);
    if (!grace) return;
    this.#byItem.delete(itemToken);
    if (grace.tokens.some((token) => this.#byItem.get(token) === grace)) return; // a sibling may still claim it
    if (this.clock.now() < grace.deadline) await this.release(grace);
  }

  #forget(itemToken: string): Grace | undefined {
    const grace = this.#byItem.get(itemToken);
    if (grace) for (const token of grace.tokens) if (this.#byItem.get(token) === grace) this.#byItem.delete(token);
    return grace;
  }
}
