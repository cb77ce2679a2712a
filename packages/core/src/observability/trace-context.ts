/**
 * W3C trace context as Reprise stores it. An orchestration's span context
 * lives with its instance, in reserved tags (like the schedule tag), so every
 * process sharing the store parents its spans the same way; the tags are kept
 * out of the statuses users read.
 */
import { randomBytes } from 'node:crypto';

/** Traceparent of the instance's `orchestration <name>` span (allocated at start, emitted when it ends). */
export const TRACE_SPAN_TAG = 'reprise.trace.span';
/** Traceparent of that span's parent (the `start <name>` span), absent for a root. */
export const TRACE_PARENT_TAG = 'reprise.trace.parent';
/** The caller's tracestate, when it had one. */
export const TRACE_STATE_TAG = 'reprise.trace.state';

const TRACE_TAGS = [TRACE_SPAN_TAG, TRACE_PARENT_TAG, TRACE_STATE_TAG];

export interface SpanIds {
  traceId: string;
  spanId: string;
  /** W3C trace flags (1: sampled). */
  traceFlags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a version-00 traceparent; undefined when malformed or all-zero. */
export function parseTraceparent(value: unknown): SpanIds | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) };
}

export function formatTraceparent(ids: SpanIds): string {
  return `00-${ids.traceId}-${ids.spanId}-${(ids.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

/** The stored trace context of an instance, if it has one. */
export function traceTagsOf(tags: Record<string, string> | undefined): { span: SpanIds; parent?: SpanIds; state?: string } | undefined {
  const span = parseTraceparent(tags?.[TRACE_SPAN_TAG]);
  if (!span) return undefined;
  const parent = parseTraceparent(tags?.[TRACE_PARENT_TAG]);
  const state = tags?.[TRACE_STATE_TAG];
  return { span, ...(parent && { parent }), ...(state !== undefined && { state }) };
}

/** The tags that store an orchestration span allocated under `parent`. */
export function traceTags(span: SpanIds, parent: SpanIds | undefined, state: string | undefined): Record<string, string> {
  return {
    [TRACE_SPAN_TAG]: formatTraceparent(span),
    ...(parent && { [TRACE_PARENT_TAG]: formatTraceparent(parent) }),
    ...(state && { [TRACE_STATE_TAG]: state }),
  };
}

/** A child span's ids: a new span in the parent's trace, or a new root trace (sampled) without one. */
export function allocateSpan(parent: SpanIds | undefined): SpanIds {
  return parent ? { traceId: parent.traceId, spanId: newSpanId(), traceFlags: parent.traceFlags } : { traceId: newTraceId(), spanId: newSpanId(), traceFlags: 1 };
}

/** User tags without Reprise's trace tags (undefined when none are left). */
export function withoutTraceTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!tags || !TRACE_TAGS.some((key) => key in tags)) return tags;
  const rest = { ...tags };
  for (const key of TRACE_TAGS) delete rest[key];
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Only Reprise's trace tags (undefined when there are none). */
export function onlyTraceTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!tags) return undefined;
  const kept = Object.fromEntries(TRACE_TAGS.filter((key) => key in tags).map((key) => [key, tags[key]!]));
  return Object.keys(kept).length > 0 ? kept : undefined;
}
