/**
 * The schema and its forward migrations.
 *
 * `schema_version` holds one row: the number of migrations applied. Opening
 * runs the missing ones, in order, in one write transaction; a file whose
 * version is newer than this code knows is refused before anything is
 * written. Never edit a shipped migration: append a new one.
 *
 * Every table is scoped by `hub`. Tables and what serves each query:
 * - instances: one row per instance, with its lease (`lock_token`,
 *   `lock_expires`), its delivery count, `next_visible_at` (the earliest
 *   `visible_at` of its inbox: the "due work" index) and `change_seq` (a
 *   store-wide counter bumped on every write, which other processes poll).
 * - history: append-only, one row per event, keyed (hub, instance_id, seq)
 *   (WITHOUT ROWID since v7).
 * - instance_counts (v7): instances per (kind, namespace, name, version,
 *   status), kept by triggers on instances; counts read it, not the rows.
 * - messages: the inboxes; `seq` is the store-assigned order and the id.
 * - activities: activity work items with their own lease, when the holder
 *   took it and its last progress (the step view reads them by instance).
 * - logs: the replay-safe log lines, and activities' lines with their step's sequence.
 * - counters: named integers (`change_seq`).
 * - concurrency_groups: per group, the settings that apply (those of the
 *   admission that found it empty) and its running / queued counts, so
 *   admission reads one row.
 * - runtimes: the registry of runtimes (names served, heartbeat, stop).
 * - group_members: one row per member instance, `running` or `queued`; a
 *   queued member holds its start message here until promotion. `seq` is
 *   the FIFO order; positions are index range counts.
 *
 * `deliveries` counts handouts since the last commit (instances) or ever
 * (work items), minus refunded give-backs. Rows with `deliveries = 0` are
 * fresh work; rows with `deliveries > 0` and no live lease are redelivered
 * (their holder died) and are handed out one at a time. Partial indexes
 * keep the two apart, so neither lock query scans the other's rows.
 */
import type Database from 'better-sqlite3';

type Migration = (db: Database.Database) => void;

const v1: Migration = (db) => {
  db.exec(`
    CREATE TABLE instances (
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      execution_id TEXT NOT NULL,
      status TEXT NOT NULL,
      input TEXT,
      output TEXT,
      custom_status TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      history_length INTEGER NOT NULL,
      parent_instance_id TEXT,
      tags TEXT,
      entity_state TEXT,
      lock_token TEXT,
      lock_expires INTEGER NOT NULL DEFAULT 0,
      deliveries INTEGER NOT NULL DEFAULT 0,
      next_visible_at INTEGER,
      change_seq INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (hub, instance_id)
    );
    -- queries: by status, by creation time, by name, by kind (all in page order);
    -- the primary key serves instance-id prefixes (a range scan).
    CREATE INDEX instances_by_status ON instances (hub, status, created_at, instance_id);
    CREATE INDEX instances_by_created ON instances (hub, created_at, instance_id);
    CREATE INDEX instances_by_name ON instances (hub, name, created_at, instance_id);
    CREATE INDEX instances_by_kind ON instances (hub, kind, created_at, instance_id);
    -- entities by name and last operation time
    CREATE INDEX entities_by_updated ON instances (hub, name, updated_at) WHERE kind = 'entity';
    -- instances with due (or soon due) messages
    CREATE INDEX instances_due ON instances (hub, next_visible_at) WHERE next_visible_at IS NOT NULL;
    -- changes other processes have not seen yet
    CREATE INDEX instances_by_change ON instances (hub, change_seq);

    CREATE TABLE history (
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      event TEXT NOT NULL,
      PRIMARY KEY (hub, instance_id, seq)
    );

    CREATE TABLE messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      visible_at INTEGER NOT NULL,
      event TEXT NOT NULL
    );
    -- an inbox, and its earliest due time
    CREATE INDEX messages_by_instance ON messages (hub, instance_id, visible_at);

    CREATE TABLE activities (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      execution_id TEXT NOT NULL,
      task_scheduled_id INTEGER NOT NULL,
      name TEXT NOT NULL,
      input TEXT,
      lock_token TEXT,
      lock_expires INTEGER NOT NULL DEFAULT 0,
      deliveries INTEGER NOT NULL DEFAULT 0
    );
    -- free (lock_expires = 0) then expired work items, in enqueue order
    CREATE INDEX activities_ready ON activities (hub, lock_expires, seq);
    CREATE INDEX activities_by_instance ON activities (hub, instance_id);

    CREATE TABLE logs (
      id INTEGER PRIMARY KEY,
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      time INTEGER NOT NULL,
      level TEXT NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX logs_by_instance ON logs (hub, instance_id, id);

    CREATE TABLE counters (
      name TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    );
    INSERT INTO counters (name, value) VALUES ('change_seq', 0);
  `);
};

/** Redelivery: fresh and redelivered work each get their own index (see the header). */
const v2: Migration = (db) => {
  db.exec(`
    -- fresh instances with due messages, by due time
    CREATE INDEX instances_fresh ON instances (hub, next_visible_at) WHERE deliveries = 0;
    -- instances handed out since their last commit (leased or redelivered), by lease expiry
    CREATE INDEX instances_redelivered ON instances (hub, lock_expires) WHERE deliveries > 0;
    -- fresh work items in enqueue order
    CREATE INDEX activities_fresh ON activities (hub, seq) WHERE deliveries = 0;
    -- work items handed out before (leased or redelivered), by lease expiry; also the next expiry
    CREATE INDEX activities_redelivered ON activities (hub, lock_expires, seq) WHERE deliveries > 0;
    DROP INDEX activities_ready;
  `);
};

/**
 * Flow control: namespaces (existing rows read as ''), concurrency groups and
 * their members, and the cancellation mark on work items.
 */
const v3: Migration = (db) => {
  db.exec(`
    ALTER TABLE instances ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
    ALTER TABLE instances ADD COLUMN concurrency TEXT;
    -- counts by namespace and status (a covering range, never every row)
    CREATE INDEX instances_by_namespace_status ON instances (hub, kind, namespace, status, created_at);
    -- pages of one namespace, in page order
    CREATE INDEX instances_by_namespace ON instances (hub, namespace, created_at, instance_id);
    ALTER TABLE activities ADD COLUMN canceled INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE concurrency_groups (
      hub TEXT NOT NULL,
      name TEXT NOT NULL,
      max_running INTEGER NOT NULL,
      max_queued INTEGER,
      running INTEGER NOT NULL DEFAULT 0,
      queued INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (hub, name)
    );
    CREATE TABLE group_members (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      group_name TEXT NOT NULL,
      state TEXT NOT NULL,
      held_visible_at INTEGER,
      held_event TEXT
    );
    CREATE UNIQUE INDEX group_members_by_instance ON group_members (hub, instance_id);
    -- the queue of a group, in FIFO order
    CREATE INDEX group_members_queue ON group_members (hub, group_name, state, seq);
  `);
};

/**
 * Steps: a work item's current holder took it at `started_at` and last
 * reported `progress` (JSON, the holder's own: a new lease clears it); a log
 * line written by an activity carries its step's `sequence`.
 */
const v4: Migration = (db) => {
  db.exec(`
    ALTER TABLE activities ADD COLUMN started_at INTEGER;
    ALTER TABLE activities ADD COLUMN progress TEXT;
    ALTER TABLE logs ADD COLUMN sequence INTEGER;
  `);
};

/**
 * Versions: the version an instance was started at (NULL: unversioned, read
 * as absent), for queries, counts and the lock calls' version filter.
 */
const v5: Migration = (db) => {
  db.exec(`
    ALTER TABLE instances ADD COLUMN version TEXT;
    -- counts by version and status (a covering range, never every row)
    CREATE INDEX instances_by_version_status ON instances (hub, kind, version, status, created_at);
    -- pages of one version, in page order
    CREATE INDEX instances_by_version ON instances (hub, version, created_at, instance_id);
  `);
};

/**
 * v6, the runtime registry (`client.explain`): one row per runtime with the
 * names it serves (`registration`, JSON) and its heartbeat; rows not heard
 * from within the retention are deleted by the next heartbeat.
 */
const v6: Migration = (db) => {
  db.exec(`
    CREATE TABLE runtimes (
      hub TEXT NOT NULL,
      runtime_id TEXT NOT NULL,
      registration TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      heartbeat_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      stopped_at INTEGER,
      PRIMARY KEY (hub, runtime_id)
    );
  `);
};

/** The identity of a count: every dimension `countInstances` filters on without a range. */
const COUNT_KEY = 'hub, kind, namespace, name, version, status';
const countKeyOf = (row: 'new' | 'old') => `${row}.hub, ${row}.kind, ${row}.namespace, ${row}.name, coalesce(${row}.version, ''), ${row}.status`;
const countWhere = (row: 'new' | 'old') =>
  `hub = ${row}.hub AND kind = ${row}.kind AND namespace = ${row}.namespace AND name = ${row}.name AND version = coalesce(${row}.version, '') AND status = ${row}.status`;

/**
 * v7, the hot path and O(log N) queries (issue 20).
 *
 * - instance_counts: how many instances of each (kind, namespace, name,
 *   version, status), kept by triggers in the same transaction as every
 *   insert, delete and change of those columns, so a count without a
 *   range reads a handful of rows whatever the number of instances.
 * - instances' secondary indexes, replaced: each list filter has one index
 *   whose equality columns come first and page order (created_at,
 *   instance_id) last, so a page is a range read; several statuses are
 *   several ranges merged. Only two of them hold `status` (the column a
 *   commit changes), and `instances_fresh` now holds only rows with due
 *   messages (it also serves the next due time, so `instances_due` goes).
 * - history WITHOUT ROWID: one B-tree per append instead of two.
 */
const v7: Migration = (db) => {
  db.exec(`
    DROP INDEX instances_by_status;
    DROP INDEX instances_by_created;
    DROP INDEX instances_by_name;
    DROP INDEX instances_by_kind;
    DROP INDEX instances_by_namespace_status;
    DROP INDEX instances_by_namespace;
    DROP INDEX instances_by_version_status;
    DROP INDEX instances_by_version;
    DROP INDEX instances_due;
    DROP INDEX instances_fresh;
    -- pages in page order: all, one status, one namespace, one namespace and status, one name, one version
    -- (only the two with status change when a commit moves a status; namespace, name and version never change)
    CREATE INDEX instances_list ON instances (hub, kind, created_at, instance_id);
    CREATE INDEX instances_list_status ON instances (hub, kind, status, created_at, instance_id);
    CREATE INDEX instances_list_namespace ON instances (hub, kind, namespace, created_at, instance_id);
    CREATE INDEX instances_list_namespace_status ON instances (hub, kind, namespace, status, created_at, instance_id);
    CREATE INDEX instances_list_name ON instances (hub, kind, name, created_at, instance_id);
    CREATE INDEX instances_list_version ON instances (hub, kind, version, created_at, instance_id);
    -- fresh instances (never handed out since their last commit) with messages, by due time
    CREATE INDEX instances_fresh ON instances (hub, next_visible_at) WHERE deliveries = 0 AND next_visible_at IS NOT NULL;

    CREATE TABLE history_v7 (
      hub TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      event TEXT NOT NULL,
      PRIMARY KEY (hub, instance_id, seq)
    ) WITHOUT ROWID;
    INSERT INTO history_v7 (hub, instance_id, seq, event) SELECT hub, instance_id, seq, event FROM history;
    DROP TABLE history;
    ALTER TABLE history_v7 RENAME TO history;

    CREATE TABLE instance_counts (
      hub TEXT NOT NULL,
      kind TEXT NOT NULL,
      namespace TEXT NOT NULL,
      name TEXT NOT NULL,
      version TEXT NOT NULL, -- '' for unversioned
      status TEXT NOT NULL,
      n INTEGER NOT NULL,
      PRIMARY KEY (${COUNT_KEY})
    ) WITHOUT ROWID;
    INSERT INTO instance_counts (${COUNT_KEY}, n)
      SELECT hub, kind, namespace, name, coalesce(version, ''), status, count(*) FROM instances GROUP BY 1, 2, 3, 4, 5, 6;

    CREATE TRIGGER instances_counted_insert AFTER INSERT ON instances BEGIN
      INSERT INTO instance_counts (${COUNT_KEY}, n) VALUES (${countKeyOf('new')}, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER instances_counted_delete AFTER DELETE ON instances BEGIN
      UPDATE instance_counts SET n = n - 1 WHERE ${countWhere('old')};
    END;
    CREATE TRIGGER instances_counted_update AFTER UPDATE OF kind, namespace, name, version, status ON instances
    WHEN old.status IS NOT new.status OR old.kind IS NOT new.kind OR old.namespace IS NOT new.namespace OR old.name IS NOT new.name OR old.version IS NOT new.version
    BEGIN
      UPDATE instance_counts SET n = n - 1 WHERE ${countWhere('old')};
      INSERT INTO instance_counts (${COUNT_KEY}, n) VALUES (${countKeyOf('new')}, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    END;
  `);
};

/** Forward migrations; migration i brings a file from version i to i + 1. */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4, v5, v6, v7];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Tables this schema owns; a file holding any of them without `schema_version` is not ours. */
export const OWN_TABLES = ['instances', 'history', 'messages', 'activities', 'logs', 'counters', 'concurrency_groups', 'group_members', 'runtimes', 'instance_counts'] as const;

/** Version of an opened file: 0 for a fresh one, undefined when the file has no version table. */
export function readSchemaVersion(db: Database.Database): number | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (table === undefined) return undefined;
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/** Applies the missing migrations. Call inside a write transaction, after checking the version. */
export function migrate(db: Database.Database, from: number | undefined): void {
  if (from === undefined) db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (let version = from ?? 0; version < MIGRATIONS.length; version++) MIGRATIONS[version]!(db);
  db.prepare('DELETE FROM schema_version').run();
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
}
