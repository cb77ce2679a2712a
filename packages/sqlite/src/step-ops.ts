/**
 * Step commits (`capabilities.stepCommit`, see OrchestrationCommit in core):
 * the work items a commit completes, fenced before anything is written, and
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

/** Checks every completed item's lease (throws LeaseLostError, nothing written yet); returns their row numbers. */
export function fenceCompletions(ctx: OpContext, hub: string, completions: OrchestrationCommit['completeActivities']): number[] {
  return (completions ?? []).map(({ workItemId, lockToken }) => {
    const seq = parseId(workItemId);
    const fence = seq === undefined ? undefined : (ctx.s.fenceActivity.get(seq, hub) as { lock_token: string | null; lock_expires: number } | undefined);
    if (!fence || fence.lock_token !== lockToken || fence.lock_expires <= ctx.now) throw leaseLost('activity', workItemId);
    return seq!;
  });
}

/** Leases the just-committed instance to its committer again under `token` (its row was released by the commit). */
export function keepInstanceLease(ctx: OpContext, hub: string, instanceId: string, token: string, leaseMs: number): void {
  ctx.s.cached(KEEP_LEASE).run(token, ctx.now + leaseMs, hub, instanceId);
}

export function nextKeptLeaseExpiry(ctx: OpContext, hub: string): number | null {
  return ctx.s.cached(NEXT_KEPT_LEASE_EXPIRY).pluck().get({ hub, now: ctx.now }) as number | null;
}
