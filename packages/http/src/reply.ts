/**
 * Building responses. Bodies are JSON; Dates become ISO-8601 UTC strings
 * (their toJSON), and the values superjson lets payloads carry but JSON has
 * no form for are written plainly: BigInt as a decimal string, Map as an
 * object (or an entries array when a key is not a string), Set as an array.
 */
import type { ErrorReply } from './errors.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, replacer) ?? 'null';
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) {
    const entries = [...value.entries()];
    return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : entries;
  }
  if (value instanceof Set) return [...value];
  return value;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(toJson(value), { status, headers: { ...headers, 'content-type': JSON_TYPE } });
}

/** 202 with no content, as both APIs' documentation answers raise event, terminate, suspend, resume, rewind and signal. */
export function accepted(): Response {
  return new Response(null, { status: 202 });
}

export function errorResponse(reply: ErrorReply): Response {
  return json(reply.status, { error: reply.code, message: reply.message }, { ...reply.headers });
}
