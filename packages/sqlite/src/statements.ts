/**
 * Every fixed statement, prepared once per connection. Statements whose text
 * depends on the query (filters) are cached by text in `cached`.
 */
import type Database from 'better-sqlite3';
import { InstanceCommits } from './commit-columns.js';
import { RAW_COLUMNS } from './rows.js';

const INSTANCE_COLUMNS =
  'hub, instance_id, kind, name, execution_id, status, input, output, custom_status, created_at, updated_at, history_length, parent_instance_id, tags, entity_state, namespace, concurrency, version';
const INSTANCE_VALUES =
  '@hub, @instance_id, @kind, @name, @execution_id, @status, @input, @output, @custom_status, @created_at, @updated_at, @history_length, @parent_instance_id, @tags, @entity_state, @namespace, @concurrency, @version';

/** Statement texts by name. */
const TEXTS = {
  // instances
  /** Raw (an array per row, see RAW_COLUMNS). */
  getInstance: `SELECT ${RAW_COLUMNS} FROM instances WHERE hub = ? AND instance_id = ?`,
  instanceStatus: 'SELECT status FROM instances WHERE hub = ? AND instance_id = ?',
  insertInstance: `INSERT INTO instances (${INSTANCE_COLUMNS}, next_visible_at, change_seq) VALUES (${INSTANCE_VALUES}, NULL, @change_seq)`,
  deleteInstance: 'DELETE FROM instances WHERE hub = ? AND instance_id = ?',
  /** Lowers the instance's earliest due time to @visible_at; changes nothing (0 changes) when it does not exist. */
  lowerDue: `
    UPDATE instances SET next_visible_at = @visible_at
    WHERE hub = @hub AND instance_id = @instance_id AND (next_visible_at IS NULL OR next_visible_at > @visible_at)`,
  instanceExists: 'SELECT 1 FROM instances WHERE hub = ? AND instance_id = ?',
  recomputeDue: `
    UPDATE instances SET next_visible_at = (SELECT min(visible_at) FROM messages WHERE hub = @hub AND instance_id = @instance_id)
    WHERE hub = @hub AND instance_id = @instance_id RETURNING next_visible_at`,
  /** Fresh instances (never handed out since their last commit) with due messages. */
  readyInstances: `
    SELECT instance_id FROM instances INDEXED BY instances_fresh
    WHERE hub = @hub AND deliveries = 0 AND next_visible_at <= @now AND lock_expires <= @now
    ORDER BY next_visible_at LIMIT @max`,
  /** readyInstances under a version filter (@filter: the LockOptions.version JSON, judged by reprise_version_ok). */
  readyInstancesOfVersion: `
    SELECT instance_id FROM instances INDEXED BY instances_fresh
    WHERE hub = @hub AND deliveries = 0 AND next_visible_at <= @now AND lock_expires <= @now AND reprise_version_ok(@filter, kind, name, version)
    ORDER BY next_visible_at LIMIT @max`,
  redeliveredInstanceOfVersion: `
    SELECT instance_id FROM instances INDEXED BY instances_redelivered
    WHERE hub = @hub AND deliveries > 0 AND lock_expires <= @now AND next_visible_at <= @now AND reprise_version_ok(@filter, kind, name, version)
    ORDER BY lock_expires LIMIT 1`,
  setVersion: `
    UPDATE instances SET version = @version, change_seq = @change_seq
    WHERE hub = @hub AND instance_id = @instance_id AND kind = 'orchestration' AND history_length = @history_length AND lock_expires <= @now
      AND status NOT IN ('Completed', 'Failed', 'Terminated', 'Canceled')`,
  /** One redelivered instance: handed out since its last commit, lease ended, messages due. */
  redeliveredInstance: `
    SELECT instance_id FROM instances INDEXED BY instances_redelivered
    WHERE hub = @hub AND deliveries > 0 AND lock_expires <= @now AND next_visible_at <= @now
    ORDER BY lock_expires LIMIT 1`,
  lockInstance: `UPDATE instances SET lock_token = ?, lock_expires = ?, deliveries = deliveries + 1 WHERE hub = ? AND instance_id = ? RETURNING ${RAW_COLUMNS}`,
  /** lockInstance only when nobody holds the instance and it is fresh (eager dispatch): no row when it is not. */
  lockFreeInstance: `
    UPDATE instances SET lock_token = ?, lock_expires = ?, deliveries = 1
    WHERE hub = ? AND instance_id = ? AND deliveries = 0 AND lock_expires <= ? RETURNING ${RAW_COLUMNS}`,
  leaseHeld: 'SELECT 1 FROM instances WHERE hub = ? AND instance_id = ? AND lock_token = ? AND lock_expires > ?',
  /** The earliest due time of a fresh instance, after @now. */
  nextDue: 'SELECT min(next_visible_at) FROM instances INDEXED BY instances_fresh WHERE hub = ? AND deliveries = 0 AND next_visible_at > ?',
  /** Handed-out instances with messages: when their messages come due, or (due already) when their lease ends. */
  nextDueLeaseExpiry: `
    SELECT min(CASE WHEN next_visible_at > @now THEN next_visible_at ELSE lock_expires END) FROM instances INDEXED BY instances_redelivered
    WHERE hub = @hub AND deliveries > 0 AND next_visible_at IS NOT NULL AND (next_visible_at > @now OR lock_expires > @now)`,
  /** @refund is 1 for a graceful give-back (the handout does not count), 0 when it counts. */
  releaseInstance: `
    UPDATE instances SET lock_token = NULL, lock_expires = 0, deliveries = max(0, deliveries - @refund)
    WHERE hub = @hub AND instance_id = @instance_id AND lock_token = @token`,
  renewInstance: 'UPDATE instances SET lock_expires = @expires WHERE hub = @hub AND instance_id = @instance_id AND lock_token = @token AND lock_expires > @now',
  maxChangeSeq: 'SELECT max(change_seq) FROM instances WHERE hub = ?',
  changedSince: 'SELECT instance_id, status, change_seq FROM instances WHERE hub = ? AND change_seq > ? ORDER BY change_seq LIMIT ?',

  // history
  appendHistory: 'INSERT INTO history (hub, instance_id, seq, event) VALUES (?, ?, ?, ?)',
  nextHistorySeq: 'SELECT coalesce(max(seq) + 1, 0) FROM history WHERE hub = ? AND instance_id = ?',
  deleteHistory: 'DELETE FROM history WHERE hub = ? AND instance_id = ?',
  getHistory: 'SELECT event FROM history WHERE hub = ? AND instance_id = ? ORDER BY seq',

  // messages
  insertMessage: 'INSERT INTO messages (hub, instance_id, visible_at, event) VALUES (?, ?, ?, ?)',
  deleteMessage: 'DELETE FROM messages WHERE seq = ? AND hub = ? AND instance_id = ?',
  deleteMessagesOf: 'DELETE FROM messages WHERE hub = ? AND instance_id = ?',
  visibleMessages: 'SELECT seq, event FROM messages WHERE hub = ? AND instance_id = ? AND visible_at <= ? ORDER BY seq',

  // activities
  insertActivity: 'INSERT INTO activities (hub, instance_id, execution_id, task_scheduled_id, name, input) VALUES (?, ?, ?, ?, ?, ?)',
  readyActivities: 'SELECT seq FROM activities INDEXED BY activities_fresh WHERE hub = @hub AND deliveries = 0 ORDER BY seq LIMIT @max',
  redeliveredActivity: `
    SELECT seq FROM activities INDEXED BY activities_redelivered
    WHERE hub = @hub AND deliveries > 0 AND lock_expires <= @now ORDER BY lock_expires, seq LIMIT 1`,
  readyActivitiesOfVersion: `
    SELECT a.seq FROM activities a INDEXED BY activities_fresh JOIN instances i ON i.hub = a.hub AND i.instance_id = a.instance_id
    WHERE a.hub = @hub AND a.deliveries = 0 AND reprise_version_ok(@filter, i.kind, i.name, i.version) ORDER BY a.seq LIMIT @max`,
  redeliveredActivityOfVersion: `
    SELECT a.seq FROM activities a INDEXED BY activities_redelivered JOIN instances i ON i.hub = a.hub AND i.instance_id = a.instance_id
    WHERE a.hub = @hub AND a.deliveries > 0 AND a.lock_expires <= @now AND reprise_version_ok(@filter, i.kind, i.name, i.version)
    ORDER BY a.lock_expires, a.seq LIMIT 1`,
  lockActivity:
    'UPDATE activities SET lock_token = ?, lock_expires = ?, deliveries = deliveries + 1, started_at = ?, progress = NULL WHERE seq = ? RETURNING seq, instance_id, execution_id, task_scheduled_id, name, input, lock_token, deliveries, canceled',
  reportProgress: 'UPDATE activities SET progress = @progress WHERE seq = @seq AND hub = @hub AND lock_token = @token AND lock_expires > @now',
  activityStates: 'SELECT seq, execution_id, task_scheduled_id, name, lock_expires, started_at, progress FROM activities INDEXED BY activities_by_instance WHERE hub = ? AND instance_id = ? ORDER BY seq',
  cancelActivitiesOf: 'UPDATE activities SET canceled = 1 WHERE hub = ? AND instance_id = ?',
  nextActivityExpiry: 'SELECT min(lock_expires) FROM activities INDEXED BY activities_redelivered WHERE hub = ? AND deliveries > 0 AND lock_expires > ?',
  /** Deletes a completed work item, only while `lock_token` holds an unexpired lease on it. */
  completeActivity: 'DELETE FROM activities WHERE seq = ? AND hub = ? AND lock_token = ? AND lock_expires > ?',
  deleteActivitiesOf: 'DELETE FROM activities WHERE hub = ? AND instance_id = ?',
  /** @refund as for releaseInstance. */
  abandonActivity: `
    UPDATE activities SET lock_token = NULL, lock_expires = 0, deliveries = max(0, deliveries - @refund)
    WHERE seq = @seq AND hub = @hub AND lock_token = @token`,
  renewActivity: 'UPDATE activities SET lock_expires = @expires WHERE seq = @seq AND hub = @hub AND lock_token = @token AND lock_expires > @now RETURNING canceled',

  // logs
  insertLog: 'INSERT INTO logs (hub, instance_id, time, level, message, sequence) VALUES (?, ?, ?, ?, ?, ?)',
  getLogs: 'SELECT time, level, message, sequence FROM logs WHERE hub = ? AND instance_id = ? ORDER BY id',
  deleteLogsOf: 'DELETE FROM logs WHERE hub = ? AND instance_id = ?',

  // concurrency groups
  getGroup: 'SELECT max_running, max_queued, running, queued FROM concurrency_groups WHERE hub = ? AND name = ?',
  insertGroup: 'INSERT INTO concurrency_groups (hub, name, max_running, max_queued) VALUES (?, ?, ?, ?)',
  countGroup: 'UPDATE concurrency_groups SET running = running + @running, queued = queued + @queued WHERE hub = @hub AND name = @name RETURNING running, queued',
  deleteGroup: 'DELETE FROM concurrency_groups WHERE hub = ? AND name = ?',
  insertMember: 'INSERT INTO group_members (hub, instance_id, group_name, state, held_visible_at, held_event) VALUES (?, ?, ?, ?, ?, ?)',
  getMember: 'SELECT seq, group_name, state FROM group_members WHERE hub = ? AND instance_id = ?',
  deleteMember: 'DELETE FROM group_members WHERE seq = ?',
  /** The oldest queued member of a group, with its held start. */
  nextQueued: "SELECT seq, instance_id, held_visible_at, held_event FROM group_members WHERE hub = @hub AND group_name = @name AND state = 'queued' ORDER BY seq LIMIT 1",
  admitMember: "UPDATE group_members SET state = 'running', held_visible_at = NULL, held_event = NULL WHERE seq = ?",
  queuePosition: "SELECT count(*) FROM group_members WHERE hub = ? AND group_name = ? AND state = 'queued' AND seq <= ?",
  cancelInstance: `
    UPDATE instances SET status = 'Canceled', output = @output, updated_at = @updated_at, history_length = history_length + @appended,
      lock_token = NULL, lock_expires = 0, deliveries = 0, next_visible_at = NULL, change_seq = @change_seq
    WHERE hub = @hub AND instance_id = @instance_id`,

  // the runtime registry
  heartbeatRuntime: `
    INSERT INTO runtimes (hub, runtime_id, registration, started_at, heartbeat_at, expires_at, stopped_at)
    VALUES (@hub, @runtime_id, @registration, @started_at, @now, @expires_at, NULL)
    ON CONFLICT (hub, runtime_id) DO UPDATE SET registration = excluded.registration, heartbeat_at = excluded.heartbeat_at,
      expires_at = excluded.expires_at, stopped_at = NULL`,
  stopRuntime: 'UPDATE runtimes SET stopped_at = @now, expires_at = min(expires_at, @now) WHERE hub = @hub AND runtime_id = @runtime_id',
  dropOldRuntimes: 'DELETE FROM runtimes WHERE hub = ? AND max(heartbeat_at, coalesce(stopped_at, 0)) < ?',
  listRuntimes: `
    SELECT runtime_id, registration, started_at, heartbeat_at, expires_at, stopped_at FROM runtimes
    WHERE hub = ? AND max(heartbeat_at, coalesce(stopped_at, 0)) >= ? ORDER BY started_at, runtime_id`,
  pendingMessages: 'SELECT seq, visible_at, event FROM messages WHERE hub = ? AND instance_id = ? ORDER BY seq',

  // counters
  readCounter: 'SELECT value FROM counters WHERE name = ?',
  writeCounter: 'UPDATE counters SET value = ? WHERE name = ?',
} as const;

/** Statements that return the first column's value rather than a row. */
const PLUCKED: ReadonlySet<keyof typeof TEXTS> = new Set([
  'instanceStatus', 'leaseHeld', 'instanceExists', 'queuePosition', 'renewActivity', 'recomputeDue', 'readyInstances', 'redeliveredInstance', 'readyInstancesOfVersion', 'redeliveredInstanceOfVersion', 'readyActivitiesOfVersion', 'redeliveredActivityOfVersion', 'nextDue', 'nextDueLeaseExpiry', 'maxChangeSeq', 'nextHistorySeq', 'getHistory', 'readyActivities', 'redeliveredActivity', 'nextActivityExpiry', 'readCounter',
]);

/** Statements that return each row as an array of its columns (RAW_COLUMNS). */
const RAW: ReadonlySet<keyof typeof TEXTS> = new Set(['getInstance', 'lockInstance', 'lockFreeInstance']);

export type Statements = { readonly [K in keyof typeof TEXTS]: Database.Statement } & {
  /** A statement for `text`, prepared on first use and kept. */
  cached(text: string): Database.Statement;
  /** `cached` for a statement that reads rows as arrays (a separate statement: raw mode is a statement's state). */
  cachedRaw(text: string): Database.Statement;
  /** The commit UPDATE (changed columns only) and the rows leases handed out. */
  readonly commits: InstanceCommits;
};

export function prepareStatements(db: Database.Database): Statements {
  const cache = new Map<string, Database.Statement>();
  const rawCache = new Map<string, Database.Statement>();
  const prepared = {} as Record<keyof typeof TEXTS, Database.Statement>;
  for (const name of Object.keys(TEXTS) as Array<keyof typeof TEXTS>) {
    const statement = db.prepare(TEXTS[name]);
    prepared[name] = PLUCKED.has(name) ? statement.pluck() : RAW.has(name) ? statement.raw() : statement;
  }
  return Object.assign(prepared, {
    commits: new InstanceCommits(db),
    cachedRaw(text: string): Database.Statement {
      let statement = rawCache.get(text);
      if (!statement) {
        if (rawCache.size >= 256) rawCache.clear();
        rawCache.set(text, (statement = db.prepare(text).raw()));
      }
      return statement;
    },
    cached(text: string): Database.Statement {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= 256) cache.clear();
        cache.set(text, (statement = db.prepare(text)));
      }
      return statement;
    },
  });
}
