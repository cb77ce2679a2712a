/**
 * A schedule's state and every change to it, as pure functions: the
 * orchestrator applies them during replay, and the client applies the same
 * ones to restart an ended schedule, so both agree by construction.
 *
 * Invariants:
 * - `cursor` is the last due time handled (started, skipped or buffered);
 *   the next due time is the calendar's first one after it, so a due time is
 *   handled once per schedule and an update never loses or repeats one.
 * - A due time is *missed* when it came while paused (<= `missedUntil`) or
 *   more than MISSED_AFTER_MS before a worker reached it; only missed due
 *   times are subject to `catchUp`. Late-but-recent ones always run.
 * - `acks` lists the last commands applied, so a client can wait for its own.
 */
import type { RuntimeStatus } from '../status.js';
import { dueAfter, mergeCalendar, validateCalendar } from './calendar.js';
import type { CalendarPatch, StoredCalendar } from './calendar.js';
import type { ScheduleCatchUp, ScheduleDescription, ScheduleOverlap } from './types.js';

/** Due times reached later than this after they fell due count as missed (no worker was running). */
export const MISSED_AFTER_MS = 60_000;
const HISTORY_KEPT = 10;
const ACKS_KEPT = 20;
/** Cap on missed due times stepped over in one go (a per-second cron after a long outage). */
const MAX_STEPS = 200_000;

export interface StoredRun {
  instanceId: string;
  scheduledAt: number;
  startedAt: number;
  status: RuntimeStatus;
}

export interface StoredSkip {
  scheduledAt: number;
  reason: 'overlap' | 'catchUp' | 'error';
  message?: string;
}

export interface ScheduleState {
  scheduleId: string;
  orchestrator: string;
  input: unknown;
  calendar: StoredCalendar;
  overlap: ScheduleOverlap;
  catchUp: ScheduleCatchUp;
  namespace: string;
  tags: Record<string, string>;
  paused: boolean;
  pauseReason?: string;
  /** Last due time handled; undefined before the first. */
  cursor?: number;
  /** Due times at or before this were missed (the schedule was paused then). */
  missedUntil?: number;
  /** bufferOne: the due time waiting for the previous run to end. */
  buffered?: number;
  /** Triggered runs to start now: [run id, trigger time]. */
  triggers: Array<[string, number]>;
  lastRuns: StoredRun[];
  skipped: StoredSkip[];
  acks: string[];
  ended: boolean;
  deleted: boolean;
  createdAt: number;
  updatedAt: number;
}

export type ScheduleCommand = { id: string; at: number } & (
  | { type: 'update'; calendar: CalendarPatch; input?: { value: unknown }; overlap?: ScheduleOverlap; catchUp?: ScheduleCatchUp }
  | { type: 'pause'; reason?: string }
  | { type: 'resume' }
  | { type: 'trigger'; runId: string }
  | { type: 'delete' }
);

/** The first calendar due time not handled yet, or undefined. */
export function nextDue(state: ScheduleState): number | undefined {
  // Without a cursor nothing was handled: due times from creation on count (an `at` in the past runs at once).
  const after = state.cursor ?? (state.calendar.at !== undefined ? -Infinity : state.calendar.startAt !== undefined ? state.createdAt - 1 : state.createdAt);
  return dueAfter(state.calendar, after, state.createdAt);
}

function isMissed(state: ScheduleState, due: number, now: number): boolean {
  return (state.missedUntil !== undefined && due <= state.missedUntil) || now - due > MISSED_AFTER_MS;
}

/**
 * The due time to fire now, after stepping over missed ones as `catchUp`
 * says; undefined when nothing is due yet.
 */
export function takeDue(state: ScheduleState, now: number): { state: ScheduleState; due?: number } {
  let current = state;
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const due = nextDue(current);
    if (due === undefined || due > now) return { state: current };
    if (!isMissed(current, due, now) || current.catchUp === 'all') return { state: current, due };
    if (current.catchUp === 'latest') {
      const following = dueAfter(current.calendar, due, current.createdAt);
      if (following === undefined || following > now || !isMissed(current, following, now)) return { state: current, due };
    }
    current = skip(current, due, 'catchUp');
  }
  // Stepped over MAX_STEPS missed due times: move the cursor to now, the rest are missed too.
  return { state: { ...current, cursor: now } };
}

export function skip(state: ScheduleState, due: number, reason: StoredSkip['reason'], message?: string): ScheduleState {
  const entry: StoredSkip = { scheduledAt: due, reason, ...(message !== undefined && { message }) };
  return { ...state, cursor: Math.max(state.cursor ?? -Infinity, due), skipped: [entry, ...state.skipped].slice(0, HISTORY_KEPT) };
}

export function recordRun(state: ScheduleState, run: StoredRun): ScheduleState {
  return { ...state, lastRuns: [run, ...state.lastRuns.filter((r) => r.instanceId !== run.instanceId)].slice(0, HISTORY_KEPT) };
}

/** True when nothing can fire again without an update: no due time, nothing buffered or triggered. */
export function isFinished(state: ScheduleState): boolean {
  return !state.paused && nextDue(state) === undefined && state.buffered === undefined && state.triggers.length === 0;
}

export function applyCommand(state: ScheduleState, command: ScheduleCommand, now: number): ScheduleState {
  const acked = { ...state, acks: [command.id, ...state.acks].slice(0, ACKS_KEPT), updatedAt: now };
  switch (command.type) {
    case 'update': {
      const calendar = mergeCalendar(state.calendar, command.calendar);
      const calendarChanged = (['at', 'every', 'cron', 'timezone', 'startAt', 'endAt'] as const).some((k) => calendar[k] !== state.calendar[k]);
      // The client validated the patch against the state it read; one that no longer fits (a concurrent update) is dropped.
      if (calendarChanged && !isValid(calendar)) return acked;
      const next: ScheduleState = {
        ...acked,
        calendar,
        ...(command.input !== undefined && { input: command.input.value }),
        ...(command.overlap !== undefined && { overlap: command.overlap }),
        ...(command.catchUp !== undefined && { catchUp: command.catchUp }),
        ended: false,
      };
      // A new one-shot time is a new due time, even when an earlier one-shot already ran.
      if (calendarChanged && calendar.at !== undefined) delete next.cursor;
      // Due times before the update that the new calendar adds are not owed: the next due time is after now.
      else if (calendarChanged) next.cursor = Math.max(next.cursor ?? -Infinity, now - 1);
      return next;
    }
    case 'pause':
      return { ...acked, paused: true, ...(command.reason !== undefined && { pauseReason: command.reason }) };
    case 'resume': {
      const { pauseReason: _, ...rest } = acked;
      // Due times that came while paused follow catchUp.
      return state.paused ? { ...rest, paused: false, missedUntil: command.at } : rest;
    }
    case 'trigger':
      return { ...acked, ended: false, triggers: [...acked.triggers, [command.runId, command.at]] };
    case 'delete':
      return { ...acked, deleted: true };
  }
}

function isValid(calendar: StoredCalendar): boolean {
  try {
    validateCalendar(calendar);
    return true;
  } catch {
    return false;
  }
}

export function describeState(state: ScheduleState): Omit<ScheduleDescription, 'lastRuns'> & { lastRuns: StoredRun[] } {
  const { calendar } = state;
  const next = state.paused ? undefined : nextDue(state);
  return {
    scheduleId: state.scheduleId,
    orchestrator: state.orchestrator,
    input: state.input,
    spec: {
      ...(calendar.at !== undefined && { at: new Date(calendar.at) }),
      ...(calendar.every !== undefined && { every: calendar.every }),
      ...(calendar.cron !== undefined && { cron: calendar.cron }),
      timezone: calendar.timezone,
      ...(calendar.startAt !== undefined && { startAt: new Date(calendar.startAt) }),
      ...(calendar.endAt !== undefined && { endAt: new Date(calendar.endAt) }),
    },
    overlap: state.overlap,
    catchUp: state.catchUp,
    namespace: state.namespace,
    tags: { ...state.tags },
    paused: state.paused,
    ...(state.pauseReason !== undefined && { pauseReason: state.pauseReason }),
    ...(next !== undefined && { nextRunAt: new Date(next) }),
    ended: state.ended || isFinished(state),
    lastRuns: state.lastRuns,
    skippedRuns: state.skipped.map((s) => ({ scheduledAt: new Date(s.scheduledAt), reason: s.reason, ...(s.message !== undefined && { message: s.message }) })),
    createdAt: new Date(state.createdAt),
    updatedAt: new Date(state.updatedAt),
  };
}
