import { InvalidArgumentError } from '../errors.js';
import { isRuntimeStatus } from '../status.js';
import type { RuntimeStatus } from '../status.js';

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
