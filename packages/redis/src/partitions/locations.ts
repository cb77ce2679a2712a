/**
 * Where each instance of a partitioned hub lives, unique hub-wide.
 *
 * An id's home partition (hash of the id) is the authority on where it lives:
 * its 'loc' hash names the partition and a placement token when the id is
 * placed away from home (an instance created into a concurrency group lives in
 * the group's partition, so admission stays one script there); absent, the id
 * lives at home. The partition it is placed in holds the token ('here'), and
 * every create checks, in the create's own script, that it runs where the id
 * is placed (location-scripts.ts CREATE_GUARD): a create routed by a placement
 * that moved on meanwhile is refused and routed again. So two creates of one
 * id, racing with and without a group, can never make two instances.
 *
 * Moving an id from partition `from` to `to` (a group create of an id placed
 * elsewhere, whose instance there is finished or absent):
 *   1. the token is written in `to` ('here'), not yet in force;
 *   2. in `from`, atomically: no live instance (else the create reports it),
 *      the finished one removed, the id no longer placed there (from home:
 *      'loc' set to `to` in the same script);
 *   3. (from away from home) 'loc' at home compare-and-set from `from` to `to`.
 * A create refused where 'loc' still places the id (a mover died between 2
 * and 3, or is in between) places it there again with a new token: the
 * mover's step 3 then fails and it starts over, finding that create's
 * instance. Purge removes placements whose instance is gone (drop()).
 */
import { nanoid } from 'nanoid';
import { StorageError } from '@reprise/core';
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';
import { DROP_PLACEMENTS, LOC_CAS } from './location-scripts.js';
import { homePartition, partitionHub, stableHash } from './placement.js';

/** Where an id is placed: partition p, with its placement token ('' = home, no 'loc' entry). */
export interface Place {
  p: number;
  token: string;
}

/** A live instance found where a group create would have moved its id from. */
export interface Live {
  live: string;
  p: number;
  token: string;
}

/** Moves in a row that others' moves preempt before the caller gives up (each needs a concurrent change of placement). */
export const MAX_MOVES = 50;

export class Locations {
  readonly #redis: Connections;
  readonly #k: number;

  constructor(redis: Connections, k: number) {
    this.#redis = redis;
    this.#k = k;
  }

  #prefix(hub: string, p: number): string {
    return hubKeys(partitionHub(hub, p)).prefix;
  }

  home(id: string): number {
    return homePartition(id, this.#k);
  }

  /** The partition of a group's members. */
  groupPartition(group: string): number {
    return stableHash(`group:${group}`) % this.#k;
  }

  /** Where each id is placed: one HMGET per home partition involved, in parallel. */
  async locate(hub: string, ids: readonly string[]): Promise<Place[]> {
    const byHome = new Map<number, number[]>();
    ids.forEach((id, i) => {
      const h = this.home(id);
      byHome.set(h, [...(byHome.get(h) ?? []), i]);
    });
    const out: Place[] = ids.map((id) => ({ p: this.home(id), token: '' }));
    await Promise.all(
      [...byHome].map(async ([h, at]) => {
        const key = `${this.#prefix(hub, h)}loc`;
        const found = await this.#redis.read((client) => client.hmget(key, ...at.map((i) => ids[i]!)));
        found.forEach((value, j) => {
          if (value != null) out[at[j]!] = parseLoc(value);
        });
      }),
    );
    return out;
  }

  async locateOne(hub: string, id: string): Promise<Place> {
    return (await this.locate(hub, [id]))[0]!;
  }

  /**
   * Where a create of `id` runs: its placement, or, with `want` (a group's partition), `want` after moving
   * it there; a live instance elsewhere stays where it is and is returned instead.
   */
  async forCreate(hub: string, id: string, want?: number): Promise<Place | Live> {
    for (let attempt = 0; attempt < MAX_MOVES; attempt++) {
      const at = await this.locateOne(hub, id);
      if (want === undefined || at.p === want) return at;
      const moved = await this.#move(hub, id, at, want);
      if (moved) return moved;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
    }
    throw new StorageError(`instance ${JSON.stringify(id)}: its placement kept changing under ${MAX_MOVES} moves`);
  }

  /** Moves id from `from` to `to`; undefined when its placement changed meanwhile (the caller starts over). */
  async #move(hub: string, id: string, from: Place, to: number): Promise<Place | Live | undefined> {
    const home = this.home(id);
    const token = to === home ? '' : nanoid();
    const placed = `${token}|${to}`;
    const hereTo = `${this.#prefix(hub, to)}here`;
    if (token) await this.#redis.read((client) => client.hset(hereTo, `${id}|${token}`, '1'));
    const unprepare = async () => {
      if (token) await this.#redis.read((client) => client.hdel(hereTo, `${id}|${token}`));
    };
    const args = [id, from.token, ...(from.token === '' ? [placed] : [])];
    const out = await this.#redis.script<[number, string?]>('moveOut', partitionHub(hub, from.p), args, true);
    if (out[0] !== 2) {
      await unprepare();
      return out[0] === 1 ? { live: out[1]!, ...from } : undefined;
    }
    if (from.token !== '' && !(await this.#cas(hub, id, `${from.token}|${from.p}`, token ? placed : ''))) {
      await unprepare();
      return undefined;
    }
    return { p: to, token };
  }

  /** A create at `at` was refused: if the id is still placed there, its placement is made again (a mover died midway). */
  async refused(hub: string, id: string, at: Place): Promise<void> {
    const now = await this.locateOne(hub, id);
    if (now.p !== at.p || now.token !== at.token || at.token === '') return;
    const token = nanoid();
    const here = `${this.#prefix(hub, at.p)}here`;
    await this.#redis.read((client) => client.hset(here, `${id}|${token}`, '1'));
    if (!(await this.#cas(hub, id, `${at.token}|${at.p}`, `${token}|${at.p}`))) {
      await this.#redis.read((client) => client.hdel(here, `${id}|${token}`));
    }
  }

  async #cas(hub: string, id: string, expected: string, next: string): Promise<boolean> {
    const key = `${this.#prefix(hub, this.home(id))}loc`;
    return Number(await this.#redis.read((client) => client.eval(LOC_CAS, 1, key, id, expected, next))) === 1;
  }

  /**
   * Removes the placements in partition p whose instance is gone (after a purge): of `ids`, or of every id
   * placed there; then their 'loc' entries, unless placed anew meanwhile.
   */
  async drop(hub: string, p: number, ids?: readonly string[]): Promise<number> {
    const prefix = this.#prefix(hub, p);
    const anchor = hubKeys(partitionHub(hub, p)).anchor;
    let dropped = 0;
    const dropFields = async (fields: string[]) => {
      if (fields.length === 0) return;
      const gone = await this.#redis.read((client) => client.eval(DROP_PLACEMENTS, 1, anchor, ...fields) as Promise<string[]>);
      await Promise.all(
        gone.map((field) => {
          const bar = field.lastIndexOf('|');
          return this.#cas(hub, field.slice(0, bar), `${field.slice(bar + 1)}|${p}`, '');
        }),
      );
      dropped += gone.length;
    };
    if (ids) {
      // The ids' tokens: read at their homes (an id placed at p has one field there, under that token).
      const places = await this.locate(hub, ids);
      await dropFields(ids.flatMap((id, i) => (places[i]!.p === p && places[i]!.token !== '' ? [`${id}|${places[i]!.token}`] : [])));
      return dropped;
    }
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.read((client) => client.hscan(`${prefix}here`, cursor, 'COUNT', 500));
      cursor = next;
      await dropFields(flat.filter((_, i) => i % 2 === 0));
    } while (cursor !== '0');
    return dropped;
  }
}

function parseLoc(value: string): Place {
  const bar = value.lastIndexOf('|');
  return { token: value.slice(0, bar), p: Number(value.slice(bar + 1)) };
}
