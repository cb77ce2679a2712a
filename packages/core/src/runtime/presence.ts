/**
 * The runtime's entry in the store's registry of live runtimes: the names it
 * serves, announced when it starts and every `leaseMs / 2` after, with a
 * time to live of `leaseMs` (gone like a lease when it stops beating: it may
 * have died), and marked stopped by `stop()`. `client.explain` reads the
 * registry to say who could run what an instance waits for.
 *
 * A failed heartbeat goes to onError and is tried again at the next beat:
 * the registry informs people, it never blocks work.
 */
import { hostname } from 'node:os';
import { nanoid } from 'nanoid';
import type { Clock } from '../clock.js';
import type { RuntimeRegistration, Storage } from '../storage/types.js';

export interface PresenceOptions {
  storage: Storage;
  hub: string;
  leaseMs: number;
  clock: Clock;
  onError: (error: unknown) => void;
  names: () => Pick<RuntimeRegistration, 'orchestrators' | 'activities' | 'entities'>;
}

export class RuntimePresence {
  readonly #options: PresenceOptions;
  #registration: RuntimeRegistration | undefined;
  #timer: unknown;
  #beating: Promise<void> | undefined;

  constructor(options: PresenceOptions) {
    this.#options = options;
  }

  /** Announces a new runtime id (one per start) and keeps beating until stop(). */
  async start(): Promise<void> {
    // Already announced (two start() calls racing): one registration, one timer.
    if (this.#registration) return;
    const { clock } = this.#options;
    this.#registration = { runtimeId: nanoid(), ...this.#options.names(), host: `${hostname()}:${process.pid}`, startedAt: clock.now() };
    await this.#beat();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const registration = this.#registration;
    this.#registration = undefined;
    // A beat in flight must land before the stop mark, or it would undo it.
    await this.#beating;
    if (registration) await this.#options.storage.stopRuntime(this.#options.hub, registration.runtimeId).catch(this.#options.onError);
  }

  async #beat(): Promise<void> {
    const { storage, hub, leaseMs, clock, onError } = this.#options;
    const registration = this.#registration;
    if (!registration) return;
    this.#beating = storage.heartbeatRuntime(hub, registration, leaseMs).catch(onError);
    await this.#beating;
    // stop() may have run while the beat was in flight.
    if (this.#registration === registration) this.#timer = clock.setTimeout(() => void this.#beat(), Math.max(1, Math.floor(leaseMs / 2)));
  }
}
