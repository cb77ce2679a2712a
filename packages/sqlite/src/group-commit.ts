/**
 * Group commit: operations that arrive in the same tick run in call order in
 * ONE write transaction (BEGIN IMMEDIATE), flushed on setImmediate or at once
 * when the queue is full. Every caller's promise settles only after the
 * transaction has committed (or failed as a whole).
 *
 * One refused operation (a LeaseLostError, bad input) never fails the others
 * and changes nothing itself. The batch first runs optimistically, without
 * savepoints (most batches have no failure); if any operation throws, that
 * whole transaction is rolled back and the batch runs again with a SAVEPOINT
 * per operation, so the refused one is rolled back alone and the rest commit.
 *
 * A batch that finds the database busy is re-run whole (see busy.ts).
 * Read-only batches run without taking the write lock.
 */
import { StorageError, isRepriseError } from '@reprise/core';
import type { Clock, StorageNotice } from '@reprise/core';
import type Database from 'better-sqlite3';
import { isBusy, withBusyRetry } from './busy.js';
import type { Op, OpContext } from './op-context.js';
import type { Statements } from './statements.js';

interface Pending {
  hub: string;
  write: boolean;
  op: Op<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The change_seq values a batch stamped, first and last (contiguous: batches are serialized). */
export type ChangeRange = readonly [first: number, last: number];

interface BatchResult {
  outcomes: Outcome[];
  changes?: ChangeRange;
}

/** How a batch runs: reads only; writes without savepoints; writes with a savepoint per operation. */
type Mode = 'read' | 'fast' | 'safe';

/** Thrown out of a fast attempt to roll it back; the batch then runs in safe mode. */
class RetryWithSavepoints extends Error {}

type Outcome = { ok: true; value: unknown; notices: StorageNotice[] } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  maxBatchSize: number;
  busyTimeoutMs: number;
  clock: Clock;
  /** Called after a batch committed, with the notices of the operations that succeeded. */
  onCommitted(notices: Array<{ hub: string; notice: StorageNotice }>, wrote: boolean, changes?: ChangeRange): void;
}

/** SQLite errors become StorageError; the library's typed errors and others pass through. */
export function toCallerError(error: unknown): unknown {
  if (isRepriseError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new StorageError(`sqliteStorage: ${error.message} (${code})`, { cause: error });
  }
  return error;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private flushing = false;
  private idle: Array<() => void> = [];
  private readonly runWrites: Database.Transaction<(batch: Pending[], mode: Mode) => BatchResult>;
  private readonly runOne: Database.Transaction<(op: Op<unknown>, ctx: OpContext) => unknown>;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly options: GroupCommitOptions,
  ) {
    // A nested transaction function runs under a SAVEPOINT and rolls back to it on throw.
    this.runOne = db.transaction((op: Op<unknown>, ctx: OpContext) => op(ctx));
    this.runWrites = db.transaction((batch: Pending[], mode: Mode) => this.runBatch(batch, mode));
  }

  submit<T>(hub: string, write: boolean, op: Op<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError('sqliteStorage: the storage is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ hub, write, op, resolve: resolve as (value: unknown) => void, reject });
      if (this.flushing) return;
      if (this.queue.length >= this.options.maxBatchSize) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (!this.flushing) void this.flush();
        });
      }
    });
  }

  /** Refuses new operations and resolves once the queued ones have settled. */
  close(): Promise<void> {
    this.closed = true;
    return this.drain();
  }

  /** Resolves once every operation submitted so far has settled. */
  drain(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.push(resolve);
      if (!this.flushing && !this.scheduled) void this.flush();
    });
  }

  private runBatch(batch: Pending[], mode: Mode): BatchResult {
    let first: number | undefined;
    let counter: number | undefined;
    const nextChangeSeq = () => {
      if (counter === undefined) first = (counter = this.s.readCounter.get('change_seq') as number) + 1;
      return ++counter;
    };
    const outcomes: Outcome[] = [];
    for (const pending of batch) {
      const ctx: OpContext = { s: this.s, now: this.options.clock.now(), notices: [], nextChangeSeq };
      try {
        const value = mode === 'safe' ? this.runOne(pending.op, ctx) : pending.op(ctx);
        outcomes.push({ ok: true, value, notices: ctx.notices });
      } catch (error) {
        // Busy, or an error after which SQLite rolled the whole transaction back: the batch fails as one.
        if (isBusy(error) || (mode !== 'read' && !this.db.inTransaction)) throw error;
        if (mode === 'fast') throw new RetryWithSavepoints();
        outcomes.push({ ok: false, error });
      }
    }
    if (counter === undefined || first === undefined) return { outcomes };
    this.s.writeCounter.run(counter, 'change_seq');
    return { outcomes, changes: [first, counter] };
  }

  private attempt(batch: Pending[], write: boolean): BatchResult {
    if (!write) return this.runBatch(batch, 'read');
    try {
      return this.runWrites.immediate(batch, 'fast');
    } catch (error) {
      if (!(error instanceof RetryWithSavepoints)) throw error;
      return this.runWrites.immediate(batch, 'safe');
    }
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatchSize);
        const write = batch.some((p) => p.write);
        let result: BatchResult;
        try {
          result = await withBusyRetry(this.options.busyTimeoutMs, () => this.attempt(batch, write));
        } catch (error) {
          const failure = toCallerError(error);
          for (const p of batch) p.reject(failure);
          continue;
        }
        const { outcomes, changes } = result;
        const notices: Array<{ hub: string; notice: StorageNotice }> = [];
        outcomes.forEach((o, i) => {
          if (o.ok) for (const notice of o.notices) notices.push({ hub: batch[i]!.hub, notice });
        });
        this.options.onCommitted(notices, write, changes);
        outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(toCallerError(o.error))));
      }
    } finally {
      this.flushing = false;
      const idle = this.idle.splice(0);
      for (const resolve of idle) resolve();
    }
  }
}
