/**
 * The storage's connections: the command client (made from `url`, or the
 * caller's), its scripts, the server check at open(), and the subscriber
 * connection made on first subscribe. Every failure that is not already a
 * Reprise error surfaces as a StorageError.
 *
 * Two lanes: client calls (create, send, reads, queries) and a worker's
 * scripts (lock, commit, complete, renew...). Made from `url`, each lane has
 * its own connection, so an awaited start never queues behind the worker's
 * scripts in flight on one socket (a caller's client carries both lanes).
 * Each lane sends the commands of one event-loop turn in one socket write
 * (write-batch.ts). WAIT (waitForReplicas) counts the writes of the
 * connection it runs on, so it runs on the lane of the write it follows.
 *
 * No command is ever applied twice by this layer: the connection made from
 * `url` never re-sends a command whose reply was lost
 * (`autoResendUnfulfilledCommands: false`). Such a call fails, unless it is
 * idempotent (reads, and writes carrying a request id the script checks):
 * those are sent again, the same bytes, once the connection is back, for at
 * most RETRY_WINDOW_MS.
 */
import { Cluster, Redis } from 'ioredis';
import { StorageError, isRepriseError } from '@reprise/core';
import type { StorageNotice, SubscribeOptions } from '@reprise/core';
import type { Arg } from './codec.js';
import { hubKeys } from './keys.js';
import type { ResolvedOptions } from './options.js';
import { defineScripts } from './scripts/index.js';
import type { ScriptName, ScriptRunner } from './scripts/index.js';
import { ConnectionLostError, LostReplies } from './lost-replies.js';
import { REQUEST_TTL_MS } from './scripts/prelude.js';
import { checkServer } from './server-check.js';
import { Subscriber } from './subscriber.js';
import { WriteBatch } from './write-batch.js';

/** How long an idempotent call is retried after its connection dropped; well inside REQUEST_TTL_MS. */
const RETRY_WINDOW_MS = Math.min(60_000, REQUEST_TTL_MS / 4);

/** Which connection a call takes: client calls, or a worker's scripts. */
export type Lane = 'client' | 'worker';

interface LaneConnection {
  client: Redis | Cluster;
  run: ScriptRunner;
  /** On a client that does not re-send: settles commands whose reply was lost (else ioredis re-sends them). */
  lost?: LostReplies;
  /** On a connection the storage made: one socket write per event-loop turn. */
  batch?: WriteBatch;
}

interface Connection extends LaneConnection {
  /** The worker lane: its own connection when made from `url`, else this one. */
  worker: LaneConnection;
  opened: Promise<void>;
  /** Set once `opened` has resolved: calls then skip awaiting it. */
  ready: boolean;
  subscriber?: Subscriber;
}

const wrap = (error: unknown): never => {
  if (isRepriseError(error)) throw error;
  throw new StorageError(`Redis operation failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
};

export class Connections {
  readonly #options: ResolvedOptions;
  #current: Connection | undefined;
  /** Connection errors come in bursts while a server restarts: say each once. */
  #lastError = '';
  #warnedResend = false;

  /** Whether durable writes must be followed by `replicated()` (callers skip the call otherwise). */
  readonly waitsForReplicas: boolean;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.waitsForReplicas = options.waitForReplicas !== undefined;
  }

  /** Resolves once connected and the server is checked (idempotent). */
  async open(): Promise<void> {
    try {
      await this.#connect().opened;
    } catch (error) {
      wrap(error);
    }
  }

  async close(): Promise<void> {
    const conn = this.#current;
    this.#current = undefined;
    if (!conn) return;
    await conn.opened.catch(() => undefined);
    await conn.subscriber?.close();
    conn.lost?.dispose();
    if (conn.worker !== conn) conn.worker.lost?.dispose();
    if (this.#options.client) return;
    // QUIT lets queued replies arrive; a connection that is not up has nothing to flush.
    const quit = async (client: Redis | Cluster) => {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    };
    await Promise.all([quit(conn.client), ...(conn.worker !== conn ? [quit(conn.worker.client)] : [])]);
  }

  /**
   * Runs one script on a hub, after any subscription still being set up.
   * `idempotent`: running the same arguments twice applies them once (a
   * read-only script, or one that checks a request id in `args`), so a call
   * whose connection dropped is sent again once it is back.
   */
  script<T>(name: ScriptName, hub: string, args: Arg[], idempotent = false, lane: Lane = 'client'): Promise<T> {
    try {
      const anchor = hubKeys(hub).anchor;
      const conn = this.#connect();
      const on = lane === 'worker' ? conn.worker : conn;
      const send = () => {
        on.batch?.hold();
        return on.run(name, anchor, args) as Promise<T>;
      };
      // The hot path: open, no subscription pending, so go straight to the command.
      if (conn.ready && conn.subscriber?.settled() === undefined) return send().catch((error) => this.#recover(on, send, idempotent, error));
      return this.#scriptSlow(conn, on, send, idempotent);
    } catch (error) {
      return Promise.reject(error).catch(wrap);
    }
  }

  async #scriptSlow<T>(conn: Connection, on: LaneConnection, send: () => Promise<T>, idempotent: boolean): Promise<T> {
    try {
      await conn.opened;
      await conn.subscriber?.settled();
    } catch (error) {
      return wrap(error);
    }
    return send().catch((error) => this.#recover(on, send, idempotent, error));
  }

  /** Reads are idempotent: one whose connection dropped is sent again once it is back. */
  async read<T>(operation: (client: Redis | Cluster) => Promise<T>, lane: Lane = 'client'): Promise<T> {
    const conn = this.#connect();
    try {
      await conn.opened;
      // A waiter subscribes, then reads: its subscription must be live before the read is answered.
      await conn.subscriber?.settled();
    } catch (error) {
      return wrap(error);
    }
    const on = lane === 'worker' ? conn.worker : conn;
    const send = () => {
      on.batch?.hold();
      return operation(on.client);
    };
    return send().catch((error) => this.#recover(on, send, true, error));
  }

  /** After a failed call: send an idempotent one again once the connection is back, else fail. */
  async #recover<T>(on: LaneConnection, send: () => Promise<T>, idempotent: boolean, error: unknown): Promise<T> {
    const deadline = Date.now() + RETRY_WINDOW_MS;
    for (;;) {
      if (!idempotent || !(error instanceof ConnectionLostError) || !on.lost) return wrap(error);
      // Sent only on a ready connection, so it runs now and not from an offline queue much later.
      const current = this.#current;
      if (!current || (current !== on && current.worker !== on) || !(await on.lost.whenReady(deadline))) return wrap(error);
      try {
        return await send();
      } catch (next) {
        error = next;
      }
    }
  }

  /** WAIT for replicas after a durable write on `lane`, when the options ask for it. */
  async replicated(lane: Lane = 'client'): Promise<void> {
    const wanted = this.#options.waitForReplicas;
    if (!wanted) return;
    const acked = await this.read((client) => client.call('WAIT', wanted.replicas, wanted.timeoutMs) as Promise<number>, lane);
    if (acked < wanted.replicas) {
      throw new StorageError(
        `the write was applied on the primary but only ${acked} of ${wanted.replicas} replicas acknowledged it within ${wanted.timeoutMs} ms`,
      );
    }
  }

  subscribe(hub: string, listener: (notice: StorageNotice) => void, options?: SubscribeOptions): () => void {
    const conn = this.#connect();
    conn.subscriber ??= new Subscriber(conn.client, {
      onConnectionError: (error) => this.#connectionError(error),
      onListenerError: (error) => this.#options.onError(error),
      // With a caller's client this is the only connection of ours that says it is back.
      onReady: () => {
        this.#lastError = '';
      },
    });
    const keys = hubKeys(hub);
    const off = conn.subscriber.add(keys.channel, listener);
    if (options?.instanceUpdates === 'terminal') return off;
    const offUpdates = conn.subscriber.add(keys.updatesChannel, listener);
    return () => {
      off();
      offUpdates();
    };
  }

  /** An 'error' event of one of our connections, to `onError` as a StorageError. */
  #connectionError(error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    if (message === this.#lastError) return;
    this.#lastError = message;
    this.#options.onError(new StorageError(`Redis connection error: ${message}`, { cause: error }));
  }

  #connect(): Connection {
    if (this.#current) return this.#current;
    const options = this.#options;
    let client: Redis | Cluster;
    let worker: LaneConnection | undefined;
    if (options.client) {
      client = options.client;
    } else if (options.cluster) {
      // A Cluster follows MOVED/ASK and re-sends after a failover: creates, sends and purges carry request ids, commits are fenced.
      client = new Cluster(options.cluster.nodes, {
        enableAutoPipelining: false,
        lazyConnect: true,
        ...options.cluster.options,
        redisOptions: { ...options.redisOptions, ...options.cluster.options.redisOptions },
      });
      client.on('error', (error) => this.#connectionError(error));
      client.on('ready', () => {
        this.#lastError = '';
      });
    } else {
      client = this.#own();
      const own = this.#own();
      worker = { client: own, run: defineScripts(own), lost: new LostReplies(own), batch: new WriteBatch(own) };
    }
    const lost = resends(client) ? undefined : new LostReplies(client as Redis);
    if (options.client && !this.#warnedResend && !isCluster(client) && resends(client)) {
      this.#warnedResend = true;
      options.warn(
        '@reprise/redis: the client re-sends commands whose reply was lost after a reconnect (ioredis autoResendUnfulfilledCommands, on by default). ' +
          'Creates, sends and purges are safe (request ids) and commits are fenced, but a re-sent lock leases work nobody runs until its lease expires. ' +
          'Create the client with { autoResendUnfulfilledCommands: false }.',
      );
    }
    const batch = options.client ? undefined : new WriteBatch(client as Redis);
    const opened = checkServer(client, options.onUnsafeServer, options.warn);
    const conn: Connection = { client, run: defineScripts(client), lost, batch, worker: worker!, opened, ready: false };
    conn.worker = worker ?? conn;
    conn.opened.then(() => {
      conn.ready = true;
    }, () => {
      // A refused server (or a failed check): forget this connection so a later open() starts afresh.
      if (this.#current === conn) this.#current = undefined;
      void conn.subscriber?.close();
      conn.lost?.dispose();
      if (conn.worker !== conn) conn.worker.lost?.dispose();
      if (!options.client) {
        client.disconnect();
        conn.worker.client.disconnect();
      }
    });
    return (this.#current = conn);
  }

  /** A connection made from `url`. */
  #own(): Redis {
    // No ioredis auto-pipelining: it keeps one auto-pipeline per slot in flight and builds a
    // Pipeline per batch; plain commands stream without waiting, and WriteBatch gives them
    // one socket write per event-loop turn.
    // Never re-send a command whose reply was lost: it may have been applied (see the header).
    const client = new Redis(this.#options.url, {
      enableAutoPipelining: false,
      lazyConnect: true,
      ...this.#options.redisOptions,
      autoResendUnfulfilledCommands: false,
    });
    client.on('error', (error) => this.#connectionError(error));
    client.on('ready', () => {
      this.#lastError = '';
    });
    return client;
  }
}

const isCluster = (client: Redis | Cluster): client is Cluster => 'isCluster' in client && client.isCluster;

/** Whether ioredis re-sends this client's unanswered commands after a reconnect (a Cluster also retries them on another node). */
function resends(client: Redis | Cluster): boolean {
  return isCluster(client) || client.options.autoResendUnfulfilledCommands !== false;
}
