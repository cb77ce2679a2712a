/**
 * Names the schedules feature reserves.
 *
 * Invariants:
 * - Instance ids starting with SYSTEM_PREFIX ('~~') belong to the runtime
 *   (users cannot create them, see validateInstanceId) and are hidden from
 *   `listInstances` unless `includeSystem` is set.
 * - A schedule id contains no '@', so the run-id prefix `<scheduleId>@`
 *   selects exactly one schedule's runs.
 * - A run's id is a pure function of the schedule id and its due time: the
 *   store refuses a second instance with that id, which is what makes a
 *   firing exactly-once under retries and races.
 */
import { InvalidArgumentError } from '../errors.js';
import { SYSTEM_PREFIX, validateInstanceId, validateNamespace as validateNamespaceRule } from '../client/validate.js';

export { SYSTEM_PREFIX };
export const SCHEDULE_PREFIX = `${SYSTEM_PREFIX}schedule:`;
export const SCHEDULE_ORCHESTRATOR = 'reprise.schedule';
export const FIRE_ACTIVITY = 'reprise.schedule.fire';
export const COMMAND_EVENT = 'reprise.schedule.command';
/** The tag every run carries: its schedule's id (`status.scheduleId` reads it). */
export const SCHEDULE_TAG = 'reprise.scheduleId';

/** Leaves room for '@' and the longest due-time or trigger suffix within the 256-character instance id limit. */
const MAX_SCHEDULE_ID_LENGTH = 200;

export function isSystemInstanceId(instanceId: string): boolean {
  return instanceId.startsWith(SYSTEM_PREFIX);
}

export function scheduleInstanceId(scheduleId: string): string {
  return SCHEDULE_PREFIX + scheduleId;
}

/** `nightly@2025-01-01T00:00:00.000Z`: the run for one due time. */
export function runInstanceId(scheduleId: string, dueTime: number): string {
  return `${scheduleId}@${new Date(dueTime).toISOString()}`;
}

/** `nightly@trigger-<id>`: a run started by `trigger`, outside the calendar. */
export function triggerInstanceId(scheduleId: string, triggerId: string): string {
  return `${scheduleId}@trigger-${triggerId}`;
}

export function runPrefix(scheduleId: string): string {
  return `${scheduleId}@`;
}

export function validateScheduleId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('scheduleId must be a non-empty string');
  if (id.length > MAX_SCHEDULE_ID_LENGTH) throw new InvalidArgumentError(`scheduleId is ${id.length} characters, over the ${MAX_SCHEDULE_ID_LENGTH}-character limit`);
  if (id.includes('@')) throw new InvalidArgumentError(`scheduleId '${id}' contains '@', which separates a schedule id from a run's due time`);
  return validateInstanceId(id);
}

/** A namespace: '' (the default) or an id-like name, by the client's one rule. */
export function validateNamespace(namespace: unknown): string {
  return validateNamespaceRule(namespace) ?? '';
}
