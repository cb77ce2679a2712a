/**
 * The schedule's activities and their registration with a runtime. They
 * run in the activity loop, where I/O is allowed: reading the previous run
 * and starting the new one.
 */
import type { ActivityFunction, OrchestratorFunction } from '../definitions.js';
import { isRepriseError } from '../errors.js';
import { isTerminal } from '../status.js';
import type { OrchestrationClient } from '../client/client.js';
import { FIRE_ACTIVITY, SCHEDULE_ORCHESTRATOR, SCHEDULE_TAG } from './ids.js';
import { scheduleOrchestrator } from './orchestrator.js';
import type { FireInput, FireResult } from './orchestrator.js';
import { watchDepsOf } from './schedules-client.js';

/** Errors that retrying cannot fix: the firing is recorded as skipped with the reason. */
// A refused admission (the run's concurrency group is full and does not queue) skips that due time too.
const PERMANENT = ['UNKNOWN_ORCHESTRATOR', 'INVALID_ARGUMENT', 'NOT_SERIALIZABLE', 'PAYLOAD_TOO_LARGE', 'CONCURRENCY_LIMIT', 'QUEUE_FULL'];

/** Told what a firing did: started the run, found the previous one still running, or failed for good. */
export type OnFire = (run: { instanceId: string; scheduleId: string; orchestrator: string }, outcome: 'started' | 'busy' | 'failed') => void;

async function fire(client: OrchestrationClient, request: FireInput, onFire: OnFire): Promise<FireResult> {
  const run = { instanceId: request.runId, scheduleId: request.scheduleId, orchestrator: request.orchestrator };
  const deps = watchDepsOf(client.schedules);
  const existing = await deps.storage.getInstance(deps.taskHub, request.runId);
  // Started before (this activity is a retry, or another worker raced it): exactly one run per id.
  if (existing) return { outcome: 'started', startedAt: existing.createdAt };
  if (request.previousRunId !== undefined) {
    const previous = await deps.storage.getInstance(deps.taskHub, request.previousRunId);
    if (previous && !isTerminal(previous.status)) {
      onFire(run, 'busy');
      return { outcome: 'busy' };
    }
  }
  const startedAt = deps.clock.now();
  try {
    await client.startNew(request.orchestrator, {
      instanceId: request.runId,
      input: request.input,
      tags: { ...request.tags, [SCHEDULE_TAG]: request.scheduleId },
      namespace: request.namespace,
    });
  } catch (error) {
    if (isRepriseError(error, 'INSTANCE_EXISTS')) {
      const raced = await deps.storage.getInstance(deps.taskHub, request.runId);
      return { outcome: 'started', startedAt: raced?.createdAt ?? startedAt };
    }
    if (PERMANENT.some((code) => isRepriseError(error, code))) {
      onFire(run, 'failed');
      return { outcome: 'failed', message: (error as Error).message };
    }
    throw error;
  }
  onFire(run, 'started');
  return { outcome: 'started', startedAt };
}

/** Adds the built-in schedule orchestrator and activities to a runtime's registries. */
export function registerSchedules(orchestrators: Map<string, OrchestratorFunction>, activities: Map<string, ActivityFunction>, client: () => OrchestrationClient, onFire: OnFire = () => {}): void {
  orchestrators.set(SCHEDULE_ORCHESTRATOR, scheduleOrchestrator);
  activities.set(FIRE_ACTIVITY, (request: FireInput) => fire(client(), request, onFire));
}
