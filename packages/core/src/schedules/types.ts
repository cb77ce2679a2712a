/**
 * The public shapes of schedules: what `client.schedules.create` takes and
 * what every read returns.
 */
import type { OrchestratorHandle } from '../definitions.js';
import type { RuntimeStatus } from '../status.js';

/** What happens when a due time comes while the previous run has not ended. */
export type ScheduleOverlap = 'skip' | 'bufferOne' | 'allow';

/** What happens to due times missed while no worker ran (or while paused). */
export type ScheduleCatchUp = 'latest' | 'all' | 'none';

/** The calendar: exactly one of `at`, `every`, `cron`. */
export interface ScheduleCalendar {
  /** One shot: run once at this time. */
  at?: Date;
  /** Interval in milliseconds (>= 1000); due times are `startAt + k * every`, never drifting. */
  every?: number;
  /** A 5-field (minute precision) or 6-field (seconds first) cron expression. */
  cron?: string;
  /** IANA time zone the cron expression is read in. @default 'UTC' */
  timezone?: string;
  /** No run before this time; the anchor of an interval. @default the creation time (an interval's first run is one interval later) */
  startAt?: Date;
  /** No run after this time; the schedule ends there. */
  endAt?: Date;
}

export interface CreateScheduleOptions<I = unknown> extends ScheduleCalendar {
  /** @default a generated id */
  scheduleId?: string;
  orchestrator: string | OrchestratorHandle<I, unknown>;
  /** The input of every run. */
  input?: I;
  /** @default 'skip' */
  overlap?: ScheduleOverlap;
  /** @default 'latest' */
  catchUp?: ScheduleCatchUp;
  /** The namespace of the schedule and of its runs. @default '' */
  namespace?: string;
  /** User data kept with the schedule and given to each run. */
  tags?: Record<string, string>;
  /** Create it paused. @default false */
  paused?: boolean;
}

/** A reschedule: fields left out keep their value; one of `at`/`every`/`cron` replaces the calendar's kind. */
export interface UpdateScheduleOptions<I = unknown> extends ScheduleCalendar {
  input?: I;
  overlap?: ScheduleOverlap;
  catchUp?: ScheduleCatchUp;
}

export interface ScheduleSpecDescription {
  at?: Date;
  every?: number;
  cron?: string;
  timezone: string;
  startAt?: Date;
  endAt?: Date;
}

/** A run the schedule started. */
export interface ScheduleRun {
  instanceId: string;
  /** The due time it was started for (the trigger time for a triggered run). */
  scheduledAt: Date;
  startedAt: Date;
  /** The run's status when the description was read; undefined once the run was purged. */
  status: RuntimeStatus | undefined;
}

/** A due time that started no run. */
export interface SkippedScheduleRun {
  scheduledAt: Date;
  /** 'overlap': the previous run had not ended; 'catchUp': missed while no worker ran or while paused; 'error': starting it failed. */
  reason: 'overlap' | 'catchUp' | 'error';
  message?: string;
}

export interface ScheduleDescription<I = unknown> {
  scheduleId: string;
  orchestrator: string;
  input: I;
  spec: ScheduleSpecDescription;
  overlap: ScheduleOverlap;
  catchUp: ScheduleCatchUp;
  namespace: string;
  tags: Record<string, string>;
  paused: boolean;
  /** Why it was paused, when `pause(id, reason)` gave one. */
  pauseReason?: string;
  /** The next due time; undefined while paused and once the schedule has ended. */
  nextRunAt?: Date;
  /** True once a one-shot has run or `endAt` has passed: nothing more will fire (until an update). */
  ended: boolean;
  /** The most recent runs, newest first (at most 10). */
  lastRuns: ScheduleRun[];
  /** The most recent due times that started no run, newest first (at most 10). */
  skippedRuns: SkippedScheduleRun[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ListSchedulesFilter {
  namespace?: string;
  orchestrator?: string | OrchestratorHandle<never, unknown>;
  /** @default 100 */
  pageSize?: number;
  continuationToken?: string;
}
