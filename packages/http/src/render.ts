/**
 * Instance and entity views as the API documentation shows them. Absent values are
 * `null` (the documentation: "This field is null if ..."); times are ISO-8601 UTC.
 * The history array is `historyEvents` in the Durable Functions HTTP API,
 * `null` without `showHistory` as its documentation says, and `history` in the
 * orchestration REST facade (/api/orchestration), left out without it.
 *
 * Invariants:
 * - a read never fails because of a stored value: a payload nested deeper
 *   than MAX_PAYLOAD_DEPTH (only a store written by other means can hold
 *   one) or referring to itself is shown as a note, not answered 500;
 * - failure details carry no `stack` (server file paths) unless the handler
 *   was created with `exposeErrorDetails: true`; the core status keeps it.
 */
import { MAX_PAYLOAD_DEPTH } from '@reprise/core';
import type { EntityMetadata, HistoryEventView, OrchestrationStatus, RuntimeStatus } from '@reprise/core';

export type HistoryField = 'historyEvents' | 'history';

export interface ViewOptions {
  exposeErrorDetails: boolean;
}

export function statusView(status: OrchestrationStatus, historyField: HistoryField, options: ViewOptions): Record<string, unknown> {
  const output = status.runtimeStatus === 'Failed' ? failureView(status.output, options) : status.output;
  const view: Record<string, unknown> = {
    name: status.name,
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    input: payloadView(status.input),
    customStatus: payloadView(status.customStatus),
    output: payloadView(output),
    createdTime: status.createdTime.toISOString(),
    lastUpdatedTime: status.lastUpdatedTime.toISOString(),
  };
  if (status.parentInstanceId !== undefined) view.parentInstanceId = status.parentInstanceId;
  if (status.tags !== undefined) view.tags = status.tags;
  const history = status.history?.map((event) => historyEventView(event, options));
  if (history !== undefined) view[historyField] = history;
  else if (historyField === 'historyEvents') view.historyEvents = null;
  return view;
}

export function entityView(entity: EntityMetadata): Record<string, unknown> {
  const view: Record<string, unknown> = {
    entityId: { key: entity.entityId.key, name: entity.entityId.name },
    lastOperationTime: entity.lastOperationTime.toISOString(),
  };
  if ('state' in entity) view.state = payloadView(entity.state);
  return view;
}

const PAYLOAD_FIELDS = ['Input', 'Result', 'Details', 'Reason'] as const;

function historyEventView(event: HistoryEventView, options: ViewOptions): HistoryEventView {
  const view: HistoryEventView = { ...event };
  for (const field of PAYLOAD_FIELDS) {
    if (!(field in view)) continue;
    view[field] = payloadView(field === 'Details' ? failureView(view[field], options) : view[field]);
  }
  return view;
}

/** Failure details without their stack, unless the handler exposes error details. */
function failureView(value: unknown, options: ViewOptions): unknown {
  if (options.exposeErrorDetails || value === null || typeof value !== 'object' || Array.isArray(value) || !('stack' in value)) return value;
  const { stack: _stack, ...rest } = value as Record<string, unknown>;
  return rest;
}

/**
 * A payload as it can be written into a JSON answer: `null` for none, and a
 * note in place of a value JSON.stringify could not write (nested too deep for
 * its recursion, or circular).
 */
export function payloadView(value: unknown): unknown {
  if (value === undefined) return null;
  const problem = unrenderable(value);
  return problem === undefined ? value : `[not shown: the stored value ${problem}]`;
}

/** Why `value` cannot be rendered, or undefined. Iterative: the value may be arbitrarily deep. */
function unrenderable(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const ancestors = new Set<object>();
  const stack: Array<{ value: object; depth: number } | { leave: object }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if ('leave' in top) {
      ancestors.delete(top.leave);
      continue;
    }
    const { value: obj, depth } = top;
    if (depth > MAX_PAYLOAD_DEPTH) return `is nested more than ${MAX_PAYLOAD_DEPTH} levels deep`;
    if (ancestors.has(obj)) return 'refers to itself';
    ancestors.add(obj);
    stack.push({ leave: obj });
    for (const child of childrenOf(obj)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

function childrenOf(obj: object): Iterable<unknown> {
  if (Array.isArray(obj)) return obj;
  if (obj instanceof Map) return [...obj.keys(), ...obj.values()];
  if (obj instanceof Set) return obj;
  if (obj instanceof Date || ArrayBuffer.isView(obj)) return [];
  return Object.values(obj);
}

const IN_PROGRESS: ReadonlySet<RuntimeStatus> = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

/**
 * The Durable Functions status-query code: 202 while in progress (the caller
 * keeps polling), 200 once terminal, 500 for Failed only when asked with
 * `returnInternalServerErrorOnFailure=true`.
 */
export function statusCodeFor(status: RuntimeStatus, returnInternalServerErrorOnFailure: boolean): 200 | 202 | 500 {
  if (IN_PROGRESS.has(status)) return 202;
  if (status === 'Failed' && returnInternalServerErrorOnFailure) return 500;
  return 200;
}
