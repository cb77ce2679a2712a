/**
 * The storage's connections: the command client (made from `url`, or the
 * caller's), its scripts, the server check at open(), and the subscriber
 * connection made on first subscribe. Every failure that is not already a
 * Reprise error surfaces as a StorageError.
 */
import { Redis } from 'ioredis';
import type { Cluster } from 'ioredis';
import { StorageError, isRepriseError } from '@reprise/core';
import type { StorageNotice } from '@reprise/core';
import type { Arg } from './codec.js';
import { hubKeys } from './keys.js';
import type { ResolvedOptions } from './options.js';
import { defineScripts } from './scripts/index.js';
import type { ScriptName, ScriptRunner } from './scripts/index.js';
import { checkServer } from './server-check.js';
import { Subscriber } from './subscriber.js';

interface Connection {
  client: Redis | Cluster;
  run: ScriptRunner;
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
    if (this.#options.client) return;
    // QUIT lets queued replies arrive; a connection that is not up has nothing to flush.
    if (conn.client.status === 'ready') await conn.client.quit().catch(() => conn.client.disconnect());
    else conn.client.disconnect();
  }

  /** Runs one script on a hub, after any subscription still being set up. */
  script<T>(name: ScriptName, hub: string, args: Arg[]): Promise<T> {
    try {
      const anchor = hubKeys(hub).anchor;
      const conn = this.#connect();
      // The hot path: open, no subscription pending, so go straight to the command.
      if (conn.ready && conn.subscriber?.settled() === undefined) return (conn.run(name, anchor, args) as Promise<T>).catch(wrap);
      return this.#scriptSlow(conn, name, anchor, args);
    } catch (error) {
      return Promise.reject(error).catch(wrap);
    }
  }

  async #scriptSlow<T>(conn: Connection, name: ScriptName, anchor: string, args: Arg[]): Promise<T> {
    try {
      await conn.opened;
      await conn.subscriber?.settled();
      return (await conn.run(name, anchor, args)) as T;
    } catch (error) {
      return wrap(error);
    }
  }

  async read<T>(operation: (client: Redis | Cluster) => Promise<T>): Promise<T> {
    const conn = this.#connect();
    try {
      await conn.opened;
      return await operation(conn.client);
    } catch (error) {
      return wrap(error);
    }
  }

  /** WAIT for replicas after a durable write, when the options ask for it. */
  async replicated(): Promise<void> {
    const wanted = this.#options.waitForReplicas;
    if (!wanted) return;
    const acked = await this.read((client) => client.call('WAIT', wanted.replicas, wanted.timeoutMs) as Promise<number>);
    if (acked < wanted.replicas) {
      throw new StorageError(
        `the write was applied on the primary but only ${acked} of ${wanted.replicas} replicas acknowledged it within ${wanted.timeoutMs} ms`,
      );
    }
  }

  subscribe(hub: string, listener: (notice: StorageNotice) => void): () => void {
    const conn = this.#connect();
    conn.subscriber ??= new Subscriber(conn.client, (error) => this.#onError(error));
    return conn.subscriber.add(hubKeys(hub).channel, listener);
  }

  #onError(error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    if (message === this.#lastError) return;
    this.#lastError = message;
    this.#options.warn(`@reprise/redis: ${message}`);
  }

  #connect(): Connection {
    if (this.#current) return this.#current;
    const options = this.#options;
    let client: Redis | Cluster;
    if (options.client) {
      client = options.client;
    } else {
      // No auto-pipelining: ioredis keeps one auto-pipeline per slot in flight and builds a
      // Pipeline per batch; plain commands stream without waiting and measured faster here
      // in both latency and throughput (benchmarks W1, W3, W5).
      client = new Redis(options.url, { enableAutoPipelining: false, lazyConnect: true, ...options.redisOptions });
      client.on('error', (error) => this.#onError(error));
      client.on('ready', () => {
        this.#lastError = '';
      });
    }
    const conn: Connection = { client, run: defineScripts(client), opened: checkServer(client, options.onUnsafeServer, options.warn), ready: false };
    conn.opened.then(() => {
      conn.ready = true;
    }, () => {
      // A refused server (or a failed check): forget this connection so a later open() starts afresh.
      if (this.#current === conn) this.#current = undefined;
      void conn.subscriber?.close();
      if (!options.client) client.disconnect();
    });
    return (this.#current = conn);
  }
}
