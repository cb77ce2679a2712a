/** Reads: one instance, its history and logs, and paged instance queries. */
import { cursorOf, pageOf, pageSizeOf } from '@reprise/core';
import type { ActivityProgress, ActivityState, PendingMessage, CountQuery, HistoryEvent, InstancePage, InstanceQuery, InstanceRecord, LogEntry } from '@reprise/core';
import type { Op } from './op-context.js';
import { decodeEvent, toRecord } from './rows.js';
import type { InstanceRow } from './rows.js';

export const getInstance =
  (hub: string, instanceId: string): Op<InstanceRecord | undefined> =>
  ({ s }) => {
    const row = s.getInstance.get(hub, instanceId) as InstanceRow | undefined;
    return row && toRecord(row);
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
  if (query.updatedFrom !== undefined) add('updated_at >= ?', query.updatedFrom);
  if (query.updatedTo !== undefined) add('updated_at <= ?', query.updatedTo);
  if (query.instanceIdPrefix !== undefined && query.instanceIdPrefix !== '') {
    add('instance_id >= ?', query.instanceIdPrefix);
    const upper = prefixUpperBound(query.instanceIdPrefix);
    if (upper !== undefined) add('instance_id < ?', upper);
  }
  if (query.name !== undefined) add('name = ?', query.name);
  if (query.version !== undefined) {
    if (query.version === '') where.push('version IS NULL');
    else add('version = ?', query.version);
  }
  return { where, params };
}

/** Filters in SQL, in page order (createdAt, then instanceId), with the shared keyset token. */
export const queryInstances =
  (hub: string, query: InstanceQuery): Op<InstancePage> =>
  ({ s }) => {
    const { where, params } = filterOf(hub, query);
    const size = pageSizeOf(query);
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    const cursor = cursorOf(query);
    if (cursor) add('(created_at, instance_id) > (?, ?)', cursor.createdAt, cursor.instanceId);
    const text = `SELECT * FROM instances WHERE ${where.join(' AND ')} ORDER BY created_at, instance_id LIMIT ?`;
    const rows = s.cached(text).all(...params, size + 1) as InstanceRow[];
    return pageOf(rows.map(toRecord), size);
  };

/** A COUNT over the same filters: a range of the (namespace, status, created_at) index, not a read of every row. */
export const countInstances =
  (hub: string, query: CountQuery): Op<number> =>
  ({ s }) => {
    const { where, params } = filterOf(hub, query);
    return s.cached(`SELECT count(*) FROM instances WHERE ${where.join(' AND ')}`).pluck().get(...params) as number;
  };
