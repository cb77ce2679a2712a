/**
 * Orchestration-side operations: create, send, lock, commit, release. Each
 * runs inside a group-commit transaction (under its own savepoint), so its
 * checks and writes are atomic and a refused operation changes nothing.
 */
import { isTerminal, leaseLost } from '@reprise/core';
import type {
  Admission,
  CommitResult,
  CreateInstanceResult,
  GiveBackOptions,
  InstanceRecord,
  LockOptions,
  LockResult,
  LockedInstance,
  NewMessage,
  OrchestrationCommit,
} from '@reprise/core';
import { nanoid } from 'nanoid';
import { enqueueMessages, insertActivities, removeInstance } from './op-context.js';
import type { Op, OpContext } from './op-context.js';
import { leaseActivity } from './activity-ops.js';
import { decide, join, leave } from './group-ops.js';
import { completeFenced, keepInstanceLease, nextKeptLeaseExpiry } from './step-ops.js';
import { commitValuesOf, decodeEvent, encodeEvent, fromRaw, parseId, recordParams } from './rows.js';
import type { RawInstance } from './rows.js';

export const createInstance =
  (hub: string, record: InstanceRecord, message: NewMessage, admission?: Admission): Op<CreateInstanceResult> =>
  (ctx) => {
    const { instanceId } = record;
    const existing = ctx.s.getInstance.get(hub, instanceId) as RawInstance | undefined;
    if (existing && !isTerminal(existing[3] as InstanceRecord['status'])) return { created: false, existing: fromRaw(existing) };
    if (existing) removeInstance(ctx, hub, instanceId);
    // Admission in the same transaction as the row: racing starts serialize on the write lock.
    const decision = admission ? decide(ctx, hub, admission, false) : 'admit';
    if (decision === 'limit' || decision === 'queueFull') return { created: false, refused: decision };
    ctx.s.insertInstance.run({ ...recordParams(hub, instanceId, record), change_seq: ctx.nextChangeSeq() });
    const start = { ...message, instanceId };
    const position = admission ? join(ctx, hub, admission.group, decision, start) : undefined;
    const work = position === undefined && enqueueMessages(ctx, hub, [start]);
    ctx.notices.push({ type: 'instance-updated', instanceId, status: record.status });
    if (work) ctx.notices.push({ type: 'orchestration-work' });
    return position === undefined ? { created: true } : { created: true, queued: { group: admission!.group, position } };
  };

export const sendMessages =
  (hub: string, messages: NewMessage[]): Op<void> =>
  (ctx) => {
    if (enqueueMessages(ctx, hub, messages)) ctx.notices.push({ type: 'orchestration-work' });
  };

/**
 * Leases an instance with its visible messages; undefined when it has none.
 * `onlyFree`: only when nobody holds it and it is fresh (else undefined);
 * otherwise the caller found its lease free.
 */
function leaseInstance({ s, now }: OpContext, hub: string, instanceId: string, leaseMs: number, onlyFree = false): LockedInstance | undefined {
  const messages = (s.visibleMessages.all(hub, instanceId, now) as Array<{ seq: number; event: string }>).map((m) => ({
    id: String(m.seq),
    instanceId,
    event: decodeEvent(m.event),
  }));
  if (messages.length === 0) {
    s.recomputeDue.get({ hub, instance_id: instanceId }); // heal a stale due time
    return undefined;
  }
  const lockToken = nanoid();
  const row = (onlyFree ? s.lockFreeInstance.get(lockToken, now + leaseMs, hub, instanceId, now) : s.lockInstance.get(lockToken, now + leaseMs, hub, instanceId)) as
    | RawInstance
    | undefined;
  if (!row) return undefined;
  s.commits.leased.remember(lockToken, row);
  return { instance: fromRaw(row), lockToken, messages, deliveries: row[17] };
}

/** Eager dispatch: lease the instance only if it is fresh (never a redelivered one) and nobody holds it. */
export function lockFreeInstance(ctx: OpContext, hub: string, instanceId: string, leaseMs: number): LockedInstance | undefined {
  return leaseInstance(ctx, hub, instanceId, leaseMs, true);
}

export const lockInstances =
  (hub: string, options: LockOptions): Op<LockResult<LockedInstance>> =>
  (ctx) => {
    const { s, now } = ctx;
    const items: LockedInstance[] = [];
    // A redelivered instance first, alone (one indexed row); asked for fresh items only, we say it waits.
    const filter = options.version && JSON.stringify(options.version);
    const redelivered = (filter ? s.redeliveredInstanceOfVersion.get({ hub, now, filter }) : s.redeliveredInstance.get({ hub, now })) as string | undefined;
    if (redelivered !== undefined && options.redelivered !== false) {
      const again = leaseInstance(ctx, hub, redelivered, options.leaseMs);
      if (again) return { items: [again] };
    }
    const waiting = redelivered !== undefined && options.redelivered === false && { redeliveredWaiting: true };
    const ready = (filter ? s.readyInstancesOfVersion.all({ hub, now, max: options.max, filter }) : s.readyInstances.all({ hub, now, max: options.max })) as string[];
    for (const instanceId of ready) {
      const locked = leaseInstance(ctx, hub, instanceId, options.leaseMs);
      if (locked) items.push(locked);
    }
    if (items.length > 0) return { items, ...waiting };
    const times = [s.nextDue.get(hub, now), s.nextDueLeaseExpiry.get({ hub, now }), nextKeptLeaseExpiry(ctx, hub)].filter((t): t is number => typeof t === 'number');
    return { items, ...(times.length > 0 && { nextVisibleInMs: Math.max(0, Math.min(...times) - now) }), ...waiting };
  };

function appendHistory({ s }: OpContext, hub: string, commit: OrchestrationCommit): void {
  const { instanceId } = commit;
  if ('replace' in commit.history) {
    s.deleteHistory.run(hub, instanceId);
    commit.history.replace.forEach((event, i) => s.appendHistory.run(hub, instanceId, i, encodeEvent(event)));
    return;
  }
  // The contract: historyLength is the length after this commit, so the appended events start there (no max(seq) read).
  const known = commit.instance.historyLength - commit.history.append.length;
  const base = known >= 0 ? known : (s.nextHistorySeq.get(hub, instanceId) as number);
  commit.history.append.forEach((event, i) => s.appendHistory.run(hub, instanceId, base + i, encodeEvent(event)));
}

export const commitOrchestration =
  (hub: string, commit: OrchestrationCommit): Op<CommitResult> =>
  (ctx) => {
    const { s, now } = ctx;
    const { instanceId } = commit;
    // The fence is the UPDATE at the end: every write before it is undone when it finds the lease gone (the operation throws).
    try {
      appendHistory(ctx, hub, commit);
    } catch (error) {
      // A stale holder's events collide with those its successor committed: that is a lost lease, not a storage fault.
      if (s.leaseHeld.get(hub, instanceId, commit.lockToken, now) === undefined) throw leaseLost('instance', instanceId);
      throw error;
    }
    for (const id of commit.consumedMessageIds) {
      const seq = parseId(id);
      if (seq !== undefined) s.deleteMessage.run(seq, hub, instanceId);
    }
    // A lost activity lease fails the whole commit (the transaction undoes it).
    completeFenced(ctx, hub, commit.completeActivities);
    for (const log of commit.logs) s.insertLog.run(hub, instanceId, log.time, log.level, log.message, log.sequence ?? null);
    // Before this commit's own work items exist: compensation is not canceled.
    if (commit.cancelActivities) s.cancelActivitiesOf.run(hub, instanceId);
    const work = enqueueMessages(ctx, hub, commit.messages);
    // A terminal row frees its slot (or queue place) and promotes the next queued member, in this transaction.
    const promoted = isTerminal(commit.instance.status) && leave(ctx, hub, instanceId);
    const created = insertActivities(ctx, hub, commit.activities);
    // Eager dispatch: the committer takes its new work items without another lock call.
    const eager = commit.lockActivities ? created.slice(0, commit.lockActivities.max).map((seq) => leaseActivity(ctx, seq, commit.lockActivities!.leaseMs)) : [];
    const before = s.commits.leased.take(commit.lockToken);
    const next = commitValuesOf(commit.instance);
    const due = s.commits.run(before, next, { hub, instanceId, token: commit.lockToken, now, changeSeq: ctx.nextChangeSeq() });
    if (due === undefined) throw leaseLost('instance', instanceId);
    // Step commit: held on for the committer while it runs the work leased to it, unless work waits now.
    const kept = commit.keepLease && eager.length > 0 && !(due !== null && due <= now) ? nanoid() : undefined;
    if (kept) {
      keepInstanceLease(ctx, hub, instanceId, kept, commit.keepLease!.leaseMs);
      s.commits.leased.remember(kept, next);
    }

    ctx.notices.push({ type: 'instance-updated', instanceId, status: commit.instance.status });
    if (work || promoted || (due !== null && due <= now)) ctx.notices.push({ type: 'orchestration-work' });
    else if (kept) ctx.notices.push({ type: 'orchestration-work', inMs: commit.keepLease!.leaseMs });
    if (created.length > eager.length) ctx.notices.push({ type: 'activity-work' });
    // Leased without a lock call: a worker asleep must learn when the lease expires (its holder may die).
    else if (eager.length > 0) ctx.notices.push({ type: 'activity-work', inMs: commit.lockActivities!.leaseMs });
    return eager.length > 0 ? { activities: eager, ...(kept && { keptLease: { lockToken: kept } }) } : {};
  };

export const setInstanceVersion =
  (hub: string, instanceId: string, change: { version: string; historyLength: number }): Op<boolean> =>
  (ctx) =>
    ctx.s.setVersion.run({ hub, instance_id: instanceId, version: change.version, history_length: change.historyLength, now: ctx.now, change_seq: ctx.nextChangeSeq() }).changes > 0;

export const releaseInstance =
  (hub: string, instanceId: string, lockToken: string, options?: GiveBackOptions): Op<void> =>
  (ctx) => {
    const refund = options?.countDelivery ? 0 : 1;
    ctx.s.commits.leased.forget(lockToken);
    if (ctx.s.releaseInstance.run({ hub, instance_id: instanceId, token: lockToken, refund }).changes > 0) ctx.notices.push({ type: 'orchestration-work' });
  };
