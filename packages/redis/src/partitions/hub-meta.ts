/**
 * The partition count of a hub, fixed when the hub is first used: stored in
 * `reprise:{<hub>}:partitions`. A hub that has data from before this key
 * existed (its `seq` or `idx` key) has one partition.
 */
import { InvalidArgumentError } from '@reprise/core';
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';

/** The storage's `partitions` differs from the count the hub was created with. */
export class PartitionCountError extends InvalidArgumentError {
  readonly hub: string;
  readonly stored: number;
  readonly requested: number;
  constructor(hub: string, stored: number, requested: number) {
    super(`task hub ${JSON.stringify(hub)} was created with ${stored} partition(s); this storage asks for ${requested}. The count of a hub never changes`);
    this.name = 'PartitionCountError';
    this.hub = hub;
    this.stored = stored;
    this.requested = requested;
  }
}

/** KEYS[1]: the meta key; ARGV[1]: the count asked for → the hub's count (set by this call when the hub is new). */
const CLAIM = `
local m = redis.call('GET', KEYS[1])
if m then return m end
local P = string.sub(KEYS[1], 1, -11)
local k = ARGV[1]
if redis.call('EXISTS', P .. 'seq', P .. 'idx') > 0 then k = '1' end
redis.call('SET', KEYS[1], k)
return k
`;

export const MAX_PARTITIONS = 1024;

export function checkPartitionCount(k: unknown): number {
  if (k === undefined) return 1;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_PARTITIONS) {
    throw new InvalidArgumentError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(k)}`);
  }
  return k;
}

/** Checks (once per hub per storage) that the hub has `k` partitions, claiming a new hub for `k`. */
export function partitionCountCheck(redis: Connections, k: number): (hub: string) => Promise<void> | undefined {
  const checked = new Set<string>();
  const running = new Map<string, Promise<void>>();
  return (hub) => {
    if (checked.has(hub)) return undefined;
    let check = running.get(hub);
    if (!check) {
      const key = `${hubKeys(hub).prefix}partitions`;
      check = redis
        .read((client) => client.eval(CLAIM, 1, key, k) as Promise<string>)
        .then((stored) => {
          if (Number(stored) !== k) throw new PartitionCountError(hub, Number(stored), k);
          if (checked.size > 1000) checked.clear();
          checked.add(hub);
        })
        .finally(() => running.delete(hub));
      running.set(hub, check);
    }
    return check;
  };
}
