/** Partitioned hubs (`redisStorage({ partitions: K })`): see partitioned-storage.ts. */
import type { Storage } from '@reprise/core';
import type { Connections } from '../connection.js';
import { checkPartitionCount, partitionCountCheck, PartitionCountError } from './hub-meta.js';
import { Locations } from './locations.js';
import { Outbox } from './outbox.js';
import { partitionedStorage } from './partitioned-storage.js';

export { checkPartitionCount, PartitionCountError };

/**
 * The storage for `k` partitions over `inner` (the storage of one key space).
 * With one partition, the hub's layout is today's: only the entry points of
 * clients and workers check, once per hub, that the hub has one partition.
 */
export function withPartitions(inner: Storage, redis: Connections, k: number): Storage {
  const checked = partitionCountCheck(redis, k);
  if (k > 1) {
    const locations = new Locations(redis, k);
    return partitionedStorage({ redis, inner, k, locations, outbox: new Outbox(redis, locations), checked });
  }
  return {
    ...inner,
    async createInstance(hub, ...rest) {
      await checked(hub);
      return inner.createInstance(hub, ...rest);
    },
    async sendMessages(hub, messages) {
      await checked(hub);
      return inner.sendMessages(hub, messages);
    },
    async lockInstances(hub, options) {
      await checked(hub);
      return inner.lockInstances(hub, options);
    },
    async lockActivities(hub, options) {
      await checked(hub);
      return inner.lockActivities(hub, options);
    },
    async heartbeatRuntime(hub, ...rest) {
      await checked(hub);
      return inner.heartbeatRuntime(hub, ...rest);
    },
  };
}
