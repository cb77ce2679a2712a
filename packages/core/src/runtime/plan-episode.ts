/**
 * Deciding one orchestration episode, pure: the locked instance, its new
 * messages and the time in; the one commit out. It reads no storage and no
 * clock, and never runs orchestrator code itself: the shell (episode.ts)
 * loads what `episodeNeeds` names (the stored history, or a live executor
 * replayed over it) and hands it to `planEpisode`.
 *
 * Invariants:
 * - Every event of an episode carries the episode's time: that is what
 *   ctx.currentUtcDateTime replays.
 * - Events answering another execution (a timer from before continueAsNew)
 *   are dropped; a second ExecutionStarted for a running instance is
 *   refused back to its parent.
 * - Poison is judged before any replay, so a replay that kills its worker is
 *   capped too.
 * - Nothing is committed past `maxHistoryEvents`.
 * - A cancellation request is recorded once: later requests for the same
 *   execution are consumed and dropped. The episode that applies it marks
 *   the instance's work items canceled and passes the request to the
 *   sub-orchestrations it was waiting on; an uncaught cancellation ends the
 *   instance Canceled with the request's reason as output.
 */
import { HistoryTooLongError, InstanceExistsError, MaxDeliveriesExceededError, UnknownOrchestratorError, VersionMismatchError, isRepriseError, toFailureDetails } from '../errors.js';
import type { FailureDetails } from '../errors.js';
import { executionCanceledEvent, executionCompletedEvent, executionFailedEvent, executionStartedEvent } from '../events.js';
import type { ExecutionRewoundEvent, ExecutionStartedEvent, ExecutionTerminatedEvent, HistoryEvent, ParentInstance, Payload, WaitsChangedEvent } from '../history.js';
import { serialize } from '../serializer.js';
import { isTerminal } from '../status.js';
import { scheduledEvent } from '../engine/actions.js';
import type { Action } from '../engine/actions.js';
import type { CancellationEffects, ExecutionOutcome, OrchestrationExecutor } from '../engine/executor.js';
import type { InstanceRecord, NewMessage, OrchestrationCommit, StoredMessage } from '../storage/types.js';
import { endOfExecutionMessages, isFireAndForget, parentMessage, splitEffects } from './effects.js';
import type { EpisodeClock } from './effects.js';
import { heldLocksOf, parentOf } from './history-facts.js';
import { rewindHistory } from './rewind.js';
import { isChildRestart, restartCommit } from './restart-child.js';

export interface EpisodeFacts {
  instance: InstanceRecord;
  /** Visible inbox messages, in enqueue order. */
  messages: readonly StoredMessage[];
  /** Times the instance was handed out since its last commit, this one included. */
  deliveries: number;
  now: number;
  maxDeliveries: number;
  maxHistoryEvents: number;
  /** Whether this runtime has the instance's orchestrator registered. */
  orchestratorKnown: boolean;
  /** Ids for new executions (continue-as-new, sub-orchestrations). */
  newExecutionId: () => string;
  /** Set when this runtime must not run the instance's version and fails it (`onMismatch: 'fail'`): why. */
  versionMismatch?: string;
}

/** What an episode commits; the shell adds the lock token and the consumed message ids. */
export type EpisodeCommit = Pick<OrchestrationCommit, 'instance' | 'history' | 'messages' | 'activities' | 'logs' | 'cancelActivities'>;

export interface EpisodePlan {
  commit: EpisodeCommit;
  /** What becomes of the executor after the commit: cached at the new history length, or forgotten. */
  executor: 'cache' | 'forget';
}

/** What the shell loads before planning: nothing, the stored history (no code runs), or an executor at the current history. */
export type EpisodeNeeds = 'nothing' | 'history' | 'executor';

/** The inbox as this episode sees it: stamped, filtered, duplicate starts refused. */
interface Inbox {
  clock: EpisodeClock;
  events: HistoryEvent[];
  /** Answers to parents whose start was refused; sent whatever the episode decides. */
  refusals: NewMessage[];
  rewind: ExecutionRewoundEvent | undefined;
  startsNewExecution: boolean;
  /** A finished child started again by its parent, with the events that came after the start (see restart-child.ts). */
  restart?: { started: ExecutionStartedEvent; later: HistoryEvent[] };
}

export function episodeNeeds(facts: EpisodeFacts): EpisodeNeeds {
  const { instance } = facts;
  if (isTerminal(instance.status)) return rewindOf(facts) ? 'history' : 'nothing';
  if (facts.deliveries > facts.maxDeliveries || facts.versionMismatch !== undefined) return instance.historyLength > 0 ? 'history' : 'nothing';
  return facts.orchestratorKnown ? 'executor' : 'nothing';
}

/**
 * Decide the episode. `loaded` holds what `episodeNeeds` asked for: the
 * stored history, or an executor that has applied it (live from the cache,
 * or replayed by the shell; absent when the execution starts now).
 */
export function planEpisode(facts: EpisodeFacts, loaded: { history?: readonly HistoryEvent[]; executor?: OrchestrationExecutor } = {}): EpisodePlan {
  const inbox = readInbox(facts);
  const { instance } = facts;
  if (isTerminal(instance.status)) {
    // Late messages for a finished instance are consumed and dropped, unless they restart or rewind it.
    if (inbox.restart) return forget(withRefusals(inbox, restartCommit(instance, inbox.restart.started, inbox.restart.later, facts.now)));
    if (inbox.rewind && instance.status === 'Failed') return forget(planRewind(facts, inbox, inbox.rewind, loaded.history ?? []));
    return forget(withRefusals(inbox, { instance, history: { append: [] }, messages: [], activities: [], logs: [] }));
  }
  if (facts.deliveries > facts.maxDeliveries) {
    const history = loaded.history ?? [];
    const failure = toFailureDetails(
      new MaxDeliveriesExceededError(`instance '${instance.instanceId}' was delivered ${facts.deliveries} times without completing an episode (maxDeliveries ${facts.maxDeliveries})`),
    );
    return forget(failedCommit(instance, inbox, failure, parentOf([...history, ...inbox.events]), heldLocksOf(history)));
  }
  if (facts.versionMismatch !== undefined) {
    const history = loaded.history ?? [];
    const failure = toFailureDetails(new VersionMismatchError(facts.versionMismatch));
    return forget(failedCommit(instance, inbox, failure, parentOf([...history, ...inbox.events]), heldLocksOf(history)));
  }
  if (!facts.orchestratorKnown) {
    const failure = toFailureDetails(new UnknownOrchestratorError(`no orchestrator named '${instance.name}' is registered with this runtime`));
    return forget(failedCommit(instance, inbox, failure, undefined, []));
  }
  if (!loaded.executor) throw new Error(`planEpisode: instance '${instance.instanceId}' needs an executor (see episodeNeeds)`);
  return planRun(facts, inbox, loaded.executor);
}

function readInbox(facts: EpisodeFacts): Inbox {
  const { instance, now } = facts;
  const timestamp = new Date(now).toISOString();
  const events: HistoryEvent[] = [];
  const refusals: NewMessage[] = [];
  let acceptsStart = instance.status === 'Pending' || instance.status === 'ContinuedAsNew';
  let startsNewExecution = false;
  let restart: Inbox['restart'];
  for (const message of facts.messages) {
    const event = { ...message.event, Timestamp: timestamp } as HistoryEvent;
    const target = (event as { TargetExecutionId?: string }).TargetExecutionId;
    if (target !== undefined && target !== instance.executionId) continue;
    if (restart && event.EventType !== 'ExecutionStarted') {
      if (target === undefined) restart.later.push(event);
      continue;
    }
    if (event.EventType === 'ExecutionStarted') {
      if (!restart && isChildRestart(instance, event)) {
        restart = { started: event, later: [] };
        continue;
      }
      if (!acceptsStart) {
        const failure = toFailureDetails(new InstanceExistsError(`instance '${instance.instanceId}' already exists (another start for it came first)`));
        refusals.push(...parentMessage(event.ParentInstance, { status: 'failed', failure }, timestamp));
        continue;
      }
      acceptsStart = false;
      startsNewExecution = true;
    }
    events.push(event);
  }
  const rewind = events.find((e): e is ExecutionRewoundEvent => e.EventType === 'ExecutionRewound');
  return { clock: { now, timestamp, newExecutionId: facts.newExecutionId }, events, refusals, rewind, startsNewExecution, ...(restart && { restart }) };
}

function rewindOf(facts: EpisodeFacts): boolean {
  return facts.instance.status === 'Failed' && facts.messages.some((m) => m.event.EventType === 'ExecutionRewound' && targets(m.event, facts.instance));
}

function targets(event: HistoryEvent, instance: InstanceRecord): boolean {
  const target = (event as { TargetExecutionId?: string }).TargetExecutionId;
  return target === undefined || target === instance.executionId;
}

/** Whether the shell may take a cached executor: not when this episode starts a new execution. */
export function startsNewExecution(facts: EpisodeFacts): boolean {
  return facts.messages.some((m) => m.event.EventType === 'ExecutionStarted' && targets(m.event, facts.instance)) &&
    (facts.instance.status === 'Pending' || facts.instance.status === 'ContinuedAsNew');
}

function planRewind(facts: EpisodeFacts, inbox: Inbox, rewind: ExecutionRewoundEvent, history: readonly HistoryEvent[]): EpisodeCommit {
  const { instance } = facts;
  const plan = rewindHistory([...history], rewind, instance);
  return withRefusals(inbox, {
    instance: { ...instance, status: 'Running', output: undefined, updatedAt: facts.now, historyLength: plan.history.length },
    history: { replace: plan.history },
    activities: plan.activities,
    messages: plan.messages,
    logs: [],
  });
}

/** Feed the new events to the executor and commit what it did. */
function planRun(facts: EpisodeFacts, inbox: Inbox, executor: OrchestrationExecutor): EpisodePlan {
  const { instance } = facts;
  const { clock } = inbox;
  const terminateAt = inbox.events.findIndex((e) => e.EventType === 'ExecutionTerminated');
  if (terminateAt >= 0) return forget(planTerminate(instance, inbox, executor, terminateAt));

  const events = onceCanceled(inbox.events, executor.isCancellationRequested);
  executor.apply(events, false);
  const cancellation = executor.takeCancellation();
  if (!executor.hasStarted && executor.isCancellationRequested) return forget(planCanceledBeforeStart(instance, inbox, events, executor.cancelReason));
  const actions = executor.takeNewActions();
  const outcome = executor.outcome;
  const logs = executor.takeLogs();
  const waits = executor.takeWaitChanges();
  // Only a running execution's steps need it: when an execution ends, every step still open reads Canceled.
  const waitsChanged: WaitsChangedEvent | undefined = waits && outcome.status === 'running' ? { EventType: 'WaitsChanged', Timestamp: clock.timestamp, ...waits } : undefined;
  const row: InstanceRecord = {
    ...instance,
    status: !executor.hasStarted ? instance.status : executor.isSuspended ? 'Suspended' : 'Running',
    updatedAt: clock.now,
    customStatus: executor.customStatusChanged ? executor.customStatus : instance.customStatus,
    ...(inbox.startsNewExecution && { input: startInput(events) }),
  };

  if (outcome.status === 'continuedAsNew') {
    const started = executionStartedEvent({ name: instance.name, executionId: clock.newExecutionId(), input: outcome.input, parent: executor.parent, timestamp: clock.timestamp });
    return forget(
      withRefusals(inbox, {
        instance: { ...row, status: 'ContinuedAsNew', executionId: started.ExecutionId, input: outcome.input, output: undefined, historyLength: 0 },
        history: { replace: [] },
        // Unprocessed events travel to the new execution, after its start.
        messages: [
          ...splitEffects(actions.filter(isFireAndForget), instance, clock).messages,
          { instanceId: instance.instanceId, event: started },
          ...outcome.carryOver.map((event) => ({ instanceId: instance.instanceId, event })),
        ],
        activities: [],
        logs,
      }),
    );
  }

  // Room is kept for one more event, so the failure that ends an instance at its limit always fits.
  if (instance.historyLength + events.length + (waitsChanged ? 1 : 0) + actions.length + 1 > facts.maxHistoryEvents) {
    const failure = toFailureDetails(
      new HistoryTooLongError(`instance '${instance.instanceId}' would exceed ${facts.maxHistoryEvents} history events (maxHistoryEvents); use continueAsNew for long-lived orchestrations`),
    );
    return forget(failedCommit(row, inbox, failure, executor.parent, executor.heldLocks));
  }

  const canceled = outcome.status === 'failed' && isRepriseError(outcome.error, 'CANCELLATION_REQUESTED');
  const history = canceled
    ? [...events, ...actions.filter(isFireAndForget).map((a) => scheduledEvent(a, clock.timestamp)), executionCanceledEvent(executor.cancelReason, clock.timestamp)]
    : episodeHistory(events, actions, outcome, clock.timestamp, waitsChanged);
  const effects = outcome.status === 'running' ? splitEffects(actions, instance, clock) : { messages: splitEffects(actions.filter(isFireAndForget), instance, clock).messages, activities: [] };
  if (outcome.status === 'completed') {
    row.status = 'Completed';
    row.output = outcome.output;
  } else if (canceled) {
    row.status = 'Canceled';
    row.output = executor.cancelReason;
  } else if (outcome.status === 'failed') {
    row.status = 'Failed';
    row.output = serialize(outcome.failure, 'failure details');
  }
  if (outcome.status !== 'running') effects.messages.push(...endOfExecutionMessages(instance.instanceId, executor.parent, executor.heldLocks, outcome, clock.timestamp));
  if (cancellation) effects.messages.push(...cancelRequests(cancellation, clock.timestamp));
  row.historyLength = instance.historyLength + history.length;
  const commit = withRefusals(inbox, { instance: row, history: { append: history }, messages: effects.messages, activities: effects.activities, logs, ...(cancellation && { cancelActivities: true }) });
  return { commit, executor: outcome.status === 'running' ? 'cache' : 'forget' };
}

/** The first cancellation request of an execution counts; later ones are dropped (they change nothing). */
function onceCanceled(events: HistoryEvent[], alreadyRequested: boolean): HistoryEvent[] {
  let requests = 0;
  for (const e of events) if (e.EventType === 'ExecutionCancelRequested') requests += 1;
  if (requests === 0) return events;
  let seen = alreadyRequested;
  return events.filter((e) => {
    if (e.EventType !== 'ExecutionCancelRequested') return true;
    if (seen) return false;
    seen = true;
    return true;
  });
}

/** The request passed on to the sub-orchestrations the instance was waiting on. */
function cancelRequests(cancellation: CancellationEffects, timestamp: string): NewMessage[] {
  return cancellation.children.map((child) => ({
    instanceId: child,
    event: { EventType: 'ExecutionCancelRequested', Timestamp: timestamp, ...(cancellation.reason !== undefined && { Reason: cancellation.reason }) },
  }));
}

/** Canceled before its start was applied (a delayed start): no code ran, so there is nothing to wind down. */
function planCanceledBeforeStart(instance: InstanceRecord, inbox: Inbox, events: HistoryEvent[], reason: Payload): EpisodeCommit {
  const history = [...events, executionCanceledEvent(reason, inbox.clock.timestamp)];
  return withRefusals(inbox, {
    instance: { ...instance, status: 'Canceled', output: reason, updatedAt: inbox.clock.now, historyLength: instance.historyLength + history.length },
    history: { append: history },
    messages: [],
    activities: [],
    logs: [],
  });
}

/** Terminate: events before it still apply; the execution ends there, its fire-and-forget work still goes out. */
function planTerminate(instance: InstanceRecord, inbox: Inbox, executor: OrchestrationExecutor, terminateAt: number): EpisodeCommit {
  const { events, clock } = inbox;
  const terminated = events[terminateAt] as ExecutionTerminatedEvent;
  executor.apply(events.slice(0, terminateAt), false);
  const fireAndForget = executor.takeNewActions().filter(isFireAndForget);
  const history = [...events.slice(0, terminateAt), ...fireAndForget.map((a) => scheduledEvent(a, clock.timestamp)), terminated];
  const failure: FailureDetails = { name: 'TerminatedError', message: `sub-orchestration '${instance.instanceId}' was terminated` };
  return withRefusals(inbox, {
    instance: { ...instance, status: 'Terminated', output: terminated.Reason, updatedAt: clock.now, historyLength: instance.historyLength + history.length },
    history: { append: history },
    messages: [...splitEffects(fireAndForget, instance, clock).messages, ...endOfExecutionMessages(instance.instanceId, executor.parent, executor.heldLocks, { status: 'failed', failure }, clock.timestamp)],
    activities: [],
    logs: executor.takeLogs(),
  });
}

/**
 * The events an episode appends: what arrived, the changes to what the code
 * waits for (before the scheduling events, so they can name steps scheduled
 * in the same episode), the new actions as scheduling events, and how the
 * execution ended. A failed execution records only the fire-and-forget
 * actions it still sends. The determinism simulator builds its histories
 * with this too.
 */
export function episodeHistory(events: readonly HistoryEvent[], actions: readonly Action[], outcome: ExecutionOutcome, timestamp: string, waitsChanged?: WaitsChangedEvent): HistoryEvent[] {
  if (outcome.status === 'failed') return [...events, ...actions.filter(isFireAndForget).map((a) => scheduledEvent(a, timestamp)), executionFailedEvent(outcome.failure, timestamp)];
  // Pushed one by one: spreads of fresh arrays cost a step more than the events do.
  const history = events.slice();
  if (waitsChanged) history.push(waitsChanged);
  for (const action of actions) history.push(scheduledEvent(action, timestamp));
  if (outcome.status === 'completed') history.push(executionCompletedEvent(outcome.output, timestamp));
  return history;
}

function failedCommit(instance: InstanceRecord, inbox: Inbox, failure: FailureDetails, parent: ParentInstance | undefined, heldLocks: readonly string[]): EpisodeCommit {
  const { events, clock } = inbox;
  const history = [...events, executionFailedEvent(failure, clock.timestamp)];
  return withRefusals(inbox, {
    instance: { ...instance, status: 'Failed', output: serialize(failure, 'failure details'), updatedAt: clock.now, historyLength: instance.historyLength + history.length },
    history: { append: history },
    messages: endOfExecutionMessages(instance.instanceId, parent, heldLocks, { status: 'failed', failure }, clock.timestamp),
    activities: [],
    logs: [],
  });
}

function startInput(events: readonly HistoryEvent[]): Payload {
  const started = events.find((e) => e.EventType === 'ExecutionStarted');
  return started?.EventType === 'ExecutionStarted' ? started.Input : undefined;
}

function withRefusals(inbox: Inbox, commit: EpisodeCommit): EpisodeCommit {
  return inbox.refusals.length === 0 ? commit : { ...commit, messages: [...commit.messages, ...inbox.refusals] };
}

function forget(commit: EpisodeCommit): EpisodePlan {
  return { commit, executor: 'forget' };
}
