/**
 * Step commits (`capabilities.stepCommit`, see OrchestrationCommit in core):
 * the work items a commit completes, each deleted by a fenced DELETE, and
 * the instance lease a commit keeps for its committer. A kept lease has
 * deliveries 0 (the commit reset them), so when it runs out the instance is
 * fresh (the `instances_fresh` index), never redelivered.
 */
import { leaseLost } from '@reprise/core';
import type { OrchestrationCommit } from '@reprise/core';
import type { OpContext } from './op-context.js';
import { parseId } from './rows.js';

const KEEP_LEASE = 'UPDATE instances SET lock_token = ?, lock_expires = ? WHERE hub = ? AND instance_id = ?';
/** Fresh instances with due messages held by a kept lease: a sleeper must wake when the earliest one ends. */
const NEXT_KEPT_LEASE_EXPIRY = `
  SELECT min(lock_expires) FROM instances INDEXED BY instances_fresh
  WHERE hub = @hub AND deliveries = 0 AND next_visible_at <= @now AND lock_expires > @now`;

/**
 * Deletes every completed item, each by one fenced DELETE (the caller's lease must be live); a lost lease throws
 * LeaseLostError and the operation's transaction undoes whatever this commit wrote before.
 */
export function completeFenced(ctx: OpContext, hub: string, completions: OrchestrationCommit['completeActivities']): void {
  for (const { workItemId, lockToken } of completions ?? []) {
    const seq = parseId(workItemId);
    const deleted = seq === undefined ? 0 : ctx.s.completeActivity.run(seq, hub, lockToken, ctx.now).changes;
    if (deleted === 0) throw leaseLost('activity', workItemId);
  }
}

/** Leases the just-committed instance to its committer again under `token` (its row was released by the commit). */
export function keepInstanceLease(ctx: OpContext, hub: string, instanceId: string, token: string, leaseMs: number): void {
  ctx.s.cached(KEEP_LEASE).run(token, ctx.now + leaseMs, hub, instanceId);
}

export function nextKeptLeaseExpiry(ctx: OpContext, hub: string): number | null {
  return ctx.s.cached(NEXT_KEPT_LEASE_EXPIRY).pluck().get({ hub, now: ctx.now }) as number | null;
}
