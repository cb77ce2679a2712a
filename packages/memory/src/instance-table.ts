/**
 * The instance rows of one hub, with what serves queries without reading
 * every row (issue 20):
 * - counts per (kind, namespace, name, version, status), so a count
 *   without a time range adds a few numbers whatever the number of rows;
 * - sorted lists of (createdAt, instanceId) per kind, per kind and status,
 *   per kind and namespace, per kind, namespace and status, per kind and name, per kind and
 *   version, so a page is a binary search and a page's worth of reads per
 *   list (several statuses: several lists, merged), and a created-range
 *   count is two binary searches per list.
 * Every write goes through `set` and `delete`, which keep both in step.
 */
import { matchesQuery } from '@reprise/core';
import type { CountQuery, InstanceKind, InstanceRecord, PageCursor } from '@reprise/core';

interface Key {
  createdAt: number;
  instanceId: string;
}

const compareKeys = (a: Key, b: Key) => a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);

/** Keys in page order; inserts and deletes by binary search (most inserts append: createdAt grows). */
class SortedKeys {
  readonly keys: Key[] = [];

  /** The index of the first key not before `key` (or after it, when `after`). */
  search(key: Key, after = false): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareKeys(this.keys[mid]!, key);
      if (order < 0 || (after && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first key created at or after `createdAt` (strictly after, when `after`). */
  searchTime(createdAt: number, after: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.keys[mid]!.createdAt;
      if (t < createdAt || (after && t === createdAt)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(key: Key): void {
    const last = this.keys[this.keys.length - 1];
    if (!last || compareKeys(last, key) < 0) this.keys.push(key);
    else this.keys.splice(this.search(key), 0, key);
  }

  remove(key: Key): void {
    const i = this.search(key);
    if (i < this.keys.length && compareKeys(this.keys[i]!, key) === 0) this.keys.splice(i, 1);
  }
}

const SEP = '\u0000';
const KINDS: readonly InstanceKind[] = ['orchestration', 'entity'];
const versionOf = (record: InstanceRecord) => record.version ?? '';
const namespaceOf = (record: InstanceRecord) => record.namespace ?? '';

/** The lists a record belongs to. */
function listNames(r: InstanceRecord): string[] {
  return [
    `k${SEP}${r.kind}`,
    `s${SEP}${r.kind}${SEP}${r.status}`,
    `N${SEP}${r.kind}${SEP}${namespaceOf(r)}`,
    `n${SEP}${r.kind}${SEP}${namespaceOf(r)}${SEP}${r.status}`,
    `m${SEP}${r.kind}${SEP}${r.name}`,
    `v${SEP}${r.kind}${SEP}${versionOf(r)}`,
  ];
}

const countKey = (r: InstanceRecord) => [r.kind, namespaceOf(r), r.name, versionOf(r), r.status].join(SEP);

/** The lists a query reads, and whether they hold exactly its non-range filters (then no row needs checking). */
function listsOf(query: CountQuery): { names: string[]; exact: boolean } {
  const kinds = query.kind === undefined ? KINDS : [query.kind];
  const statuses = query.runtimeStatus !== undefined && query.runtimeStatus.length > 0 ? [...new Set(query.runtimeStatus)] : undefined;
  const other = (...held: Array<keyof CountQuery>) =>
    (['name', 'version', 'namespace', 'updatedFrom', 'updatedTo', 'instanceIdPrefix'] as const).every((f) => held.includes(f) || query[f] === undefined || (f === 'instanceIdPrefix' && query[f] === ''));
  if (query.namespace !== undefined && !statuses) return { names: kinds.map((kind) => `N${SEP}${kind}${SEP}${query.namespace}`), exact: other('namespace') };
  if (statuses) {
    const names = kinds.flatMap((kind) =>
      statuses.map((status) => (query.namespace !== undefined ? `n${SEP}${kind}${SEP}${query.namespace}${SEP}${status}` : `s${SEP}${kind}${SEP}${status}`)),
    );
    return { names, exact: other('namespace') };
  }
  if (query.name !== undefined) return { names: kinds.map((kind) => `m${SEP}${kind}${SEP}${query.name}`), exact: other('name') };
  if (query.version !== undefined) return { names: kinds.map((kind) => `v${SEP}${kind}${SEP}${query.version}`), exact: other('version') };
  return { names: kinds.map((kind) => `k${SEP}${kind}`), exact: other() };
}

export class InstanceTable {
  private readonly rows = new Map<string, InstanceRecord>();
  private readonly counts = new Map<string, { record: Pick<InstanceRecord, 'kind' | 'namespace' | 'name' | 'version' | 'status'>; n: number }>();
  private readonly lists = new Map<string, SortedKeys>();

  get(instanceId: string): InstanceRecord | undefined {
    return this.rows.get(instanceId);
  }

  has(instanceId: string): boolean {
    return this.rows.has(instanceId);
  }

  values(): IterableIterator<InstanceRecord> {
    return this.rows.values();
  }

  set(instanceId: string, record: InstanceRecord): void {
    const old = this.rows.get(instanceId);
    this.rows.set(instanceId, record);
    if (old && countKey(old) === countKey(record) && old.createdAt === record.createdAt) return;
    if (old) this.unindex(old);
    this.index(record);
  }

  delete(instanceId: string): void {
    const old = this.rows.get(instanceId);
    if (!old) return;
    this.rows.delete(instanceId);
    this.unindex(old);
  }

  /** The first `max` records matching `query` after `cursor`, in page order: a lazy merge of the lists' ranges. */
  page(query: CountQuery, cursor: PageCursor | undefined, max: number): InstanceRecord[] {
    const heads: Array<{ keys: Key[]; at: number; record: InstanceRecord | undefined }> = [];
    for (const name of listsOf(query).names) {
      const list = this.lists.get(name);
      if (list) heads.push({ keys: list.keys, at: this.startOf(list, query, cursor), record: undefined });
    }
    // Moves a head to its next matching record (undefined at the end of its range).
    const advance = (head: (typeof heads)[number]) => {
      head.record = undefined;
      while (head.at < head.keys.length) {
        const key = head.keys[head.at++]!;
        if (query.createdTo !== undefined && key.createdAt > query.createdTo) {
          head.at = head.keys.length;
          return;
        }
        const record = this.rows.get(key.instanceId)!;
        if (matchesQuery(record, query)) {
          head.record = record;
          return;
        }
      }
    };
    heads.forEach(advance);
    const found: InstanceRecord[] = [];
    while (found.length < max) {
      let next: (typeof heads)[number] | undefined;
      for (const head of heads) if (head.record && (!next || compareKeys(head.record, next.record!) < 0)) next = head;
      if (!next) break;
      found.push(next.record!);
      advance(next);
    }
    return found;
  }

  count(query: CountQuery): number {
    const ranged = query.createdFrom !== undefined || query.createdTo !== undefined;
    const { names, exact } = listsOf(query);
    if (!ranged && exact) {
      let total = 0;
      for (const { record, n } of this.counts.values()) if (matchesQuery(record as InstanceRecord, query)) total += n;
      return total;
    }
    let total = 0;
    for (const name of names) {
      const list = this.lists.get(name);
      if (!list) continue;
      const from = this.startOf(list, query, undefined);
      const to = query.createdTo === undefined ? list.keys.length : list.searchTime(query.createdTo, true);
      if (exact) total += Math.max(0, to - from);
      else for (let i = from; i < to; i++) if (matchesQuery(this.rows.get(list.keys[i]!.instanceId)!, query)) total += 1;
    }
    return total;
  }

  private startOf(list: SortedKeys, query: CountQuery, cursor: PageCursor | undefined): number {
    const fromTime = query.createdFrom === undefined ? 0 : list.searchTime(query.createdFrom, false);
    return cursor ? Math.max(fromTime, list.search(cursor, true)) : fromTime;
  }

  private index(record: InstanceRecord): void {
    const key: Key = { createdAt: record.createdAt, instanceId: record.instanceId };
    for (const name of listNames(record)) {
      let list = this.lists.get(name);
      if (!list) this.lists.set(name, (list = new SortedKeys()));
      list.insert(key);
    }
    const ck = countKey(record);
    const entry = this.counts.get(ck);
    if (entry) entry.n += 1;
    else this.counts.set(ck, { record: { kind: record.kind, namespace: namespaceOf(record), name: record.name, version: versionOf(record), status: record.status }, n: 1 });
  }

  private unindex(record: InstanceRecord): void {
    const key: Key = { createdAt: record.createdAt, instanceId: record.instanceId };
    for (const name of listNames(record)) {
      const list = this.lists.get(name)!;
      list.remove(key);
      if (list.keys.length === 0) this.lists.delete(name);
    }
    const ck = countKey(record);
    const entry = this.counts.get(ck)!;
    if (--entry.n === 0) this.counts.delete(ck);
  }
}
