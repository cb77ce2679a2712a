/** Turns contract values into script arguments and script replies back. */
import { InvalidArgumentError } from '@reprise/core';
import type { ActivityProgress, ActivityState, ActivityWorkItem, Admission, InstanceRecord, LockedInstance, NewActivity, NewMessage, RuntimeEntry, RuntimeRegistration, StoredMessage, VersionMatch } from '@reprise/core';

export type Arg = string | number;

/**
 * The row JSON and its indexed columns: st, k, n, ca, ua, ns. The default
 * namespace '' is stored as absent (and so read back as absent).
 */
export function rowArgs(record: InstanceRecord): Arg[] {
  const { namespace = '' } = record;
  const row = namespace === '' && 'namespace' in record ? { ...record, namespace: undefined } : record;
  return [JSON.stringify(row), record.status, record.kind, record.name, record.createdAt, record.updatedAt, namespace];
}

/** A message as the 11 fields the scripts read; the last is the admission of the instance it creates. */
export function messageArgs(message: NewMessage, out: Arg[]): void {
  out.push(message.instanceId, JSON.stringify(message.event), message.visibleAt ?? '');
  if (message.createIfMissing) out.push(...rowArgs(message.createIfMissing), admissionArg(message.admission));
  else out.push('', '', '', '', '', '', '', '');
}

/** '<limit>:<maxQueued>:<group>', or '' for none. */
function admissionArg(admission: Admission | undefined): string {
  if (!admission) return '';
  checkAdmission(admission);
  return `${admission.limit}:${admission.maxQueued ?? ''}:${admission.group}`;
}

/** The scripts trust these: a bad admission is refused before anything is sent. */
export function checkAdmission(admission: Admission): void {
  const { group, limit, maxQueued, onFull } = admission;
  if (typeof group !== 'string' || group === '') throw new InvalidArgumentError('a concurrency group needs a non-empty name');
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`a concurrency limit must be a positive integer, got ${limit}`);
  if (maxQueued !== undefined && (!Number.isSafeInteger(maxQueued) || maxQueued < 0)) {
    throw new InvalidArgumentError(`maxQueued must be a non-negative integer, got ${maxQueued}`);
  }
  if (onFull !== 'queue' && onFull !== 'reject') throw new InvalidArgumentError(`onFull must be 'queue' or 'reject', got ${String(onFull)}`);
}

export function messagesArgs(messages: NewMessage[], out: Arg[]): void {
  out.push(messages.length);
  for (const m of messages) messageArgs(m, out);
}

export function activityArgs(id: string, activity: NewActivity, out: Arg[]): void {
  out.push(id, activity.instanceId, JSON.stringify({ ...activity, id }));
}

type LockedInstanceReply = [string, string, number, string, string[]];

export function decodeLockedInstance(reply: LockedInstanceReply): LockedInstance {
  const [instanceId, lockToken, deliveries, row, flat] = reply;
  const messages: StoredMessage[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    messages.push({ id: flat[i]!, instanceId, event: JSON.parse(flat[i + 1]!) as StoredMessage['event'] });
  }
  return { instance: JSON.parse(row) as InstanceRecord, lockToken, deliveries: Number(deliveries), messages };
}

/** Eager dispatch leaves out the canceled flag (a new item is never marked). */
type ActivityReply = [string, string, number, number?];

export function decodeActivity(reply: ActivityReply): ActivityWorkItem {
  const [item, lockToken, deliveries, canceled] = reply;
  const decoded: ActivityWorkItem = { ...(JSON.parse(item) as NewActivity & { id: string }), lockToken, deliveries: Number(deliveries) };
  if (canceled === 1) decoded.canceled = true;
  return decoded;
}

/** items, nextVisibleInMs (-1: none), redelivered waiting (1) or not (0). */
export type LockReply<R> = [R[], number, number];
export type { ActivityReply, LockedInstanceReply };

/** LockOptions.redelivered as the scripts read it: '1' may hand one out (the default), '0' fresh items only. */
export function redeliveredArg(redelivered: boolean | undefined): string {
  return redelivered === false ? '0' : '1';
}

export function lockExtras(ms: number, waiting: number): { nextVisibleInMs?: number; redeliveredWaiting?: boolean } {
  return { ...(ms >= 0 && { nextVisibleInMs: ms }), ...(waiting === 1 && { redeliveredWaiting: true }) };
}

/** A row of the activityStates script: item JSON, running (0/1), startedAt ('' when not running), progress JSON (''). */
export function decodeActivityState([item, running, startedAt, progress, leaseExpiresAt]: ActivityStateReply): ActivityState {
  const { id, executionId, taskScheduledId, name } = JSON.parse(item) as NewActivity & { id: string };
  return {
    workItemId: id,
    executionId,
    taskScheduledId,
    name,
    running: Number(running) === 1,
    ...(startedAt !== '' && { startedAt: Number(startedAt) }),
    ...(progress !== '' && { progress: JSON.parse(progress) as ActivityProgress }),
    ...(leaseExpiresAt !== '' && { leaseExpiresAt: Number(leaseExpiresAt) }),
  };
}

/** item JSON, running (1/0), startedAt, progress JSON, lease expiry ('' for none). */
export type ActivityStateReply = [string, number, string, string, string];

/** A registry entry: the registration as the runtime wrote it, and '<heartbeatAt>|<expiresAt>|<stoppedAt>' by the server's clock. */
export function decodeRuntime([registration, times]: [string, string]): RuntimeEntry {
  const [heartbeatAt, expiresAt, stoppedAt] = times.split('|');
  return {
    ...(JSON.parse(registration) as RuntimeRegistration),
    heartbeatAt: Number(heartbeatAt),
    expiresAt: Number(expiresAt),
    ...(stoppedAt !== undefined && stoppedAt !== '' && { stoppedAt: Number(stoppedAt) }),
  };
}

/** LockOptions.version as the lock scripts read it (JSON, decoded once per call), or '' for none. */
export function versionArg(filter: VersionMatch | undefined): string {
  if (!filter) return '';
  const { match, version, byOrchestrator, exempt } = filter;
  if ((match !== 'strict' && match !== 'currentOrOlder') || typeof version !== 'string') {
    throw new InvalidArgumentError(`a version filter needs match 'strict' or 'currentOrOlder' and a version, got ${JSON.stringify(filter)}`);
  }
  return JSON.stringify({ match, version, byOrchestrator: byOrchestrator ?? {}, exempt: exempt ?? [] });
}
