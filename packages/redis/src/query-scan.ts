/**
 * Queries, counts and filtered purges over the index sorted sets (instances
 * by createdAt): `idx` (every instance), `xs:<kind>:<status>`,
 * `xn:<kind>:<status>:<namespace>` and `xm:<kind>:<name>` (see
 * scripts/prelude.ts). A query reads
 * the narrowest of them its kind, status and namespace filters allow, in
 * bounded script steps, each finishing its last group of equal createdAt,
 * so ordering by (createdAt, instanceId) and the shared continuation token
 * work across steps. A count is ZCOUNTs over them, never a scan.
 */
import { RUNTIME_STATUSES, compareInstances, cursorOf, matchesPage, pageOf, pageSizeOf } from '@reprise/core';
import type { InstanceKind, InstancePage, InstanceQuery, InstanceRecord } from '@reprise/core';
import type { Connections } from './connection.js';

/** How many entries of each index one step scans at most (plus the rest of its last createdAt group). */
const SCAN_LIMIT = 1000;
const KINDS: InstanceKind[] = ['orchestration', 'entity'];

/**
 * The index sets (key suffixes) that hold exactly the instances of the
 * query's kind, statuses and namespace; with a version, those of that
 * version (`xv:<version>`), else with a name those of that kind and name
 * (`xm:<kind>:<name>`): the scan then filters the rest.
 */
export function indexKeys(query: Pick<InstanceQuery, 'kind' | 'runtimeStatus' | 'namespace' | 'version' | 'name'>): string[] {
  if (query.version !== undefined) return [`xv:${query.version}`];
  if (query.name !== undefined) return (query.kind === undefined ? KINDS : [query.kind]).map((kind) => `xm:${kind}:${query.name}`);
  const statuses = query.runtimeStatus && query.runtimeStatus.length > 0 ? [...new Set(query.runtimeStatus)] : undefined;
  if (query.namespace === undefined && statuses === undefined && query.kind === undefined) return ['idx'];
  const keys: string[] = [];
  for (const kind of query.kind === undefined ? KINDS : [query.kind]) {
    for (const status of statuses ?? RUNTIME_STATUSES) {
      keys.push(query.namespace === undefined ? `xs:${kind}:${status}` : `xn:${kind}:${status}:${query.namespace}`);
    }
  }
  return keys;
}

/**
 * Builds the status indexes of a hub written before they existed, once per
 * hub per storage (the script is a no-op once done); reads that use them wait for it.
 */
export function indexMigration(connections: Connections): (hub: string) => Promise<void> {
  const done = new Map<string, Promise<void>>();
  const migrate = async (hub: string) => {
    let min = '-inf';
    for (;;) {
      const [finished, next] = await connections.script<[number, string]>('migrateIndexes', hub, [min], true);
      if (finished === 1) return;
      min = next;
    }
  };
  return (hub) => {
    let running = done.get(hub);
    if (!running) {
      running = migrate(hub).catch((error: unknown) => {
        done.delete(hub);
        throw error;
      });
      if (done.size > 1000) done.clear();
      done.set(hub, running);
    }
    return running;
  };
}

/** Whether the sets indexKeys picks hold exactly the query's instances (createdAt is their score). */
function coveredByIndex(query: InstanceQuery): boolean {
  if (query.instanceIdPrefix !== undefined || query.updatedFrom !== undefined || query.updatedTo !== undefined) return false;
  const others = query.namespace !== undefined || (query.runtimeStatus?.length ?? 0) > 0;
  if (query.version !== undefined) return query.kind === undefined && query.name === undefined && !others;
  return query.name === undefined || !others;
}

/**
 * Counts with ZCOUNT over the indexes; filters they do not key on (id
 * prefix, updatedAt; kind, status, namespace or name beside a version;
 * status or namespace beside a name) fall back to a scan of the narrowest index.
 */
export async function countInstances(connections: Connections, hub: string, query: InstanceQuery): Promise<number> {
  const min = query.createdFrom === undefined ? '-inf' : String(query.createdFrom);
  const max = query.createdTo === undefined ? '+inf' : String(query.createdTo);
  if (coveredByIndex(query)) {
    return connections.script<number>('countIndexed', hub, [min, max, ...indexKeys(query)], true);
  }
  let count = 0;
  await scanIndex(connections, hub, query, 'id', min, (ids) => {
    count += ids.length;
    return false;
  });
  return count;
}

/** A kind filter and none the indexes key on beside it: its status sets are all of that kind's. */
function kindOnly(query: InstanceQuery): boolean {
  return query.kind !== undefined && query.version === undefined && query.name === undefined && query.namespace === undefined && !(query.runtimeStatus && query.runtimeStatus.length > 0);
}

/** Runs scan steps from `min` (Redis score syntax) until `step` returns true or the index is exhausted. */
export async function scanIndex(
  connections: Connections,
  hub: string,
  query: InstanceQuery,
  what: 'row' | 'id',
  min: string,
  step: (matches: string[]) => Promise<boolean> | boolean,
  firstLimit = SCAN_LIMIT,
): Promise<void> {
  const opt = (value: string | number | undefined) => (value === undefined ? '' : `=${value}`);
  const max = query.createdTo === undefined ? '+inf' : String(query.createdTo);
  const filter = [
    opt(query.kind),
    query.runtimeStatus && query.runtimeStatus.length > 0 ? `=${query.runtimeStatus.join(',')}` : '',
    opt(query.updatedFrom),
    opt(query.updatedTo),
    opt(query.instanceIdPrefix),
    opt(query.name),
    // Served by the status indexes unless a version or a name picked 'xv:' or 'xm:'.
    query.version === undefined && query.name === undefined ? '' : opt(query.namespace),
    opt(query.version),
  ];
  const keys = indexKeys(query);
  // A kind alone: the script reads 'idx' when that kind is most of it (one set, not eight to merge).
  if (kindOnly(query)) keys.unshift('?idx');
  // A first page reads little more than it returns; later steps grow to SCAN_LIMIT.
  let limit = Math.max(1, Math.min(firstLimit, SCAN_LIMIT));
  for (;;) {
    const [exhausted, last, matches] = await connections.script<[number, string, string[]]>('queryScan', hub, [min, max, limit, what, ...filter, ...keys], true);
    if ((await step(matches)) || exhausted === 1 || last === '') return;
    min = `(${last}`;
    limit = Math.min(limit * 4, SCAN_LIMIT);
  }
}

export async function queryInstances(connections: Connections, hub: string, query: InstanceQuery): Promise<InstancePage> {
  const size = pageSizeOf(query);
  const cursor = cursorOf(query);
  const from = Math.max(query.createdFrom ?? -Infinity, cursor?.createdAt ?? -Infinity);
  const found: InstanceRecord[] = [];
  await scanIndex(connections, hub, query, 'row', from === -Infinity ? '-inf' : String(from), (rows) => {
    const step = rows
      .map((row) => JSON.parse(row) as InstanceRecord)
      .filter((record) => matchesPage(record, query, cursor))
      .sort(compareInstances);
    found.push(...step);
    return found.length > size;
    // A later page reads its cursor's row again (from the cursor's createdAt): one more, so one step suffices.
  }, size + (cursor ? 2 : 1));
  return pageOf(found, size);
}
