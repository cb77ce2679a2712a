/**
 * Concurrency groups: admission, release with FIFO promotion, queue
 * positions and the cancellation of a queued instance. Every function runs
 * inside the caller's operation (one savepoint of a write transaction), so
 * an admission and its instance row, or a release and its terminal commit,
 * are one atomic change. Two processes admitting into one group serialize
 * on SQLite's write lock.
 */
import { InvalidArgumentError } from '@reprise/core';
import type { Admission, NewMessage, QueuePosition, QueuedCancellation } from '@reprise/core';
import { enqueueMessages } from './op-context.js';
import type { Op, OpContext } from './op-context.js';
import { decodeEvent, encodeEvent } from './rows.js';

interface GroupRow {
  max_running: number;
  max_queued: number | null;
  running: number;
  queued: number;
}

interface MemberRow {
  seq: number;
  group_name: string;
  state: 'running' | 'queued';
}

export type Decision = 'admit' | 'queue' | 'limit' | 'queueFull';

/** Arguments are trusted by contract, but a bad limit would corrupt a group's accounting for good: checked here. */
function checkAdmission(admission: Admission): void {
  if (typeof admission.group !== 'string' || admission.group === '') throw new InvalidArgumentError('admission group must be a non-empty string');
  if (!Number.isInteger(admission.limit) || admission.limit < 1) throw new InvalidArgumentError(`admission limit must be a positive integer, got ${String(admission.limit)}`);
  if (admission.maxQueued !== undefined && (!Number.isInteger(admission.maxQueued) || admission.maxQueued < 0)) {
    throw new InvalidArgumentError(`admission maxQueued must be a non-negative integer, got ${String(admission.maxQueued)}`);
  }
}

/** Where an admission lands. A group found empty takes this admission's settings. `force` queues instead of refusing. */
export function decide({ s }: OpContext, hub: string, admission: Admission, force: boolean): Decision {
  checkAdmission(admission);
  let group = s.getGroup.get(hub, admission.group) as GroupRow | undefined;
  if (!group) {
    s.insertGroup.run(hub, admission.group, admission.limit, admission.maxQueued ?? null);
    group = { max_running: admission.limit, max_queued: admission.maxQueued ?? null, running: 0, queued: 0 };
  }
  if (group.running < group.max_running) return 'admit';
  if (force) return 'queue';
  if (admission.onFull === 'reject') return 'limit';
  return group.max_queued !== null && group.queued >= group.max_queued ? 'queueFull' : 'queue';
}

/** Records the member; a queued one holds its start message. Returns the queue position when queued. */
export function join(ctx: OpContext, hub: string, group: string, decision: 'admit' | 'queue', start: NewMessage): number | undefined {
  const { s, now } = ctx;
  const queued = decision === 'queue';
  const info = s.insertMember.run(hub, start.instanceId, group, queued ? 'queued' : 'running', queued ? (start.visibleAt ?? now) : null, queued ? encodeEvent(start.event) : null);
  s.countGroup.run({ hub, name: group, running: queued ? 0 : 1, queued: queued ? 1 : 0 });
  return queued ? (s.queuePosition.get(hub, group, Number(info.lastInsertRowid)) as number) : undefined;
}

/**
 * Takes the instance out of its group (if it is a member). A freed slot goes
 * to the oldest queued member, whose held start is enqueued. Returns whether
 * a start was enqueued.
 */
export function leave(ctx: OpContext, hub: string, instanceId: string): boolean {
  const { s } = ctx;
  const member = s.getMember.get(hub, instanceId) as MemberRow | undefined;
  if (!member) return false;
  s.deleteMember.run(member.seq);
  const name = member.group_name;
  let work = false;
  if (member.state === 'running') {
    const next = s.nextQueued.get({ hub, name }) as { seq: number; instance_id: string; held_visible_at: number; held_event: string } | undefined;
    if (next) {
      s.admitMember.run(next.seq);
      s.countGroup.run({ hub, name, running: 0, queued: -1 });
      work = enqueueMessages(ctx, hub, [{ instanceId: next.instance_id, visibleAt: next.held_visible_at, event: decodeEvent(next.held_event) }]);
    } else {
      s.countGroup.run({ hub, name, running: -1, queued: 0 });
    }
  } else {
    s.countGroup.run({ hub, name, running: 0, queued: -1 });
  }
  const counts = s.getGroup.get(hub, name) as GroupRow;
  if (counts.running === 0 && counts.queued === 0) s.deleteGroup.run(hub, name);
  return work;
}

export const getQueuePosition =
  (hub: string, instanceId: string): Op<QueuePosition | undefined> =>
  ({ s }) => {
    const member = s.getMember.get(hub, instanceId) as MemberRow | undefined;
    if (!member || member.state !== 'queued') return undefined;
    return { group: member.group_name, position: s.queuePosition.get(hub, member.group_name, member.seq) as number };
  };

export const cancelQueued =
  (hub: string, instanceId: string, cancel: QueuedCancellation): Op<boolean> =>
  (ctx) => {
    const { s } = ctx;
    const member = s.getMember.get(hub, instanceId) as MemberRow | undefined;
    if (!member || member.state !== 'queued') return false;
    leave(ctx, hub, instanceId);
    s.deleteMessagesOf.run(hub, instanceId);
    const base = s.nextHistorySeq.get(hub, instanceId) as number;
    cancel.history.forEach((event, i) => s.appendHistory.run(hub, instanceId, base + i, encodeEvent(event)));
    s.cancelInstance.run({ hub, instance_id: instanceId, output: cancel.output ?? null, updated_at: cancel.updatedAt, appended: cancel.history.length, change_seq: ctx.nextChangeSeq() });
    const work = enqueueMessages(ctx, hub, cancel.messages);
    ctx.notices.push({ type: 'instance-updated', instanceId, status: 'Canceled' });
    if (work) ctx.notices.push({ type: 'orchestration-work' });
    return true;
  };
