/** Reads: one instance, its history and logs, and paged instance queries. */
import { compareInstances, cursorOf, pageOf, pageSizeOf } from '@reprise/core';
import type { ActivityProgress, ActivityState, PendingMessage, CountQuery, HistoryEvent, InstancePage, InstanceQuery, InstanceRecord, LogEntry } from '@reprise/core';
import type { Op } from './op-context.js';
import { RAW_COLUMNS, decodeEvent, fromRaw } from './rows.js';
import type { RawInstance } from './rows.js';

export const getInstance =
  (hub: string, instanceId: string): Op<InstanceRecord | undefined> =>
  ({ s }) => {
    const row = s.getInstance.get(hub, instanceId) as RawInstance | undefined;
    return row && fromRaw(row);
  };

export const getHistory =
  (hub: string, instanceId: string): Op<HistoryEvent[]> =>
  ({ s }) =>
    (s.getHistory.all(hub, instanceId) as string[]).map(decodeEvent);

export const getLogs =
  (hub: string, instanceId: string): Op<LogEntry[]> =>
  ({ s }) =>
    (s.getLogs.all(hub, instanceId) as Array<LogEntry & { sequence: number | null }>).map(({ sequence, ...entry }) => (sequence === null ? entry : { ...entry, sequence }));

interface ActivityStateRow {
  seq: number;
  execution_id: string;
  task_scheduled_id: number;
  name: string;
  lock_expires: number;
  started_at: number | null;
  progress: string | null;
}

export const getActivityStates =
  (hub: string, instanceId: string): Op<ActivityState[]> =>
  ({ s, now }) =>
    (s.activityStates.all(hub, instanceId) as ActivityStateRow[]).map((row) => {
      const running = row.lock_expires > now;
      return {
        workItemId: String(row.seq),
        executionId: row.execution_id,
        taskScheduledId: row.task_scheduled_id,
        name: row.name,
        running,
        ...(running && row.started_at !== null && { startedAt: row.started_at }),
        ...(row.progress !== null && { progress: JSON.parse(row.progress) as ActivityProgress }),
        // lock_expires stays set after a lease runs out, until the next lease or a give-back (0).
        ...(row.lock_expires > 0 && { leaseExpiresAt: row.lock_expires }),
      };
    });

export const getMessages =
  (hub: string, instanceId: string): Op<PendingMessage[]> =>
  ({ s, now }) =>
    (s.pendingMessages.all(hub, instanceId) as Array<{ seq: number; visible_at: number; event: string }>).map((row) => ({
      id: String(row.seq),
      event: decodeEvent(row.event),
      ...(row.visible_at > now && { visibleAt: row.visible_at }),
    }));

/**
 * The smallest string greater than every string that starts with `prefix`
 * (SQLite compares UTF-8 bytes, which order like code points), or undefined
 * when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** The WHERE clause of a query's filters (paging aside) and its parameters. */
function filterOf(hub: string, query: CountQuery): { where: string[]; params: unknown[] } {
  const where = ['hub = ?'];
  const params: unknown[] = [hub];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  // A literal, so the entity-only partial index applies; chosen here, never copied from the query.
  if (query.kind !== undefined) where.push(query.kind === 'entity' ? "kind = 'entity'" : "kind = 'orchestration'");
  if (query.namespace !== undefined) add('namespace = ?', query.namespace);
  if (query.runtimeStatus !== undefined && query.runtimeStatus.length > 0) {
    add(`status IN (${query.runtimeStatus.map(() => '?').join(', ')})`, ...query.runtimeStatus);
  }
  if (query.createdFrom !== undefined) add('created_at >= ?', query.createdFrom);
  if (query.createdTo !== undefined) add('created_at <= ?', query.createdTo);
  addRest(add, query);
  return { where, params };
}

/** The filters no list index holds: applied to the rows an index range yields. */
function addRest(add: (clause: string, ...values: unknown[]) => void, query: CountQuery, skip?: 'name' | 'version'): void {
  if (query.updatedFrom !== undefined) add('updated_at >= ?', query.updatedFrom);
  if (query.updatedTo !== undefined) add('updated_at <= ?', query.updatedTo);
  if (query.instanceIdPrefix !== undefined && query.instanceIdPrefix !== '') {
    add('instance_id >= ?', query.instanceIdPrefix);
    const upper = prefixUpperBound(query.instanceIdPrefix);
    if (upper !== undefined) add('instance_id < ?', upper);
  }
  if (query.name !== undefined && skip !== 'name') add('name = ?', query.name);
  if (query.version !== undefined && skip !== 'version') {
    if (query.version === '') add('version IS NULL');
    else add('version = ?', query.version);
  }
}

/**
 * How a query reads the list indexes (schema v7): one index whose equality
 * columns it fills, and one range per combination of the values it asks
 * for (kinds, statuses).
 * Each range is in page order, so a page reads at most a page per range
 * and merges them: O(ranges × (log N + page)), whatever N.
 */
interface Plan {
  index: string;
  /** One range per entry: its equality clauses and their values. */
  ranges: Array<{ where: string[]; params: unknown[] }>;
  /** Created-time bounds and the filters no index column holds, shared by every range. */
  where: string[];
  params: unknown[];
}

const KINDS = ['orchestration', 'entity'] as const;

function planOf(hub: string, query: CountQuery): Plan {
  const kinds = query.kind === undefined ? KINDS : [query.kind];
  const statuses = query.runtimeStatus !== undefined && query.runtimeStatus.length > 0 ? [...new Set(query.runtimeStatus)] : undefined;
  const ranges: Plan['ranges'] = [];
  let index: string;
  let skip: 'name' | 'version' | undefined;
  if (query.namespace !== undefined && !statuses) {
    index = 'instances_list_namespace';
    for (const kind of kinds) ranges.push({ where: ['hub = ?', 'kind = ?', 'namespace = ?'], params: [hub, kind, query.namespace] });
  } else if (statuses) {
    index = query.namespace !== undefined ? 'instances_list_namespace_status' : 'instances_list_status';
    const ns = query.namespace !== undefined ? [query.namespace] : [];
    for (const kind of kinds) {
      for (const status of statuses) {
        ranges.push({ where: ['hub = ?', 'kind = ?', ...ns.map(() => 'namespace = ?'), 'status = ?'], params: [hub, kind, ...ns, status] });
      }
    }
  } else if (query.name !== undefined) {
    index = 'instances_list_name';
    skip = 'name';
    for (const kind of kinds) ranges.push({ where: ['hub = ?', 'kind = ?', 'name = ?'], params: [hub, kind, query.name] });
  } else if (query.version !== undefined) {
    index = 'instances_list_version';
    skip = 'version';
    const version = query.version === '' ? 'version IS NULL' : 'version = ?';
    for (const kind of kinds) ranges.push({ where: ['hub = ?', 'kind = ?', version], params: query.version === '' ? [hub, kind] : [hub, kind, query.version] });
  } else {
    index = 'instances_list';
    for (const kind of kinds) ranges.push({ where: ['hub = ?', 'kind = ?'], params: [hub, kind] });
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (query.createdFrom !== undefined) add('created_at >= ?', query.createdFrom);
  if (query.createdTo !== undefined) add('created_at <= ?', query.createdTo);
  addRest(add, query, skip);
  return { index, ranges, where, params };
}

const byPageOrder = (a: PageKey, b: PageKey) => a.created_at - b.created_at || (a.instance_id < b.instance_id ? -1 : a.instance_id > b.instance_id ? 1 : 0);

interface PageKey {
  created_at: number;
  instance_id: string;
}

/** Filters by index ranges, in page order (createdAt, then instanceId), with the shared keyset token. */
export const queryInstances =
  (hub: string, query: InstanceQuery): Op<InstancePage> =>
  ({ s }) => {
    const size = pageSizeOf(query);
    const cursor = cursorOf(query);
    // Past a cursor, the cursor is the range's start: with createdFrom beside it SQLite would start at createdFrom and skip.
    const from = cursor && query.createdFrom !== undefined && cursor.createdAt >= query.createdFrom ? { ...query, createdFrom: undefined } : query;
    const plan = planOf(hub, from);
    const where = [...plan.where];
    const params = [...plan.params];
    if (cursor && !(query.createdFrom !== undefined && cursor.createdAt < query.createdFrom)) {
      where.push('(created_at, instance_id) > (?, ?)');
      params.push(cursor.createdAt, cursor.instanceId);
    }
    const read = (columns: string, range: Plan['ranges'][number]) =>
      s
        .cached(`SELECT ${columns} FROM instances INDEXED BY ${plan.index} WHERE ${[...range.where, ...where].join(' AND ')} ORDER BY created_at, instance_id LIMIT ?`)
        .all(...range.params, ...params, size + 1);
    if (plan.ranges.length === 1) {
      const range = plan.ranges[0]!;
      const text = `SELECT ${RAW_COLUMNS} FROM instances INDEXED BY ${plan.index} WHERE ${[...range.where, ...where].join(' AND ')} ORDER BY created_at, instance_id LIMIT ?`;
      return pageOf((s.cachedRaw(text).all(...range.params, ...params, size + 1) as RawInstance[]).map(fromRaw), size);
    }
    // Several ranges: the first size + 1 keys of their merge, then those rows.
    const keys = plan.ranges.flatMap((range) => read('created_at, instance_id', range) as PageKey[]);
    const first = keys.sort(byPageOrder).slice(0, size + 1);
    if (first.length === 0) return { instances: [] };
    // The rows in one statement (a JS round trip per row costs more than SQLite's lookup).
    const text = `SELECT ${RAW_COLUMNS} FROM instances WHERE hub = ? AND instance_id IN (${first.map(() => '?').join(', ')})`;
    const rows = (s.cachedRaw(text).all(hub, ...first.map((key) => key.instance_id)) as RawInstance[]).map(fromRaw);
    return pageOf(rows.sort(compareInstances), size);
  };

/**
 * Without a time range or id prefix: a sum over `instance_counts` (kept by
 * triggers), a few rows whatever the number of instances. With a created
 * range: a count of each index range (log N to find it, then the rows in
 * the range). Updated-time and id-prefix filters read the rows they select.
 */
export const countInstances =
  (hub: string, query: CountQuery): Op<number> =>
  ({ s }) => {
    const ranged = query.createdFrom !== undefined || query.createdTo !== undefined;
    const unindexed = query.updatedFrom !== undefined || query.updatedTo !== undefined || (query.instanceIdPrefix !== undefined && query.instanceIdPrefix !== '');
    if (unindexed) {
      const { where, params } = filterOf(hub, query);
      return s.cached(`SELECT count(*) FROM instances WHERE ${where.join(' AND ')}`).pluck().get(...params) as number;
    }
    if (ranged) {
      const plan = planOf(hub, query);
      let total = 0;
      for (const range of plan.ranges) {
        const text = `SELECT count(*) FROM instances INDEXED BY ${plan.index} WHERE ${[...range.where, ...plan.where].join(' AND ')}`;
        total += s.cached(text).pluck().get(...range.params, ...plan.params) as number;
      }
      return total;
    }
    const where = ['hub = ?'];
    const params: unknown[] = [hub];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (query.kind !== undefined) add('kind = ?', query.kind);
    if (query.namespace !== undefined) add('namespace = ?', query.namespace);
    if (query.name !== undefined) add('name = ?', query.name);
    if (query.version !== undefined) add('version = ?', query.version); // '' is unversioned, as stored in the counts
    if (query.runtimeStatus !== undefined && query.runtimeStatus.length > 0) {
      add(`status IN (${query.runtimeStatus.map(() => '?').join(', ')})`, ...query.runtimeStatus);
    }
    return s.cached(`SELECT coalesce(sum(n), 0) FROM instance_counts WHERE ${where.join(' AND ')}`).pluck().get(...params) as number;
  };
