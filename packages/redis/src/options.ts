/** The options of `redisStorage`, and their checks. */
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { InvalidArgumentError } from '@reprise/core';
import type { ErrorHandler } from '@reprise/core';
import type { UnsafeServerAction } from './server-check.js';

export interface RedisStorageCommonOptions {
  /**
   * What to do when the server may lose committed state (an eviction policy
   * other than `noeviction`, or no persistence at all).
   * @default 'warn'
   */
  onUnsafeServer?: UnsafeServerAction;
  /**
   * After each durable write (create, send, commit, activity completion,
   * purge) issue `WAIT replicas timeoutMs`; fewer acknowledgements than
   * `replicas` fail the call with a StorageError (the write did happen on the
   * primary). Not available with a Cluster client.
   */
  waitForReplicas?: { replicas: number; timeoutMs: number };
  /** Extra ioredis options for the connections made from `url`. */
  redisOptions?: RedisOptions;
  /**
   * Receives the errors no caller is waiting for: a connection of the storage
   * that failed or dropped (a `StorageError` whose `cause` is ioredis's error;
   * each distinct one once until the connection is ready again), and what a
   * `subscribe` listener threw. Calls in flight fail on their own (with a
   * `StorageError`) whatever this does. A `client` you pass is yours: listen
   * to its 'error' events yourself. The same shape as the runtime's and the
   * HTTP handler's `onError`, so one function can take them all.
   * @default logs with `console.error('[reprise/redis]', error)`; when only `warn` is given, the error's message goes to `warn` (as before `onError` existed)
   */
  onError?: ErrorHandler;
  /**
   * Advice that fails nothing: an unsafe server (`onUnsafeServer: 'warn'`),
   * server settings that could not be read, a caller's client that re-sends
   * lost commands. Errors go to `onError`.
   * @default console.warn
   */
  warn?: (message: string) => void;
  /**
   * Spread each task hub over this many partitions, each in its own Redis
   * Cluster slot (see the README's "Partitioned hubs"). Fixed when a hub is
   * first used: a storage asking another count for it fails with a
   * PartitionCountError. 1 is the single-slot layout.
   * @default 1
   */
  partitions?: number;
}

export type RedisStorageOptions = RedisStorageCommonOptions &
  (
    | { url: string; client?: undefined; cluster?: undefined }
    | { client: Redis | Cluster; url?: undefined; cluster?: undefined }
    /** A Redis Cluster the storage connects to (and closes): its seed nodes, and ioredis Cluster options. */
    | { cluster: ClusterNode[]; clusterOptions?: ClusterOptions; url?: undefined; client?: undefined }
  );

export interface ResolvedOptions {
  /** Set when the caller owns the client; otherwise the storage connects to `url`. */
  client: Redis | Cluster | undefined;
  url: string;
  /** Seed nodes of a Cluster to connect to (instead of `url`). */
  cluster: { nodes: ClusterNode[]; options: ClusterOptions } | undefined;
  onUnsafeServer: UnsafeServerAction;
  waitForReplicas: { replicas: number; timeoutMs: number } | undefined;
  redisOptions: RedisOptions;
  onError: ErrorHandler;
  warn: (message: string) => void;
}

export function resolveOptions(options: RedisStorageOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('redisStorage needs { url } or { client }');
  const cluster = options.cluster;
  if (cluster !== undefined && (!Array.isArray(cluster) || cluster.length === 0)) throw new InvalidArgumentError('cluster must be a non-empty array of seed nodes');
  if (!options.client && !cluster && typeof options.url !== 'string') throw new InvalidArgumentError('redisStorage needs `url`, `client` or `cluster`');
  const onUnsafeServer = options.onUnsafeServer ?? 'warn';
  if (!['warn', 'throw', 'ignore'].includes(onUnsafeServer)) {
    throw new InvalidArgumentError(`onUnsafeServer must be 'warn', 'throw' or 'ignore', got ${String(onUnsafeServer)}`);
  }
  const replicas = options.waitForReplicas;
  if (replicas) {
    if (!Number.isInteger(replicas.replicas) || replicas.replicas < 0 || !Number.isFinite(replicas.timeoutMs) || replicas.timeoutMs < 0) {
      throw new InvalidArgumentError('waitForReplicas needs a non-negative integer `replicas` and a non-negative `timeoutMs`');
    }
    if (cluster || (options.client && 'isCluster' in options.client && options.client.isCluster)) {
      throw new InvalidArgumentError('waitForReplicas is not available with a Cluster client');
    }
  }
  for (const name of ['onError', 'warn'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidArgumentError(`${name} must be a function, got ${typeof options[name]}`);
  }
  const { warn } = options;
  return {
    client: options.client,
    url: options.url ?? '',
    cluster: cluster ? { nodes: cluster, options: options.clusterOptions ?? {} } : undefined,
    onUnsafeServer,
    waitForReplicas: replicas,
    redisOptions: options.redisOptions ?? {},
    onError: guarded(
      options.onError ??
        (warn ? (error) => warn(`@reprise/redis: ${(error as Error)?.message ?? String(error)}`) : (error) => console.error('[reprise/redis]', error)),
    ),
    warn: warn ?? ((message: string) => console.warn(message)),
  };
}

/** The handler runs inside ioredis's event handlers: what it throws must not escape into them. */
function guarded(handler: ErrorHandler): ErrorHandler {
  return (error) => {
    try {
      handler(error);
    } catch (thrown) {
      console.error('[reprise/redis] onError threw', thrown, 'while handling', error);
    }
  };
}
