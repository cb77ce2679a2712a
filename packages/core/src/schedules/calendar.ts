/**
 * Due times. Pure: the orchestrator calls these during replay, so the same
 * state and time always give the same answer.
 *
 * Invariants:
 * - Cron arithmetic (fields, time zones, daylight-saving gaps and repeats)
 *   is croner's, never ours: a time that does not exist in the zone runs
 *   when croner says (02:30 on a spring-forward day runs at 03:00), a time
 *   that occurs twice runs once (its first occurrence).
 * - An interval never drifts: its due times are `anchor + k * every`.
 * - Every due time lies within [startAt, endAt].
 */
import { Cron } from 'croner';
import { InvalidArgumentError } from '../errors.js';

/** The calendar as stored: epoch milliseconds, one of at/every/cron. */
export interface StoredCalendar {
  at?: number;
  every?: number;
  cron?: string;
  timezone: string;
  startAt?: number;
  endAt?: number;
}

/** An update's calendar fields: one of at/every/cron replaces the kind; the others override one by one. */
export type CalendarPatch = Partial<StoredCalendar>;

export const MIN_EVERY_MS = 1000;

export function mergeCalendar(current: StoredCalendar, patch: CalendarPatch): StoredCalendar {
  const newKind = patch.at !== undefined || patch.every !== undefined || patch.cron !== undefined;
  const merged: StoredCalendar = newKind
    ? { ...(patch.at !== undefined && { at: patch.at }), ...(patch.every !== undefined && { every: patch.every }), ...(patch.cron !== undefined && { cron: patch.cron }), timezone: current.timezone }
    : { ...current };
  // A zone belongs to a cron expression: a calendar that stops being cron goes back to UTC unless told otherwise.
  if (newKind && merged.cron === undefined) merged.timezone = 'UTC';
  if (patch.timezone !== undefined) merged.timezone = patch.timezone;
  const startAt = patch.startAt ?? current.startAt;
  const endAt = patch.endAt ?? current.endAt;
  if (startAt !== undefined) merged.startAt = startAt;
  if (endAt !== undefined) merged.endAt = endAt;
  return merged;
}

/** Checks a calendar; throws InvalidArgumentError naming what is wrong. */
export function validateCalendar(calendar: StoredCalendar): StoredCalendar {
  const kinds = (['at', 'every', 'cron'] as const).filter((k) => calendar[k] !== undefined);
  if (kinds.length !== 1) throw new InvalidArgumentError(kinds.length === 0 ? 'a schedule needs one of at, every or cron' : `a schedule takes one of at, every or cron, not ${kinds.join(' and ')}`);
  if (calendar.every !== undefined && !(Number.isFinite(calendar.every) && calendar.every >= MIN_EVERY_MS)) {
    throw new InvalidArgumentError(`every must be a finite number of milliseconds >= ${MIN_EVERY_MS}, got ${String(calendar.every)}`);
  }
  validateTimezone(calendar.timezone);
  if (calendar.cron !== undefined) cronOf(calendar.cron, calendar.timezone);
  if (calendar.startAt !== undefined && calendar.endAt !== undefined && calendar.endAt < calendar.startAt) throw new InvalidArgumentError('endAt is before startAt');
  return calendar;
}

function validateTimezone(timezone: unknown): void {
  if (typeof timezone !== 'string' || timezone.length === 0) throw new InvalidArgumentError('timezone must be an IANA time zone name');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidArgumentError(`unknown timezone '${timezone}'`);
  }
}

// Parsed patterns, by expression and zone: parsing is the expensive part and due times are asked for often.
const crons = new Map<string, Cron>();

function cronOf(expression: unknown, timezone: string): Cron {
  if (typeof expression !== 'string') throw new InvalidArgumentError('cron must be a string');
  const key = `${timezone}\u0000${expression}`;
  let cron = crons.get(key);
  if (cron) return cron;
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw new InvalidArgumentError(`cron '${expression}' has ${fields} fields; use 5 (minute precision) or 6 (seconds first)`);
  try {
    cron = new Cron(expression, { timezone, paused: true, mode: fields === 5 ? '5-part' : '6-part' });
    cron.nextRun(new Date(0));
  } catch (error) {
    throw new InvalidArgumentError(`invalid cron '${expression}': ${(error as Error).message}`);
  }
  if (crons.size > 1000) crons.clear();
  crons.set(key, cron);
  return cron;
}

/**
 * The first due time strictly after `after` (epoch ms), or undefined when
 * the calendar has no more. `createdAt` anchors an interval without startAt.
 */
export function dueAfter(calendar: StoredCalendar, after: number, createdAt: number): number | undefined {
  let due: number | undefined;
  const from = calendar.startAt === undefined ? after : Math.max(after, calendar.startAt - 1);
  if (calendar.at !== undefined) {
    due = calendar.at > after ? calendar.at : undefined;
  } else if (calendar.every !== undefined) {
    const anchor = calendar.startAt ?? createdAt;
    const k = Math.max(0, Math.floor((from - anchor) / calendar.every) + 1);
    due = anchor + k * calendar.every;
  } else if (calendar.cron !== undefined) {
    due = cronOf(calendar.cron, calendar.timezone).nextRun(new Date(from))?.getTime();
  }
  if (due === undefined || (calendar.endAt !== undefined && due > calendar.endAt)) return undefined;
  return due;
}
