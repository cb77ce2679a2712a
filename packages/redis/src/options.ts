/** The options of `redisStorage`, and their checks. */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { InvalidArgumentError } from '@reprise/core';
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
  /** Warnings (unsafe server, connection errors). @default console.warn */
  warn?: (message: string) => void;
}

export type RedisStorageOptions = RedisStorageCommonOptions &
  ({ url: string; client?: undefined } | { client: Redis | Cluster; url?: undefined });

export interface ResolvedOptions {
  /** Set when the caller owns the client; otherwise the storage connects to `url`. */
  client: Redis | Cluster | undefined;
  url: string;
  onUnsafeServer: UnsafeServerAction;
  waitForReplicas: { replicas: number; timeoutMs: number } | undefined;
  redisOptions: RedisOptions;
  warn: (message: string) => void;
}

export function resolveOptions(options: RedisStorageOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('redisStorage needs { url } or { client }');
  if (!options.client && typeof options.url !== 'string') throw new InvalidArgumentError('redisStorage needs `url` or `client`');
  const onUnsafeServer = options.onUnsafeServer ?? 'warn';
  if (!['warn', 'throw', 'ignore'].includes(onUnsafeServer)) {
    throw new InvalidArgumentError(`onUnsafeServer must be 'warn', 'throw' or 'ignore', got ${String(onUnsafeServer)}`);
  }
  const replicas = options.waitForReplicas;
  if (replicas) {
    if (!Number.isInteger(replicas.replicas) || replicas.replicas < 0 || !Number.isFinite(replicas.timeoutMs) || replicas.timeoutMs < 0) {
      throw new InvalidArgumentError('waitForReplicas needs a non-negative integer `replicas` and a non-negative `timeoutMs`');
    }
    if (options.client && 'isCluster' in options.client && options.client.isCluster) {
      throw new InvalidArgumentError('waitForReplicas is not available with a Cluster client');
    }
  }
  return {
    client: options.client,
    url: options.url ?? '',
    onUnsafeServer,
    waitForReplicas: replicas,
    redisOptions: options.redisOptions ?? {},
    warn: options.warn ?? ((message: string) => console.warn(message)),
  };
}
