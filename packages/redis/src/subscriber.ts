/**
 * Notices over Redis pub/sub: one dedicated subscriber connection (a
 * duplicate of the command connection) per storage, two channels per hub:
 * `notices` (work, and instance updates with a terminal status or beside
 * work flags) and `notices:u` (the other instance updates: a commit that
 * leaves the instance running). A listener that asked for terminal updates
 * only (SubscribeOptions) listens on the first, so nobody receives the
 * running updates nobody waits for. The scripts publish at most one message
 * per run, on one of the two:
 * `<flags>` or `<flags>\n<status>\n<instanceId>` with flags `o`
 * (orchestration work) and `a` (activity work), or `O<ms>` / `A<ms>` (a
 * lease made without a lock call expires in <ms>: work notices with `inMs`).
 */
import type { Cluster, Redis } from 'ioredis';
import type { RuntimeStatus, StorageNotice } from '@reprise/core';

type Listener = (notice: StorageNotice) => void;

/** The digits after position `at` in `flags` (an 'O<ms>' / 'A<ms>' flag's duration). */
function msAfter(flags: string, at: number): number {
  let end = at + 1;
  while (end < flags.length && flags.charCodeAt(end) >= 48 && flags.charCodeAt(end) <= 57) end++;
  return Number(flags.slice(at + 1, end));
}

// Read on every worker for every message of the hub: index lookups, no regular expressions.
export function parseNotice(message: string): StorageNotice[] {
  const nl = message.indexOf('\n');
  const flags = nl < 0 ? message : message.slice(0, nl);
  const notices: StorageNotice[] = [];
  if (nl >= 0) {
    const nl2 = message.indexOf('\n', nl + 1);
    if (nl2 > nl + 1) notices.push({ type: 'instance-updated', status: message.slice(nl + 1, nl2) as RuntimeStatus, instanceId: message.slice(nl2 + 1) });
  }
  if (flags === '') return notices;
  const leasedO = flags.indexOf('O');
  const leasedA = flags.indexOf('A');
  if (flags.includes('o')) notices.push({ type: 'orchestration-work' });
  else if (leasedO >= 0) notices.push({ type: 'orchestration-work', inMs: msAfter(flags, leasedO) });
  if (flags.includes('a')) notices.push({ type: 'activity-work' });
  else if (leasedA >= 0) notices.push({ type: 'activity-work', inMs: msAfter(flags, leasedA) });
  return notices;
}

export class Subscriber {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #connection: Redis | Cluster;
  /** Settles once every SUBSCRIBE / UNSUBSCRIBE sent so far is acknowledged. */
  #pending: Promise<void> = Promise.resolve();
  #pendingCount = 0;
  #everReady = false;
  readonly #onListenerError: (error: unknown) => void;
  readonly #keyPrefix: string;

  constructor(source: Redis | Cluster, handlers: { onConnectionError(error: unknown): void; onListenerError(error: unknown): void; onReady(): void }) {
    this.#onListenerError = handlers.onListenerError;
    const options = source.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
    this.#keyPrefix = options.keyPrefix ?? options.redisOptions?.keyPrefix ?? '';
    // SUBSCRIBE is safe to re-send, and a lost one must not stay pending (settled() waits for it).
    this.#connection = 'isCluster' in source && source.isCluster ? source.duplicate() : (source as Redis).duplicate({ autoResendUnfulfilledCommands: true });
    this.#connection.on('error', handlers.onConnectionError);
    this.#connection.on('message', (channel: string, message: string) => this.#dispatch(channel, parseNotice(message)));
    // Notices published while the connection was down are lost: after a
    // reconnect, tell every listener that work may be waiting.
    this.#connection.on('ready', () => {
      handlers.onReady();
      if (this.#everReady) {
        // A listener on two channels (work and every update) hears it once.
        const all = new Set<Listener>();
        for (const set of this.#listeners.values()) for (const listener of set) all.add(listener);
        this.#tell(all, [{ type: 'resync' }]);
      }
      this.#everReady = true;
    });
  }

  /** Resolves once subscriptions made so far are in effect (a no-op when none is pending). */
  settled(): Promise<void> | undefined {
    return this.#pendingCount > 0 ? this.#pending : undefined;
  }

  add(channel: string, listener: Listener): () => void {
    // The scripts publish on a channel named like their keys, so a client's keyPrefix is part of it.
    channel = this.#keyPrefix + channel;
    let set = this.#listeners.get(channel);
    if (!set) {
      this.#listeners.set(channel, (set = new Set()));
      this.#track(this.#connection.subscribe(channel));
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.#listeners.delete(channel);
      this.#track(this.#connection.unsubscribe(channel));
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#pending;
    this.#connection.disconnect();
  }

  #track(operation: Promise<unknown>): void {
    this.#pendingCount += 1;
    const done = operation.then(
      () => undefined,
      () => undefined,
    );
    this.#pending = Promise.all([this.#pending, done]).then(() => {
      this.#pendingCount -= 1;
    });
  }

  #dispatch(channel: string, notices: StorageNotice[]): void {
    const set = this.#listeners.get(channel);
    if (set) this.#tell(set, notices);
  }

  #tell(set: Set<Listener>, notices: StorageNotice[]): void {
    for (const listener of [...set]) {
      for (const notice of notices) {
        try {
          listener(notice);
        } catch (error) {
          // a listener's failure is its own; the others still hear the notice
          this.#onListenerError(error);
        }
      }
    }
  }
}
