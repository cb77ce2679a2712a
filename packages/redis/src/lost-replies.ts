/**
 * Commands written on a connection that then drops. With
 * `autoResendUnfulfilledCommands: false`, ioredis 5 neither re-sends nor
 * settles a command whose reply was lost: its promise stays pending forever,
 * and with auto-pipelining every later command of that slot waits behind it
 * (redis/ioredis#2193, fixed upstream by rejecting them, #2194). Until the
 * pinned ioredis does that itself, the storage does: when the connection
 * closes, each command still waiting for a reply rejects with
 * ConnectionLostError. The server may or may not have applied it: only
 * idempotent callers send it again.
 */
import type { Redis } from 'ioredis';

export class ConnectionLostError extends Error {
  constructor() {
    super('the connection dropped before the reply arrived (the command may or may not have been applied)');
    this.name = 'ConnectionLostError';
  }
}

/** The part of ioredis's internals this relies on (5.x): the queue of written commands kept across a reconnect. */
interface Unfulfilled {
  prevCommandQueue?: { length: number; shift(): { command?: { reject(error: Error): void } } | undefined } | null;
}

export class LostReplies {
  readonly #client: Redis;

  // ioredis stashes the written commands in `prevCommandQueue` just before it emits 'close'
  // and, not re-sending, drops that stash unsettled at 'ready'.
  readonly #onClose = () => {
    const stash = (this.#client as unknown as Unfulfilled).prevCommandQueue;
    if (!stash) return;
    for (let item = stash.shift(); item; item = stash.shift()) item.command?.reject(new ConnectionLostError());
  };

  constructor(client: Redis) {
    this.#client = client;
    client.on('close', this.#onClose);
  }

  /** Stops listening (the client may be the caller's and outlive the storage). */
  dispose(): void {
    this.#client.off('close', this.#onClose);
  }

  /** Resolves true once the connection is ready, false when `deadline` (epoch ms) passes first or the client ends. */
  whenReady(deadline: number): Promise<boolean> {
    const client = this.#client;
    if (client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        resolve(ok);
      };
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      client.on('ready', onReady);
      client.on('end', onEnd);
    });
  }
}
