/**
 * SQLITE_BUSY never reaches a caller: SQLite's busy timeout waits for the
 * other connection first, and a transaction that still finds the database
 * busy is re-run as a whole after a short random back-off, until a deadline.
 */
import { StorageError } from '@reprise/core';

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** How long the retries of one transaction may go on, beyond SQLite's own busy wait. */
export function busyDeadlineMs(busyTimeoutMs: number): number {
  return Math.max(60_000, busyTimeoutMs * 12);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withBusyRetry<T>(busyTimeoutMs: number, run: () => T): Promise<T> {
  const deadline = Date.now() + busyDeadlineMs(busyTimeoutMs);
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() >= deadline) {
        throw new StorageError(`sqliteStorage: the database stayed locked by another connection for over ${busyDeadlineMs(busyTimeoutMs)} ms`, { cause: error });
      }
      await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }
}
