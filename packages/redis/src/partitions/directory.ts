/**
 * The directory of a partitioned hub: `reprise:{<hub>}:dir`, a hash from
 * instance id to partition for the instances that do not live where their id
 * hashes (those created into a concurrency group live in the group's
 * partition, so admission, queueing and promotion stay one script there).
 * Entries are written before the instance is created and removed by purge;
 * a stale one (a refused create, a purge by filter) only points at a
 * partition where the instance is not, and a later create repairs it.
 */
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';
import { homePartition, stableHash } from './placement.js';

export class Directory {
  readonly #redis: Connections;
  readonly #k: number;

  constructor(redis: Connections, k: number) {
    this.#redis = redis;
    this.#k = k;
  }

  #key(hub: string): string {
    return `${hubKeys(hub).prefix}dir`;
  }

  /** The partition of a group's members. */
  groupPartition(group: string): number {
    return stableHash(`group:${group}`) % this.#k;
  }

  /** Where each instance lives (one round trip for all of them). */
  async locate(hub: string, ids: readonly string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const found = await this.#redis.read((client) => client.hmget(this.#key(hub), ...ids));
    return ids.map((id, i) => (found[i] == null ? homePartition(id, this.#k) : Number(found[i])));
  }

  async locateOne(hub: string, id: string): Promise<number> {
    return (await this.locate(hub, [id]))[0]!;
  }

  /** Records where an instance lives (none needed where its id hashes). */
  async place(hub: string, id: string, p: number): Promise<void> {
    const key = this.#key(hub);
    if (p === homePartition(id, this.#k)) await this.#redis.read((client) => client.hdel(key, id));
    else await this.#redis.read((client) => client.hset(key, id, String(p)));
  }

  /** Records p for an instance the directory does not know yet; returns where it lives. */
  async placeIfNew(hub: string, id: string, p: number): Promise<number> {
    const key = this.#key(hub);
    if (p === homePartition(id, this.#k)) return this.locateOne(hub, id);
    const set = await this.#redis.read((client) => client.hsetnx(key, id, String(p)));
    return set === 1 ? p : this.locateOne(hub, id);
  }

  async forget(hub: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = this.#key(hub);
    await this.#redis.read((client) => client.hdel(key, ...ids));
  }
}
