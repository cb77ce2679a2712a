/**
 * What an activity tells about itself while it runs: progress
 * (`actx.reportProgress`) and log lines (`actx.log`).
 *
 * Invariants:
 * - One store write per report, at most one per PROGRESS_INTERVAL_MS: a
 *   report inside the window waits for the window's end and writes the last
 *   value then, and every caller of that window resolves (or fails) with
 *   that write. A caller that awaited its report sees it in `getSteps`.
 * - Writes are fenced by the work item's lease: once one is refused with
 *   LeaseLostError, every later report fails the same way without a write.
 * - Log lines are kept here and committed with the completion (no write of
 *   their own), tagged with the step's sequence.
 * - Nothing here runs unless the activity calls it: the hot path is unchanged.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ProgressRecord } from '../history.js';
import type { ActivityProgress, ActivityWorkItem, LogEntry, Storage } from '../storage/types.js';
import { logLine } from '../log-line.js';

export const PROGRESS_INTERVAL_MS = 100;
const MAX_PROGRESS_MESSAGE = 2000;

/** `log(message)` writes at info level (durable-functions' `context.log`); the methods pick the level. */
export interface ActivityLogger {
  (message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class ActivityReporter {
  readonly logs: LogEntry[] = [];
  #log: ActivityLogger | undefined;
  readonly #onLog: (entry: LogEntry) => void;
  #last: ActivityProgress | undefined;
  #pending: ActivityProgress | undefined;
  #waiters: Waiter[] = [];
  #timer: unknown;
  #lastWriteAt = -Infinity;
  #lost: unknown;
  #done = false;

  constructor(
    private readonly storage: Storage,
    private readonly taskHub: string,
    private readonly item: ActivityWorkItem,
    private readonly clock: Clock,
    onLog: (entry: LogEntry) => void,
  ) {
    this.#onLog = onLog;
  }

  /** `actx.log`, made on first use: most activities never log, and a step should not pay for six closures. */
  get log(): ActivityLogger {
    if (this.#log) return this.#log;
    const line = (level: LogEntry['level']) => (message: string, ...args: unknown[]) => {
      const entry: LogEntry = { time: this.clock.now(), level, message: logLine(message, args), sequence: this.item.taskScheduledId };
      this.logs.push(entry);
      try {
        this.#onLog(entry);
      } catch {
        // A failing logger must not fail the activity; the line is still stored.
      }
    };
    return (this.#log = Object.assign(line('info'), { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }));
  }

  /** The last progress reported (written or not yet), for the completion event. */
  get lastProgress(): ProgressRecord | undefined {
    const progress = this.#pending ?? this.#last;
    return progress && { Percent: progress.percent, ...(progress.message !== undefined && { Message: progress.message }), At: new Date(progress.at).toISOString() };
  }

  report(percent: number, message?: string): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      return Promise.reject(new InvalidArgumentError(`reportProgress needs a percent between 0 and 100, got ${String(percent)}`));
    }
    if (message !== undefined && (typeof message !== 'string' || message.length > MAX_PROGRESS_MESSAGE)) {
      return Promise.reject(new InvalidArgumentError(`reportProgress's message must be a string of at most ${MAX_PROGRESS_MESSAGE} characters`));
    }
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    const now = this.clock.now();
    this.#pending = { percent, ...(message !== undefined && { message }), at: now };
    if (this.#done) return Promise.resolve(); // the completion carries it
    const promise = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#timer === undefined) {
      const wait = this.#lastWriteAt + PROGRESS_INTERVAL_MS - now;
      if (wait <= 0) void this.#flush();
      // Wrapper lambda so a virtual clock's timers work.
      else this.#timer = this.clock.setTimeout(() => void this.#flush(), wait);
    }
    return promise;
  }

  /** The activity finished: the completion carries the last value, so pending callers need no write. */
  finish(): void {
    this.#done = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const progress = this.#pending;
    const waiters = this.#waiters.splice(0);
    if (!progress || this.#done) {
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    this.#pending = undefined;
    this.#lastWriteAt = this.clock.now();
    this.#last = progress;
    try {
      await this.storage.reportProgress(this.taskHub, this.item.id, this.item.lockToken, progress);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      // Fenced: the lease is gone, and with it the right to write anything for this item.
      this.#lost = error;
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}
