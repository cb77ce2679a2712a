import { InvalidArgumentError } from '../errors.js';
import { isRuntimeStatus } from '../status.js';
import type { RuntimeStatus } from '../status.js';

const MAX_INSTANCE_ID_LENGTH = 256;
// Characters that break URLs and storage keys: path separators, query/fragment markers, control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\?#\u0000-\u001f\u007f-\u009f]/;

export function validateInstanceId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('instanceId must be a non-empty string');
  if (id.length > MAX_INSTANCE_ID_LENGTH) throw new InvalidArgumentError(`instanceId is ${id.length} characters, over the ${MAX_INSTANCE_ID_LENGTH}-character limit`);
  if (FORBIDDEN.test(id)) throw new InvalidArgumentError(`instanceId '${id.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}' contains a forbidden character (/ \\ ? # or a control character)`);
  if (id.startsWith('@')) throw new InvalidArgumentError(`instanceId '${id}' starts with '@', which is reserved for entities`);
  return id;
}

export function validateName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`);
  return name;
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
