export { redisStorage } from './redis-storage.js';
export type { RedisStorageOptions, RedisStorageCommonOptions } from './options.js';
export type { UnsafeServerAction } from './server-check.js';
export { hubTag } from './keys.js';
export { PartitionCountError } from './partitions/index.js';
