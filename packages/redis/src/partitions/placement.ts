/**
 * Where things live in a partitioned hub. Partition p of hub H is the key
 * space `reprise:{<H>:<p>}:` (its own Cluster slot), reached through an
 * internal hub name the key layout maps to that tag (../keys.ts); the hub-wide
 * keys (the partition count, the runtimes registry) stay in `reprise:{<H>}:`,
 * today's single-partition layout.
 *
 * An instance lives in its home partition hash(instanceId) mod K, unless the
 * home partition places it elsewhere (locations.ts): an instance created into
 * a concurrency group lives in its group's partition, so admission stays one
 * script.
 */
import { PARTITION_MARK } from '../keys.js';

const MARK = String.fromCharCode(PARTITION_MARK);

/** The internal hub name of partition p: keys.ts turns it into the tag `{<hub>:<p>}`. */
export function partitionHub(hub: string, p: number): string {
  return `${MARK}${p}${MARK}${hub}`;
}

/** FNV-1a (32 bits) over the UTF-16 code units: stable across processes and versions. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export const homePartition = (id: string, k: number): number => stableHash(id) % k;

/**
 * Lock tokens leave the layer tagged with their partition (`<p>/<token>`), so
 * commits, completions, renewals and give-backs find it without a lookup.
 */
export function tagToken(p: number, token: string): string {
  return `${p}/${token}`;
}

/** The partition and inner token of a tagged token; undefined for one this layer never handed out. */
export function untagToken(tagged: string, k: number): { p: number; token: string } | undefined {
  if (typeof tagged !== 'string') return undefined;
  const slash = tagged.indexOf('/');
  if (slash < 1) return undefined;
  const p = Number(tagged.slice(0, slash));
  if (!Number.isInteger(p) || p < 0 || p >= k) return undefined;
  return { p, token: tagged.slice(slash + 1) };
}
