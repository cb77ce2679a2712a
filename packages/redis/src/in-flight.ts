/**
 * Calls written on a connection that then drops. With
 * `autoResendUnfulfilledCommands: false`, ioredis 5 neither re-sends nor
 * settles a command whose reply was lost: its promise stays pending forever
 * (redis/ioredis#2193). So the storage tracks its own calls: a call is
 * "written" when issued while the connection is ready, or when the offline
 * queue it waited in is flushed (the 'ready' event); when the connection
 * closes, every written call still unsettled rejects with ConnectionLostError.
 * The server may or may not have applied it: only idempotent callers retry.
 */
import type { Redis } from 'ioredis';

export class ConnectionLostError extends Error {
  constructor() {
    super('the connection dropped before the reply arrived (the command may or may not have been applied)');
    this.name = 'ConnectionLostError';
  }
}

type Reject = (error: Error) => void;

export class InFlight {
  readonly #client: Redis;
  #written = new Set<Reject>();
  #queued = new Set<Reject>();

  constructor(client: Redis) {
    this.#client = client;
    client.on('close', () => {
      const lost = this.#written;
      this.#written = new Set();
      for (const reject of lost) reject(new ConnectionLostError());
    });
    // ioredis flushes its offline queue before it emits 'ready'.
    client.on('ready', () => {
      for (const reject of this.#queued) this.#written.add(reject);
      this.#queued.clear();
    });
  }

  track<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const set = this.#client.status === 'ready' ? this.#written : this.#queued;
      const entry: Reject = reject;
      set.add(entry);
      const forget = () => {
        this.#written.delete(entry);
        this.#queued.delete(entry);
      };
      send().then(
        (value) => {
          forget();
          resolve(value);
        },
        (error: unknown) => {
          forget();
          reject(error);
        },
      );
    });
  }

  /** Resolves once the connection is ready, false when `deadline` (epoch ms) passes first. */
  whenReady(deadline: number): Promise<boolean> {
    if (this.#client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        this.#client.off('end', onEnd);
        resolve(ok);
      };
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      this.#client.on('ready', onReady);
      this.#client.on('end', onEnd);
    });
  }
}
