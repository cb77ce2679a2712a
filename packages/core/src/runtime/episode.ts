/**
 * One orchestration episode, the I/O shell around the pure planner
 * (plan-episode.ts): load what the plan needs (stored history, or a live
 * executor from the replay cache or replayed over history), plan, commit
 * atomically, and hand back the work the store leased to us in the commit.
 */
import { nanoid } from 'nanoid';
import { isRepriseError } from '../errors.js';
import type { HistoryEvent } from '../history.js';
import { OrchestrationExecutor } from '../engine/executor.js';
import type { OrchestratorFunction } from '../definitions.js';
import type { ActivityWorkItem, CommitResult, LockedInstance, Storage } from '../storage/types.js';
import { episodeNeeds, planEpisode, startsNewExecution } from './plan-episode.js';
import type { EpisodeFacts, EpisodePlan } from './plan-episode.js';
import type { ReplayCache } from './replay-cache.js';
import type { Reservation } from './work-loop.js';
import { groupOf, resolveConcurrency } from '../client/concurrency.js';
import type { ConcurrencyDefinition } from '../client/concurrency.js';
import type { ResolvedOptions } from './options.js';
import { versionAccepts } from '../versioning/versions.js';
import { SCHEDULE_ORCHESTRATOR } from '../schedules/ids.js';
import type { Observer } from '../observability/observer.js';

export interface EpisodeDeps {
  storage: Storage;
  options: ResolvedOptions;
  orchestrators: Map<string, OrchestratorFunction>;
  /** Orchestrators defined with their own version (`defineOrchestrator(..., { version })`). */
  versions?: ReadonlyMap<string, string>;
  /** Orchestrators defined with a concurrency group, for the sub-orchestrations they start as. */
  concurrency: Map<string, ConcurrencyDefinition>;
  cache: ReplayCache;
  /** Events, spans and metrics of the episode (absent: none). */
  observer?: Observer;
}

/**
 * What an episode tells the runtime: from a store that does not declare
 * eager dispatch, whether activities were scheduled (to wake the activity
 * loop). Work items leased to us in the commit are queued by their reservation.
 */
export interface EpisodeResult {
  scheduledWithoutEager: boolean;
}

const NOTHING: EpisodeResult = { scheduledWithoutEager: false };

/** Sets aside slots for the new work items a commit may lease to us (eager dispatch); the reservation queues them. */
export type ReserveActivities = (wanted: number) => Reservation<ActivityWorkItem>;

/** Runs one episode; `reserve`, when given, takes the slots for the work items the store may lease to us in the commit. */
export async function runOrchestrationEpisode(deps: EpisodeDeps, locked: LockedInstance, reserve?: ReserveActivities): Promise<EpisodeResult> {
  const { storage, options, cache } = deps;
  const { instance } = locked;
  const fn = deps.orchestrators.get(instance.name);
  const facts: EpisodeFacts = {
    instance,
    messages: locked.messages,
    deliveries: locked.deliveries,
    now: options.clock.now(),
    maxDeliveries: options.maxDeliveries,
    maxHistoryEvents: options.maxHistoryEvents,
    orchestratorKnown: fn !== undefined,
    newExecutionId: nanoid,
    ...versionMismatch(deps, instance),
  };
  const watch = deps.observer?.episode(locked);
  try {
    let plan: EpisodePlan;
    let executor: OrchestrationExecutor | undefined;
    switch (episodeNeeds(facts)) {
      case 'nothing':
        plan = planEpisode(facts);
        break;
      case 'history':
        plan = planEpisode(facts, { history: await readHistory(deps, instance.instanceId, instance.historyLength) });
        break;
      case 'executor': {
        const cached = startsNewExecution(facts) ? undefined : cache.take(instance.instanceId, instance.executionId, instance.historyLength);
        executor = cached || (await replayed(deps, locked, fn!));
        watch?.loaded(cached !== undefined, cached ? 0 : instance.historyLength);
        plan = planEpisode(facts, { executor });
        break;
      }
    }
    if (plan.executor === 'forget') cache.delete(instance.instanceId);
    watch?.decorate(plan.commit);
    // Told before the work leased in the commit is queued: an instance's events precede its activities'.
    const result = await commit(deps, locked, plan, reserve, watch && (() => watch.committed(plan.commit)));
    if (executor && plan.executor === 'cache') cache.put(instance.instanceId, { executor, executionId: instance.executionId, historyLength: plan.commit.instance.historyLength });
    return result;
  } catch (error) {
    cache.delete(instance.instanceId);
    watch?.failed(error, isRepriseError(error, 'LEASE_LOST'));
    if (isRepriseError(error, 'LEASE_LOST')) return NOTHING; // another worker owns the instance now
    throw error;
  }
}

/** With `onMismatch: 'fail'`, why this runtime fails an instance of a version it must not run. */
function versionMismatch(deps: EpisodeDeps, instance: LockedInstance['instance']): { versionMismatch?: string } {
  const { versioning, version } = deps.options;
  if (versioning.match === 'none' || versioning.onMismatch !== 'fail' || instance.name === SCHEDULE_ORCHESTRATOR) return {};
  const ours = deps.versions?.get(instance.name) ?? version ?? '';
  if (versionAccepts(versioning.match, ours, instance.version)) return {};
  const theirs = instance.version === undefined ? 'no version' : `version '${instance.version}'`;
  return { versionMismatch: `instance '${instance.instanceId}' has ${theirs}; this runtime runs '${instance.name}' at version '${ours}' (versioning.match '${versioning.match}')` };
}

function readHistory(deps: EpisodeDeps, instanceId: string, length: number): Promise<HistoryEvent[]> {
  return length > 0 ? deps.storage.getHistory(deps.options.taskHub, instanceId) : Promise.resolve([]);
}

/** A new executor brought up to the stored history (events that came before a delayed start included). */
async function replayed(deps: EpisodeDeps, locked: LockedInstance, fn: OrchestratorFunction): Promise<OrchestrationExecutor> {
  const { options } = deps;
  const { instance } = locked;
  const namespace = instance.namespace ?? '';
  const executor = new OrchestrationExecutor(instance.instanceId, fn, {
    maxPayloadBytes: options.maxPayloadBytes,
    onLog: (entry, instanceId) => options.logger({ ...entry, instanceId }),
    childConcurrency: (name, input, instanceId) => {
      const chosen = resolveConcurrency(name, undefined, deps.concurrency.get(name), input, { namespace, instanceId });
      return chosen && groupOf(chosen);
    },
    ...(instance.concurrency && { group: instance.concurrency.group }),
  });
  if (instance.historyLength > 0) executor.apply(await readHistory(deps, instance.instanceId, instance.historyLength), true);
  return executor;
}

async function commit(deps: EpisodeDeps, locked: LockedInstance, plan: EpisodePlan, reserve: ReserveActivities | undefined, committed?: () => void): Promise<EpisodeResult> {
  const { storage, options } = deps;
  const scheduled = plan.commit.activities.length > 0;
  const eager = storage.capabilities?.eagerDispatch === true;
  // Reserved before the commit, filled when it returns: concurrent episodes never ask for the same slots.
  const reservation = eager && scheduled ? reserve?.(plan.commit.activities.length) : undefined;
  let stored: CommitResult | void;
  try {
    stored = await storage.commitOrchestration(options.taskHub, {
      instanceId: locked.instance.instanceId,
      lockToken: locked.lockToken,
      consumedMessageIds: locked.messages.map((m) => m.id),
      ...plan.commit,
      ...(reservation && reservation.slots > 0 && { lockActivities: { max: reservation.slots, leaseMs: options.leaseMs } }),
    });
  } catch (error) {
    reservation?.fill([]);
    throw error;
  }
  committed?.();
  reservation?.fill(stored?.activities ?? []);
  return { scheduledWithoutEager: scheduled && !eager };
}
