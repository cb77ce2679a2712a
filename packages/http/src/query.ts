/**
 * Reading the query string and path parameters. Parameter names are
 * case-insensitive (the orchestration REST facade says so; the Durable Functions host reads them
 * case-insensitively too). Values are checked strictly: a bad date, number,
 * boolean, status or id is a 400, never a silent default.
 */
import { RUNTIME_STATUSES, validateInstanceId } from '@reprise/core';
import type { RuntimeStatus } from '@reprise/core';
import { badRequest } from './errors.js';

export class Query {
  readonly #values = new Map<string, string>();

  constructor(params: URLSearchParams) {
    // The first occurrence of a name wins, whatever its case.
    for (const [name, value] of params) {
      const key = name.toLowerCase();
      if (!this.#values.has(key)) this.#values.set(key, value);
    }
  }

  /** The raw value of the first of `names` present (an empty value counts as absent). */
  get(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.#values.get(name.toLowerCase());
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  }

  required(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw badRequest(`the query parameter '${name}' is required`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw badRequest(`'${name}' must be true or false, got '${clip(value)}'`);
  }

  /** A positive integer (top, pageSize). */
  positiveInteger(...names: string[]): number | undefined {
    const name = names.find((n) => this.get(n) !== undefined);
    if (name === undefined) return undefined;
    const value = this.get(name)!;
    if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw badRequest(`'${name}' must be a positive integer, got '${clip(value)}'`);
    return Number(value);
  }

  date(name: string): Date | undefined {
    const value = this.get(name);
    return value === undefined ? undefined : parseDate(value, name);
  }

  statuses(name: string): RuntimeStatus[] | undefined {
    const value = this.get(name);
    return value === undefined ? undefined : parseStatuses(value, name);
  }

  /** A comma list of names (taskHubNames). */
  list(name: string): string[] | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return items.length === 0 ? undefined : items;
  }
}

const BY_LOWER = new Map<string, RuntimeStatus>(RUNTIME_STATUSES.map((s) => [s.toLowerCase(), s]));

export function parseStatuses(value: string, name: string): RuntimeStatus[] {
  const out: RuntimeStatus[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const status = BY_LOWER.get(item.toLowerCase());
    if (!status) throw badRequest(`'${clip(item)}' in '${name}' is not a runtime status (${RUNTIME_STATUSES.join(', ')})`);
    if (!out.includes(status)) out.push(status);
  }
  return out;
}

// ISO-8601: a date, optionally a time with optional fraction (any number of
// digits, as .NET writes seven) and zone. No zone means UTC, not local time.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export function parseDate(input: string, name: string): Date {
  // A '+' in a query string arrives as a space: '...T09:30:00 01:00' meant '+01:00'.
  const value = input.trim().replace(/(T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$/i, '$1+$2');
  const m = ISO.exec(value);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
    // Not Date.UTC: it reads years 0–99 as 1900–1999.
    const check = new Date(0);
    check.setUTCFullYear(year, month - 1, day);
    check.setUTCHours(hour, minute, second, ms);
    let time = check.getTime();
    const valid = month >= 1 && month <= 12 && check.getUTCDate() === day && check.getUTCMonth() === month - 1 && hour < 24 && minute < 60 && second < 60;
    if (valid) {
      if (zone.toUpperCase() !== 'Z') {
        const sign = zone.startsWith('-') ? -1 : 1;
        const digits = zone.slice(1).replace(':', '');
        const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
        time -= sign * offset * 60_000;
      }
      if (Number.isFinite(time)) return new Date(time);
    }
  }
  throw badRequest(`'${name}' must be an ISO-8601 timestamp such as 2019-11-13T09:30:00.000Z, got '${clip(input)}'`);
}

/** Core's instance-id rule, judged before any lookup so a bad path id is a 400. */
export function checkInstanceId(id: string, what = 'instanceId'): string {
  try {
    return validateInstanceId(id);
  } catch (error) {
    throw badRequest((error as Error).message.replace(/^instanceId/, what));
  }
}

/**
 * Names (orchestrators, events, operations, entity names and keys): non-empty,
 * no control characters, and not `.` or `..` (a URL parser resolves those as
 * dot segments, so they could reach another route; operation names never
 * travel in a path and may be anything).
 */
export function checkName(value: string, what: string, options: { allowAt?: boolean; allowDots?: boolean } = {}): string {
  if (value.length === 0) throw badRequest(`${what} must not be empty`);
  if (options.allowDots !== true && (value === '.' || value === '..')) throw badRequest(`${what} must not be '${value}': a URL path cannot carry it`);
  if (value.length > 1024) throw badRequest(`${what} is over 1024 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) throw badRequest(`${what} contains a control character`);
  if (options.allowAt === false && value.includes('@')) throw badRequest(`${what} must not contain '@'`);
  return value;
}

function clip(value: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > 64 ? `${safe.slice(0, 64)}…` : safe;
}
