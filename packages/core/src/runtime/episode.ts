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
import type { ActivityWorkItem, CommitResult, LockedInstance, LogEntry, OrchestrationCommit, Storage, StoredMessage } from '../storage/types.js';
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
import type { StepGraces } from './step-grace.js';

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
  /** Where a commit's kept lease goes (step commits); absent: no lease is kept. */
  graces?: StepGraces;
}

/**
 * A step commit: the result of a work item this runtime ran under a grace
 * (see step-grace.ts), applied in this episode and committed with it.
 */
export interface StepResult {
  /** The TaskCompleted / TaskFailed, as the activity produced it. */
  event: HistoryEvent;
  completion: { workItemId: string; lockToken: string };
  /** The activity's log lines, committed with the episode. */
  logs: readonly LogEntry[];
}

/**
 * What an episode tells the runtime: from a store that does not declare
 * eager dispatch, whether activities were scheduled (to wake the activity
 * loop). Work items leased to us in the commit are queued by their reservation.
 */
export interface EpisodeResult {
  scheduledWithoutEager: boolean;
  /** False when the commit was refused (a lease was lost): nothing was applied. */
  committed: boolean;
}

const LOST: EpisodeResult = { scheduledWithoutEager: false, committed: false };

/** Sets aside slots for the new work items a commit may lease to us (eager dispatch); the reservation queues them. */
export type ReserveActivities = (wanted: number) => Reservation<ActivityWorkItem>;

/**
 * Runs one episode; `reserve`, when given, takes the slots for the work items the store may lease to us in the commit.
 * With `step`, the episode also applies that result (after the inbox's messages) and the commit completes its work item.
 */
export async function runOrchestrationEpisode(deps: EpisodeDeps, locked: LockedInstance, reserve?: ReserveActivities, step?: StepResult): Promise<EpisodeResult> {
  const { storage, options, cache } = deps;
  const { instance } = locked;
  const fn = deps.orchestrators.get(instance.name);
  // The result is not an inbox message: it has no id, and the commit consumes only the inbox's.
  const stepMessage: StoredMessage | undefined = step && { id: '', instanceId: instance.instanceId, event: step.event };
  const facts: EpisodeFacts = {
    instance,
    messages: stepMessage ? [...locked.messages, stepMessage] : locked.messages,
    deliveries: locked.deliveries,
    now: options.clock.now(),
    maxDeliveries: options.maxDeliveries,
    maxHistoryEvents: options.maxHistoryEvents,
    orchestratorKnown: fn !== undefined,
    newExecutionId: nanoid,
  };
  const mismatch = versionMismatch(deps, instance);
  if (mismatch !== undefined) facts.versionMismatch = mismatch;
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
    if (step && step.logs.length > 0) plan.commit.logs = [...step.logs, ...plan.commit.logs];
    watch?.decorate(plan.commit);
    return await commit(deps, locked, plan, reserve, step, () => {
      // Told before the work leased in the commit is queued: an instance's events precede its activities'.
      watch?.committed(plan.commit);
      // Cached before that work can finish: its step commit takes the executor from here.
      if (executor && plan.executor === 'cache') cache.put(instance.instanceId, { executor, executionId: instance.executionId, historyLength: plan.commit.instance.historyLength });
    });
  } catch (error) {
    cache.delete(instance.instanceId);
    watch?.failed(error, isRepriseError(error, 'LEASE_LOST'));
    if (isRepriseError(error, 'LEASE_LOST')) return LOST; // another worker owns the instance (or the work item) now
    throw error;
  }
}

/** With `onMismatch: 'fail'`, why this runtime fails an instance of a version it must not run. */
function versionMismatch(deps: EpisodeDeps, instance: LockedInstance['instance']): string | undefined {
  const { versioning, version } = deps.options;
  if (versioning.match === 'none' || versioning.onMismatch !== 'fail' || instance.name === SCHEDULE_ORCHESTRATOR) return undefined;
  const ours = deps.versions?.get(instance.name) ?? version ?? '';
  if (versionAccepts(versioning.match, ours, instance.version)) return undefined;
  const theirs = instance.version === undefined ? 'no version' : `version '${instance.version}'`;
  return `instance '${instance.instanceId}' has ${theirs}; this runtime runs '${instance.name}' at version '${ours}' (versioning.match '${versioning.match}')`;
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

async function commit(deps: EpisodeDeps, locked: LockedInstance, plan: EpisodePlan, reserve: ReserveActivities | undefined, step: StepResult | undefined, committed: () => void): Promise<EpisodeResult> {
  const { storage, options } = deps;
  const scheduled = plan.commit.activities.length > 0;
  const eager = storage.capabilities?.eagerDispatch === true;
  // Reserved before the commit, filled when it returns: concurrent episodes never ask for the same slots.
  const reservation = eager && scheduled ? reserve?.(plan.commit.activities.length) : undefined;
  const leasing = reservation !== undefined && reservation.slots > 0;
  // Keep the instance for the work leased to us only while the executor stays live to take its result.
  const keep = leasing && deps.graces !== undefined && options.stepGraceMs > 0 && options.cacheSize > 0 && plan.executor === 'cache' && storage.capabilities?.stepCommit === true;
  // Read before the commit: the store's lease starts no earlier, so the deadline never outlives it.
  const startedAt = keep ? options.clock.now() : 0;
  // Built field by field rather than spread: this runs once per step.
  const { instance, history, messages, activities, logs, cancelActivities } = plan.commit;
  const request: OrchestrationCommit = { instanceId: locked.instance.instanceId, lockToken: locked.lockToken, consumedMessageIds: messageIds(locked.messages), instance, history, messages, activities, logs };
  if (cancelActivities !== undefined) request.cancelActivities = cancelActivities;
  if (leasing) request.lockActivities = { max: reservation.slots, leaseMs: options.leaseMs };
  if (keep) request.keepLease = { leaseMs: options.stepGraceMs };
  if (step) request.completeActivities = [step.completion];
  let stored: CommitResult | void;
  try {
    stored = await storage.commitOrchestration(options.taskHub, request);
  } catch (error) {
    reservation?.fill([]);
    throw error;
  }
  committed();
  const leased = stored?.activities ?? [];
  if (keep && stored?.keptLease && leased.length > 0) {
    // Claimed only in the grace's first half: the other half is for the step commit to reach the store (a busy one queues it).
    deps.graces!.keep({ instance: plan.commit.instance, lockToken: stored.keptLease.lockToken, deadline: startedAt + options.stepGraceMs / 2, tokens: leased.map((a) => a.lockToken) });
  }
  reservation?.fill(leased);
  return { scheduledWithoutEager: scheduled && !eager, committed: true };
}

const NO_IDS: readonly string[] = Object.freeze([]);

function messageIds(messages: readonly StoredMessage[]): string[] {
  // A step commit consumes no inbox message: no array for it.
  if (messages.length === 0) return NO_IDS as string[];
  const ids = new Array<string>(messages.length);
  for (let i = 0; i < messages.length; i++) ids[i] = messages[i]!.id;
  return ids;
}
