/** Turns contract values into script arguments and script replies back. */
import type { ActivityWorkItem, InstanceRecord, LockedInstance, NewActivity, NewMessage, StoredMessage } from '@reprise/core';

export type Arg = string | number;

/** The indexed columns of a row, after its JSON: st, k, n, ca, ua, ns. */
export function rowArgs(record: InstanceRecord): Arg[] {
  return [JSON.stringify(record), record.status, record.kind, record.name, record.createdAt, record.updatedAt, record.namespace ?? ''];
}

/** A message as the 10 fields the scripts read. */
export function messageArgs(message: NewMessage, out: Arg[]): void {
  out.push(message.instanceId, JSON.stringify(message.event), message.visibleAt ?? '');
  if (message.createIfMissing) out.push(...rowArgs(message.createIfMissing));
  else out.push('', '', '', '', '', '', '');
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

export type LockReply<R> = [R[], number];
export type { ActivityReply, LockedInstanceReply };

export function nextVisible(ms: number): { nextVisibleInMs?: number } {
  return ms >= 0 ? { nextVisibleInMs: ms } : {};
}
