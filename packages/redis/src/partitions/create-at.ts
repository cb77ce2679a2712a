/**
 * createInstance and sendMessages in one partition where the ids are placed
 * (locations.ts): the scripts behind the placement check. They mirror
 * ../redis-storage.ts createInstance and sendMessages, with placement tokens
 * as the last arguments.
 */
import { nanoid } from 'nanoid';
import type { Admission, CreateInstanceResult, InstanceRecord, NewMessage } from '@reprise/core';
import { checkAdmission, messagesArgs, rowArgs } from '../codec.js';
import type { Arg } from '../codec.js';
import type { Connections } from '../connection.js';

import type { Place } from './locations.js';

/** The id is not placed in this partition (any longer): route again. */
export const MISPLACED = Symbol('misplaced');

export async function createAt(
  redis: Connections,
  partition: string,
  record: InstanceRecord,
  message: NewMessage,
  admission: Admission | undefined,
  token: string,
): Promise<CreateInstanceResult | typeof MISPLACED> {
  if (admission) checkAdmission(admission);
  const args: Arg[] = [record.instanceId, ...rowArgs(record), JSON.stringify(message.event), message.visibleAt ?? '', nanoid()];
  if (admission) args.push(admission.group, admission.limit, admission.maxQueued ?? '', admission.onFull);
  else args.push('', '', '', '');
  args.push(token);
  const reply = await redis.script<[number, string, number?]>('createInstanceAt', partition, args, true);
  if (reply[0] === 3) return MISPLACED;
  if (reply[0] === 0) return { created: false, existing: JSON.parse(reply[1]) as InstanceRecord };
  if (reply[0] === 2) return { created: false, refused: reply[1] as 'limit' | 'queueFull' };
  if (redis.waitsForReplicas) await redis.replicated();
  const position = Number(reply[2] ?? 0);
  return admission && position > 0 ? { created: true, queued: { group: admission.group, position } } : { created: true };
}

/** Messages to instances of one partition, some of which may create theirs; MISPLACED (nothing applied) when one is not placed there. */
export async function sendAt(redis: Connections, partition: string, messages: NewMessage[], places: Place[]): Promise<void | typeof MISPLACED> {
  const args: Arg[] = [nanoid()];
  messagesArgs(messages, args);
  for (const at of places) args.push(at.token);
  if (Number(await redis.script<number>('sendMessagesAt', partition, args, true)) !== 1) return MISPLACED;
  if (redis.waitsForReplicas) await redis.replicated();
}
