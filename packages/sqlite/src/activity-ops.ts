/** Activity work items: lock, complete, abandon. Same rules as instance-ops. */
import { leaseLost } from '@reprise/core';
import type { ActivityCompletion, ActivityProgress, ActivityWorkItem, CompletionResult, GiveBackOptions, LockOptions, LockResult } from '@reprise/core';
import { nanoid } from 'nanoid';
import { lockFreeInstance } from './instance-ops.js';
import { enqueueMessages } from './op-context.js';
import type { Op, OpContext } from './op-context.js';
import { parseId, toWorkItem } from './rows.js';
import type { ActivityRow } from './rows.js';

/** Leases one work item row (it must be free); shared by lockActivities and eager dispatch. */
export function leaseActivity({ s, now }: OpContext, seq: number, leaseMs: number): ActivityWorkItem {
  return toWorkItem(s.lockActivity.get(nanoid(), now + leaseMs, now, seq) as ActivityRow);
}

export const lockActivities =
  (hub: string, options: LockOptions): Op<LockResult<ActivityWorkItem>> =>
  (ctx) => {
    const { s, now } = ctx;
    // A redelivered item first, alone (one indexed row); asked for fresh items only, we say it waits.
    const filter = options.version && JSON.stringify(options.version);
    const redelivered = (filter ? s.redeliveredActivityOfVersion.get({ hub, now, filter }) : s.redeliveredActivity.get({ hub, now })) as number | undefined;
    if (redelivered !== undefined && options.redelivered !== false) return { items: [leaseActivity(ctx, redelivered, options.leaseMs)] };
    const waiting = redelivered !== undefined && { redeliveredWaiting: true };
    const ready = (filter ? s.readyActivitiesOfVersion.all({ hub, max: options.max, filter }) : s.readyActivities.all({ hub, max: options.max })) as number[];
    const items = ready.map((seq) => leaseActivity(ctx, seq, options.leaseMs));
    if (items.length > 0) return { items, ...waiting };
    const next = s.nextActivityExpiry.get(hub, now) as number | null;
    return { items, ...(next !== null && { nextVisibleInMs: Math.max(0, next - now) }), ...waiting };
  };

export const completeActivity =
  (hub: string, completion: ActivityCompletion): Op<CompletionResult> =>
  (ctx) => {
    const seq = parseId(completion.workItemId);
    // One fenced DELETE: the item goes only while the caller holds its lease.
    const deleted = seq === undefined ? 0 : ctx.s.completeActivity.run(seq, hub, completion.lockToken, ctx.now).changes;
    if (deleted === 0) throw leaseLost('activity', completion.workItemId);
    if (completion.logs) {
      const { instanceId } = completion.message;
      for (const log of completion.logs) ctx.s.insertLog.run(hub, instanceId, log.time, log.level, log.message, log.sequence ?? null);
    }
    const work = enqueueMessages(ctx, hub, [completion.message]);
    // Eager dispatch: the woken instance goes to the completer when nobody holds it.
    const instance = completion.lockInstance ? lockFreeInstance(ctx, hub, completion.message.instanceId, completion.lockInstance.leaseMs) : undefined;
    if (instance) {
      // Leased without a lock call: a worker asleep must learn when the lease expires (its holder may die).
      ctx.notices.push({ type: 'orchestration-work', inMs: completion.lockInstance!.leaseMs });
      return { instance };
    }
    if (work) ctx.notices.push({ type: 'orchestration-work' });
    return {};
  };

export const abandonActivity =
  (hub: string, workItemId: string, lockToken: string, options?: GiveBackOptions): Op<void> =>
  (ctx) => {
    const seq = parseId(workItemId);
    const refund = options?.countDelivery ? 0 : 1;
    if (seq !== undefined && ctx.s.abandonActivity.run({ seq, hub, token: lockToken, refund }).changes > 0) ctx.notices.push({ type: 'activity-work' });
  };

/** One fenced write: the row's progress, only while the caller holds the lease. */
export const reportProgress =
  (hub: string, workItemId: string, lockToken: string, progress: ActivityProgress): Op<void> =>
  ({ s, now }) => {
    const seq = parseId(workItemId);
    const changed = seq === undefined ? 0 : s.reportProgress.run({ seq, hub, token: lockToken, now, progress: JSON.stringify(progress) }).changes;
    if (changed === 0) throw leaseLost('activity', workItemId);
  };
