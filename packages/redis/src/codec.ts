/** Turns contract values into script arguments and script replies back. */
import type { ActivityWorkItem, InstanceRecord, LockedInstance, NewActivity, NewMessage, StoredMessage } from '@reprise/core';

export type Arg = string | number;

/** The indexed columns of a row, after its JSON: st, k, n, ca, ua. */
export function rowArgs(record: InstanceRecord): Arg[] {
  return [JSON.stringify(record), record.status, record.kind, record.name, record.createdAt, record.updatedAt];
}

/** A message as the 9 fields the scripts read. */
export function messageArgs(message: NewMessage, out: Arg[]): void {
  out.push(message.instanceId, JSON.stringify(message.event), message.visibleAt ?? '');
  if (message.createIfMissing) out.push(...rowArgs(message.createIfMissing));
  else out.push('', '', '', '', '', '');
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

type ActivityReply = [string, string, number];

export function decodeActivity(reply: ActivityReply): ActivityWorkItem {
  const [item, lockToken, deliveries] = reply;
  return { ...(JSON.parse(item) as NewActivity & { id: string }), lockToken, deliveries: Number(deliveries) };
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
