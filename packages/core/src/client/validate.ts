import { InvalidArgumentError } from '../errors.js';
import { isRuntimeStatus } from '../status.js';
import type { RuntimeStatus } from '../status.js';
import type { ConcurrencyOptions } from '../definitions.js';

const MAX_INSTANCE_ID_LENGTH = 256;
/** Ids of the runtime's own instances (a schedule's orchestration) start with this; users cannot create them. */
export const SYSTEM_PREFIX = '~~';
// Characters that break URLs and storage keys: path separators, query/fragment markers, control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\?#\u0000-\u001f\u007f-\u009f]/;

/**
 * `.` and `..` are path segments that every URL parser resolves away
 * (`/instances/.` becomes `/instances/`), so an id, name or key spelled that
 * way could never be addressed by a management URL and would hit another
 * route instead. They are refused everywhere, not only over HTTP.
 */
export function refuseDotSegment(value: string, what: string): string {
  if (value === '.' || value === '..') throw new InvalidArgumentError(`${what} must not be '${value}': a URL path cannot carry it (it is resolved as a dot segment)`);
  return value;
}

export function validateInstanceId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('instanceId must be a non-empty string');
  refuseDotSegment(id, 'instanceId');
  if (id.length > MAX_INSTANCE_ID_LENGTH) throw new InvalidArgumentError(`instanceId is ${id.length} characters, over the ${MAX_INSTANCE_ID_LENGTH}-character limit`);
  if (FORBIDDEN.test(id)) throw new InvalidArgumentError(`instanceId '${id.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}' contains a forbidden character (/ \\ ? # or a control character)`);
  if (id.startsWith('@')) throw new InvalidArgumentError(`instanceId '${id}' starts with '@', which is reserved for entities`);
  if (id.startsWith(SYSTEM_PREFIX)) throw new InvalidArgumentError(`instanceId '${id}' starts with '${SYSTEM_PREFIX}', which is reserved for the runtime's own instances (schedules)`);
  return id;
}

/** Orchestrator and event names, and instance ids being looked up. */
export function validateName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`);
  return refuseDotSegment(name, what);
}

export function validateStatuses(statuses: readonly string[] | undefined): RuntimeStatus[] | undefined {
  if (statuses === undefined) return undefined;
  if (!Array.isArray(statuses)) throw new InvalidArgumentError('runtimeStatus must be an array of statuses');
  return statuses.map((s) => {
    if (!isRuntimeStatus(s)) throw new InvalidArgumentError(`'${String(s)}' is not a runtime status`);
    return s;
  });
}

export function validateDate(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const time = value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(time)) throw new InvalidArgumentError(`${what} must be a valid Date`);
  return time;
}

/** A namespace: `''` (the default) or a string valid as an instance id (it travels in URLs and keys the same way). */
export function validateNamespace(namespace: unknown): string | undefined {
  if (namespace === undefined || namespace === '') return namespace;
  if (typeof namespace !== 'string') throw new InvalidArgumentError('namespace must be a string');
  try {
    return validateInstanceId(namespace);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^instanceId/, 'namespace'));
  }
}

/** Concurrency options as given to startNew or defineOrchestrator; returns a clean copy. */
export function validateConcurrency(options: unknown, where: string): ConcurrencyOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new InvalidArgumentError(`${where}: concurrency must be an object { group, limit, maxQueued?, onFull? }`);
  const { group, limit, maxQueued, onFull } = options as Record<string, unknown>;
  if (typeof group !== 'string' || group.length === 0) throw new InvalidArgumentError(`${where}: concurrency.group must be a non-empty string`);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`${where}: concurrency.limit must be a positive integer, got ${String(limit)}`);
  if (maxQueued !== undefined && (typeof maxQueued !== 'number' || !Number.isInteger(maxQueued) || maxQueued < 0)) {
    throw new InvalidArgumentError(`${where}: concurrency.maxQueued must be a non-negative integer, got ${String(maxQueued)}`);
  }
  if (onFull !== undefined && onFull !== 'queue' && onFull !== 'reject') throw new InvalidArgumentError(`${where}: concurrency.onFull must be 'queue' or 'reject', got ${String(onFull)}`);
  return { group, limit, ...(maxQueued !== undefined && { maxQueued: maxQueued as number }), ...(onFull !== undefined && { onFull: onFull as 'queue' | 'reject' }) };
}
