/**
 * Durable "purge once it ends": `client.deleteInstance` on a live instance
 * starts a system orchestration (`~~purge:<instanceId>`) that checks the
 * target with an activity and, while it still runs, waits on durable timers
 * (1 s doubling to 60 s) before checking again; once the target is terminal
 * it is purged. Being an orchestration, the intent survives restarts and
 * crashes: whichever runtime holds the hub carries it out.
 *
 * Invariants:
 * - One purge orchestration per target id (the store holds one live
 *   instance per id); a second delete finds it and adds nothing.
 * - It lives in the default namespace, under a system id: namespaced
 *   lists, counts and purges never see it, `listInstances` hides it.
 * - History stays bounded: continueAsNew after CHECKS_PER_EXECUTION checks.
 * - Its own instance stays Completed afterwards (an instance cannot purge
 *   itself); purge by filter removes it like any terminal instance.
 */
import type { OrchestrationContext } from '../engine/context.js';
import type { ActivityFunction, OrchestratorFunction } from '../definitions.js';
import { isTerminal } from '../status.js';
import type { Storage } from '../storage/types.js';
import { SYSTEM_PREFIX } from './validate.js';

export const PURGE_ORCHESTRATOR = 'reprise.purge';
export const PURGE_ACTIVITY = 'reprise.purge.check';
const PURGE_PREFIX = `${SYSTEM_PREFIX}purge:`;
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 60_000;
const CHECKS_PER_EXECUTION = 20;

export function purgeInstanceId(target: string): string {
  return PURGE_PREFIX + target;
}

interface PurgeState {
  target: string;
  waitMs: number;
}

function* purgeOrchestrator(ctx: OrchestrationContext<PurgeState>): Generator<unknown, void, unknown> {
  let { target, waitMs } = ctx.getInput();
  for (let check = 0; check < CHECKS_PER_EXECUTION; check++) {
    const done = (yield ctx.callActivity(PURGE_ACTIVITY, target)) as boolean;
    if (done) return;
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + waitMs));
    waitMs = Math.min(waitMs * 2, MAX_WAIT_MS);
  }
  ctx.continueAsNew({ target, waitMs });
}

/** Purges the target when it has ended; true when it is gone (purged now or before). */
async function purgeIfEnded(storage: Storage, hub: string, target: string): Promise<boolean> {
  const record = await storage.getInstance(hub, target);
  if (!record) return true;
  if (!isTerminal(record.status)) return false;
  await storage.purgeInstances(hub, { instanceIds: [target] });
  return true;
}

export function purgeStart(target: string): PurgeState {
  return { target, waitMs: FIRST_WAIT_MS };
}

/** Adds the purge orchestrator and its activity to a runtime's registries. */
export function registerPurge(orchestrators: Map<string, OrchestratorFunction>, activities: Map<string, ActivityFunction>, storage: Storage, hub: string): void {
  orchestrators.set(PURGE_ORCHESTRATOR, purgeOrchestrator as OrchestratorFunction);
  activities.set(PURGE_ACTIVITY, (target: string) => purgeIfEnded(storage, hub, target));
}
