/**
 * Keeps the leases this runtime holds alive: every `leaseMs / 2` one
 * renewLeases call extends all of them, so a long activity or a slow episode
 * is never taken over while it still runs. A runtime holds an item from the
 * moment it receives it (locked or leased to it in a commit) until it
 * finishes or gives it back, queued time included.
 */
import type { Clock } from '../clock.js';
import type { Storage } from '../storage/types.js';

export class LeaseKeeper {
  readonly #instances = new Map<string, string>();
  readonly #activities = new Map<string, string>();
  /** The instance of each held activity lease, for whoever is told it was lost. */
  readonly #activityInstances = new Map<string, string>();
  #timer: unknown;

  constructor(
    private readonly storage: Storage,
    private readonly hub: string,
    private readonly leaseMs: number,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    /** Called with the token of each held work item the store reports canceled. */
    private readonly onCanceled: (token: string) => void = () => {},
    /** Called with each held token a renewal reports lost, with its kind and instance. */
    private readonly onLost: (token: string, kind: 'orchestration' | 'activity', instanceId: string) => void = () => {},
  ) {}

  start(): void {
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  holdInstance(token: string, instanceId: string): void {
    this.#instances.set(token, instanceId);
  }

  holdActivity(token: string, workItemId: string, instanceId = ''): void {
    this.#activities.set(token, workItemId);
    this.#activityInstances.set(token, instanceId);
  }

  /** False once the store reported the lease lost (or it was dropped): the item must not start. */
  holds(token: string): boolean {
    return this.#instances.has(token) || this.#activities.has(token);
  }

  drop(token: string): void {
    this.#instances.delete(token);
    this.#activities.delete(token);
    this.#activityInstances.delete(token);
  }

  #schedule(): void {
    this.#timer = this.clock.setTimeout(() => void this.#renew(), Math.max(1, Math.floor(this.leaseMs / 2)));
  }

  async #renew(): Promise<void> {
    try {
      if (this.#instances.size > 0 || this.#activities.size > 0) {
        const { lostInstances, lostActivities, canceledActivities } = await this.storage.renewLeases(
          this.hub,
          {
            instances: [...this.#instances].map(([lockToken, instanceId]) => ({ instanceId, lockToken })),
            activities: [...this.#activities].map(([lockToken, workItemId]) => ({ workItemId, lockToken })),
          },
          this.leaseMs,
        );
        // A lost lease is no longer ours to renew; its commit will be refused (fencing).
        for (const token of [...lostInstances, ...lostActivities]) {
          const instanceId = this.#instances.get(token);
          const activityOf = this.#activityInstances.get(token);
          this.drop(token);
          this.onLost(token, instanceId === undefined ? 'activity' : 'orchestration', instanceId ?? activityOf ?? '');
        }
        for (const token of canceledActivities ?? []) this.onCanceled(token);
      }
    } catch (error) {
      this.onError(error);
    }
    if (this.#timer !== undefined) this.#schedule();
  }
}
