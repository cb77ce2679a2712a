/**
 * What one operation sees while it runs inside a group-commit transaction,
 * and the helpers several operations share (enqueueing, removal).
 *
 * Arguments are trusted by contract (see the Storage header in core): the
 * runtime and client check them before any call.
 */
import type { NewActivity, NewMessage, StorageNotice } from '@reprise/core';
import { encodeEvent, recordParams } from './rows.js';
import { decide, join, leave } from './group-ops.js';
import type { Statements } from './statements.js';

export interface OpContext {
  readonly s: Statements;
  /** The process clock at the start of this operation (leases, visibility). */
  readonly now: number;
  /** Notices to publish once the transaction has committed. */
  readonly notices: StorageNotice[];
  /** The next value of the store-wide change counter (stamped on written instance rows). */
  nextChangeSeq(): number;
}

export type Op<T> = (ctx: OpContext) => T;

/**
 * Appends messages to their inboxes, in order. A message to a missing
 * instance creates it from `createIfMissing`, or is dropped. Returns whether
 * any message was enqueued (visible now or later: both are 'orchestration-work').
 */
export function enqueueMessages(ctx: OpContext, hub: string, messages: readonly NewMessage[]): boolean {
  const { s, now } = ctx; // now: the default visibility
  let work = false;
  for (const m of messages) {
    const { instanceId } = m;
    const visibleAt = m.visibleAt ?? now;
    const key = { hub, instance_id: instanceId, visible_at: visibleAt };
    if (s.lowerDue.run(key).changes === 0 && s.instanceExists.get(hub, instanceId) === undefined) {
      if (!m.createIfMissing) continue;
      s.insertInstance.run({ ...recordParams(hub, instanceId, m.createIfMissing), change_seq: ctx.nextChangeSeq() });
      if (m.admission) {
        // Sub-orchestrations queue rather than being refused; a queued start is held by its membership.
        const decision = decide(ctx, hub, m.admission, true) as 'admit' | 'queue';
        join(ctx, hub, m.admission.group, decision, { ...m, instanceId, visibleAt });
        if (decision === 'queue') {
          work = true;
          continue;
        }
      }
      s.lowerDue.run(key);
    }
    s.insertMessage.run(hub, instanceId, visibleAt, encodeEvent(m.event));
    // Delayed messages notify too: a sleeping worker must learn the new earliest due time.
    work = true;
  }
  return work;
}

/** Inserts work items; returns their row sequence numbers, in order. */
export function insertActivities(ctx: OpContext, hub: string, activities: readonly NewActivity[]): number[] {
  return activities.map((a) => {
    const info = ctx.s.insertActivity.run(hub, a.instanceId, a.executionId, a.taskScheduledId, a.name, a.input ?? null);
    return Number(info.lastInsertRowid);
  });
}

/** Deletes an instance and everything it owns: row, history, inbox, activities, logs, group membership. */
export function removeInstance(ctx: OpContext, hub: string, instanceId: string): void {
  const { s } = ctx;
  leave(ctx, hub, instanceId);
  s.deleteInstance.run(hub, instanceId);
  s.deleteHistory.run(hub, instanceId);
  s.deleteMessagesOf.run(hub, instanceId);
  s.deleteActivitiesOf.run(hub, instanceId);
  s.deleteLogsOf.run(hub, instanceId);
}
