/**
 * Queries and filtered purges over the per-hub `idx` sorted set (instances
 * by createdAt): bounded script steps, each finishing its last group of
 * equal createdAt, so ordering by (createdAt, instanceId) and the shared
 * continuation token work across steps.
 */
import { compareInstances, cursorOf, matchesPage, pageOf, pageSizeOf } from '@reprise/core';
import type { InstancePage, InstanceQuery, InstanceRecord } from '@reprise/core';
import type { Connections } from './connection.js';

/** How many index entries one step scans at most (plus the rest of its last createdAt group). */
const SCAN_LIMIT = 1000;

/** Runs scan steps from `min` (Redis score syntax) until `step` returns true or the index is exhausted. */
export async function scanIndex(
  connections: Connections,
  hub: string,
  query: InstanceQuery,
  what: 'row' | 'id',
  min: string,
  step: (matches: string[]) => Promise<boolean> | boolean,
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
  ];
  for (;;) {
    const [exhausted, last, matches] = await connections.script<[number, string, string[]]>('queryScan', hub, [min, max, SCAN_LIMIT, what, ...filter], true);
    if ((await step(matches)) || exhausted === 1 || last === '') return;
    min = `(${last}`;
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
  });
  return pageOf(found, size);
}
