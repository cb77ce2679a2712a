import { InvalidArgumentError, systemClock } from '@reprise/core';
import type { Clock, ErrorHandler } from '@reprise/core';

export interface SqliteStorageOptions {
  /**
   * The database file. Its directory must exist; the file is created (with the
   * schema) on first open. `':memory:'` gives a private in-memory database
   * (one connection, so not shared with anything: tests and demos).
   */
  path: string;
  /**
   * SQLite's `synchronous` setting, in WAL mode.
   * - `'NORMAL'`: a commit survives a crash of the process; the last few
   *   commits may be lost on power loss or an OS crash (never corruption).
   * - `'FULL'`: every commit is fsynced before it returns; survives power loss.
   * @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long one write waits for another connection (another process) to
   * release the database before SQLite reports it busy; a busy transaction is
   * then retried as a whole, so SQLITE_BUSY never reaches the caller.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * WAL pages written before SQLite checkpoints them into the database file.
   * Checkpoints are the expensive part of a commit stream (they copy pages and,
   * in NORMAL mode, fsync); a larger WAL makes them rarer.
   * @default 10000 (about 40 MiB of WAL)
   */
  walAutocheckpointPages?: number;
  /**
   * Bytes of the file SQLite reads through mmap instead of read() calls. 0 turns it off.
   * @default 268435456 (256 MiB)
   */
  mmapSizeBytes?: number;
  /**
   * The longest interval between checks for commits made by other processes
   * (`PRAGMA data_version`), reached when the file has been quiet for a while.
   * Checks only run while someone is subscribed.
   * @default 250
   */
  pollIntervalMs?: number;
  /**
   * The interval between checks right after activity (a commit here or
   * elsewhere); it doubles on every quiet check up to `pollIntervalMs`.
   * @default 5
   */
  minPollIntervalMs?: number;
  /**
   * Most operations one group-commit transaction holds. Operations that
   * arrive in the same tick share one transaction; a full queue is flushed at
   * once.
   * @default 512
   */
  maxBatchSize?: number;
  /**
   * Clock that judges lease expiry and message visibility. SQLite has no
   * server clock, so this is each process's own clock: processes sharing a
   * file must agree on the time (they do on one machine).
   * @default the system clock (`Date.now()`)
   */
  clock?: Clock;
  /**
   * Receives the errors no caller is waiting for: what a `subscribe` listener
   * threw, and a failed check for other processes' commits (a `StorageError`;
   * busy is not a failure, and a failure that repeats is reported once until
   * a check succeeds again). The same shape as the runtime's and the HTTP
   * handler's `onError`, so one function can take them all.
   * @default logs with `console.error('[reprise/sqlite]', error)`
   */
  onError?: ErrorHandler;
}

export interface ResolvedOptions {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  busyTimeoutMs: number;
  walAutocheckpointPages: number;
  mmapSizeBytes: number;
  pollIntervalMs: number;
  minPollIntervalMs: number;
  maxBatchSize: number;
  clock: Clock;
  onError: ErrorHandler;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`sqliteStorage: ${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

export function resolveOptions(options: SqliteStorageOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path === '') {
    throw new InvalidArgumentError("sqliteStorage: options.path must be a file path (or ':memory:')");
  }
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new InvalidArgumentError(`sqliteStorage: synchronous must be 'NORMAL' or 'FULL', got ${String(synchronous)}`);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidArgumentError(`sqliteStorage: onError must be a function, got ${typeof options.onError}`);
  }
  const { onError } = options;
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs, 250);
  const minPollIntervalMs = Math.min(positiveInteger('minPollIntervalMs', options.minPollIntervalMs, 5), pollIntervalMs);
  return {
    path: options.path,
    synchronous,
    busyTimeoutMs: positiveInteger('busyTimeoutMs', options.busyTimeoutMs, 5000, 0),
    walAutocheckpointPages: positiveInteger('walAutocheckpointPages', options.walAutocheckpointPages, 10_000),
    mmapSizeBytes: positiveInteger('mmapSizeBytes', options.mmapSizeBytes, 256 * 1024 * 1024, 0),
    pollIntervalMs,
    minPollIntervalMs,
    maxBatchSize: positiveInteger('maxBatchSize', options.maxBatchSize, 512),
    clock: options.clock ?? systemClock,
    onError: (error) => {
      // Called from timers and commits: what the handler throws must not escape into them.
      try {
        (onError ?? ((e: unknown) => console.error('[reprise/sqlite]', e)))(error);
      } catch (thrown) {
        console.error('[reprise/sqlite] onError threw', thrown, 'while handling', error);
      }
    },
  };
}
