/**
 * Notices, so workers never busy-poll.
 *
 * - Same process: every sqliteStorage on the same resolved path shares one
 *   emitter (per hub); a commit publishes its notices there right after it
 *   commits.
 * - Other processes: each storage with subscribers checks
 *   `PRAGMA data_version` (a cheap read that changes when another connection
 *   committed) on an adaptive interval: `minPollIntervalMs` right after
 *   activity, doubling while quiet up to `pollIntervalMs`. On a change it
 *   tells its own subscribers 'orchestration-work' and 'activity-work', and
 *   'instance-updated' for every instance row written since it last looked
 *   (rows carry a store-wide `change_seq`).
 * Timers are unref'd and stop on close. A check that fails (other than
 * busy) and a subscriber that throws are reported to `onError`.
 */
import EventEmitter from 'eventemitter3';
import type Database from 'better-sqlite3';
import { StorageError } from '@reprise/core';
import type { ErrorHandler, RuntimeStatus, StorageNotice } from '@reprise/core';
import { isBusy } from './busy.js';
import type { ChangeRange } from './group-commit.js';
import type { Statements } from './statements.js';

type Listener = (notice: StorageNotice) => void;

const channels = new Map<string, EventEmitter>();

/** Publishes to every in-process subscriber of `hub` on the file `key`. */
export function publish(key: string, hub: string, notice: StorageNotice): void {
  channels.get(key)?.emit(hub, notice);
}

function listen(key: string, hub: string, listener: Listener): () => void {
  let emitter = channels.get(key);
  if (!emitter) channels.set(key, (emitter = new EventEmitter()));
  const target = emitter;
  target.on(hub, listener);
  return () => {
    target.off(hub, listener);
    if (target.eventNames().length === 0 && channels.get(key) === target) channels.delete(key);
  };
}

/** A listener that throws must not break a commit or the poll loop: what it threw goes to `onError`. */
function guard(listener: Listener, onError: ErrorHandler): Listener {
  return (notice) => {
    try {
      listener(notice);
    } catch (error) {
      onError(error);
    }
  };
}

const CHANGES_PER_POLL = 1000;

export class Notifier {
  private readonly local = new Map<string, Set<Listener>>();
  private readonly watermarks = new Map<string, number>();
  private db: Database.Database | undefined;
  private s: Statements | undefined;
  private dataVersion = 0;
  private interval: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = 0;
  /** The last check failure reported; a failure that repeats every interval is reported once. */
  private lastPollError = '';

  constructor(
    private readonly key: string,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onError: ErrorHandler,
  ) {
    this.interval = minMs;
  }

  subscribe(hub: string, listener: Listener): () => void {
    const safe = guard(listener, this.onError);
    const stopSameProcess = listen(this.key, hub, safe);
    let set = this.local.get(hub);
    if (!set) {
      this.local.set(hub, (set = new Set()));
      this.initWatermark(hub);
    }
    set.add(safe);
    this.schedule(this.minMs);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      stopSameProcess();
      set.delete(safe);
      if (set.size === 0 && this.local.get(hub) === set) {
        this.local.delete(hub);
        this.watermarks.delete(hub);
      }
      if (this.local.size === 0) this.clearTimer();
    };
  }

  /** Starts watching a freshly opened connection. */
  attach(db: Database.Database, s: Statements): void {
    this.db = db;
    this.s = s;
    this.dataVersion = db.pragma('data_version', { simple: true }) as number;
    for (const hub of this.local.keys()) this.initWatermark(hub);
    this.schedule(this.minMs);
  }

  detach(): void {
    this.clearTimer();
    this.db = undefined;
    this.s = undefined;
    this.watermarks.clear();
  }

  /** After a local commit: publish in-process, and look for other processes' answers soon. */
  committed(notices: Array<{ hub: string; notice: StorageNotice }>, wrote: boolean, changes?: ChangeRange): void {
    for (const { hub, notice } of notices) publish(this.key, hub, notice);
    // Our own rows were just published: skip them in the next poll when nobody wrote in between.
    if (changes) for (const [hub, mark] of this.watermarks) if (mark === changes[0] - 1) this.watermarks.set(hub, changes[1]);
    if (wrote) {
      this.interval = this.minMs;
      this.schedule(this.minMs);
    }
  }

  private initWatermark(hub: string): void {
    if (!this.s || this.watermarks.has(hub)) return;
    this.watermarks.set(hub, (this.s.maxChangeSeq.get(hub) as number | null) ?? 0);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs a check within `ms`, unless one is already due sooner. */
  private schedule(ms: number): void {
    if (!this.db || this.local.size === 0) return;
    const due = Date.now() + ms;
    if (this.timer !== undefined && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, ms);
    this.timer.unref();
  }

  private poll(): void {
    const db = this.db;
    if (!db || !db.open || this.local.size === 0) return;
    let more = false;
    let changed = false;
    try {
      const version = db.pragma('data_version', { simple: true }) as number;
      changed = version !== this.dataVersion;
      this.dataVersion = version;
      if (changed) more = this.announce();
      this.lastPollError = '';
    } catch (error) {
      // Busy: try again at the next interval. Anything else would repeat silently forever: say so, once.
      if (!isBusy(error)) this.reportPollError(error);
    }
    this.interval = changed ? this.minMs : Math.min(this.interval * 2, this.maxMs);
    this.schedule(more ? 0 : this.interval);
  }

  private reportPollError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.lastPollError) return;
    this.lastPollError = message;
    this.onError(new StorageError(`sqliteStorage: checking for other processes' commits failed (retrying): ${message}`, { cause: error }));
  }

  /** Tells local subscribers about other connections' commits. Returns true when more changes wait. */
  private announce(): boolean {
    let more = false;
    for (const [hub, listeners] of this.local) {
      const notices: StorageNotice[] = [{ type: 'orchestration-work' }, { type: 'activity-work' }];
      const since = this.watermarks.get(hub) ?? 0;
      const rows = this.s!.changedSince.all(hub, since, CHANGES_PER_POLL) as Array<{ instance_id: string; status: RuntimeStatus; change_seq: number }>;
      for (const row of rows) notices.push({ type: 'instance-updated', instanceId: row.instance_id, status: row.status });
      if (rows.length > 0) this.watermarks.set(hub, rows[rows.length - 1]!.change_seq);
      if (rows.length === CHANGES_PER_POLL) {
        more = true;
        this.dataVersion = -1; // look again at once
      }
      for (const notice of notices) for (const listener of [...listeners]) listener(notice);
    }
    return more;
  }
}
