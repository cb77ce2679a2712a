/**
 * A commit writes only the instance columns it changes: an UPDATE rewrites
 * every index that holds a column it SETs, so a step that leaves `status`
 * alone must not name it. What the row held is the copy its lease handed
 * out (`Leased`): while the lease is held nothing else writes those columns
 * (every other writer is fenced on the lease, or ends it), and the commit's
 * own UPDATE is fenced on the same token. Without a copy (another
 * connection's restart, a copy dropped) every column is written.
 *
 * One conditional UPDATE does the fence, the new columns, the lease's end
 * and the earliest due time; statements are cached per set of columns.
 */
import type Database from 'better-sqlite3';

/** The columns a commit may change, in the order of `commitValuesOf` and RAW_COLUMNS (rows.ts). */
const COLUMNS = [
  'kind', 'name', 'execution_id', 'status', 'input', 'output', 'custom_status', 'created_at', 'updated_at',
  'history_length', 'parent_instance_id', 'tags', 'entity_state',
] as const;

/** A row's values for COLUMNS, by position (a raw row's first values are these). */
export type CommitValues = readonly unknown[];

/** Instance rows as their leases found them, by lock token (bounded: a lease never committed leaves its copy). */
export class Leased {
  private readonly rows = new Map<string, CommitValues>();
  private static readonly MAX = 10_000;

  remember(token: string, row: CommitValues): void {
    if (this.rows.size >= Leased.MAX) this.rows.clear();
    this.rows.set(token, row);
  }

  take(token: string): CommitValues | undefined {
    const row = this.rows.get(token);
    if (row) this.rows.delete(token);
    return row;
  }

  forget(token: string): void {
    this.rows.delete(token);
  }
}

/** The commit UPDATE of one connection: one prepared statement per set of changed columns. */
export class InstanceCommits {
  private readonly cache = new Map<number, { update: Database.Statement; due: Database.Statement }>();
  private readonly due: Database.Statement;
  readonly leased = new Leased();

  constructor(private readonly db: Database.Database) {
    this.due = db.prepare('SELECT min(visible_at) FROM messages WHERE hub = ? AND instance_id = ?').pluck();
  }

  /**
   * Ends the lease `token` and writes `next`'s changed columns; returns the
   * instance's earliest due time (null: no message), or undefined when the
   * lease is not held (nothing was written).
   */
  run(before: CommitValues | undefined, next: CommitValues, key: { hub: string; instanceId: string; token: string; now: number; changeSeq: number }): number | null | undefined {
    let mask = 0;
    const values: unknown[] = [];
    for (let i = 0; i < COLUMNS.length; i++) {
      if (before === undefined || before[i] !== next[i]) {
        mask |= 1 << i;
        values.push(next[i]);
      }
    }
    const { update, due } = this.statementFor(mask);
    if (update.run(...values, key.changeSeq, key.hub, key.instanceId, key.hub, key.instanceId, key.token, key.now).changes === 0) return undefined;
    return due.get(key.hub, key.instanceId) as number | null;
  }

  private statementFor(mask: number): { update: Database.Statement; due: Database.Statement } {
    const cached = this.cache.get(mask);
    if (cached) return cached;
    const changed = COLUMNS.filter((_, i) => mask & (1 << i));
    // Positional (better-sqlite3 binds ?NNN by name): the changed values, change_seq, hub and id (twice), token, now.
    // No RETURNING (SQLite stages returned rows in a temporary table): the due time is read back from the inbox index.
    const update = this.db
      .prepare(
        `UPDATE instances SET ${changed.map((c) => `${c} = ?, `).join('')}lock_token = NULL, lock_expires = 0, deliveries = 0, change_seq = ?,
           next_visible_at = (SELECT min(visible_at) FROM messages WHERE hub = ? AND instance_id = ?)
         WHERE hub = ? AND instance_id = ? AND lock_token = ? AND lock_expires > ?`,
      );
    const statements = { update, due: this.due };
    this.cache.set(mask, statements);
    return statements;
  }
}
