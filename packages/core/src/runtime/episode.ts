/**
 * One orchestration episode: the locked instance's new messages in, one
 * atomic commit out. The replay itself is the executor's (pure); this file
 * turns its actions and outcome into history events, messages and work items.
 */
import { nanoid } from 'nanoid';
import { HistoryTooLongError, InstanceExistsError, LeaseLostError, MaxDeliveriesExceededError, UnknownOrchestratorError, toFailureDetails } from '../errors.js';
import type { FailureDetails } from '../errors.js';
import type { HistoryEvent, ParentInstance, Payload } from '../history.js';
import { serialize } from '../serializer.js';
import { isTerminal } from '../status.js';
import type { RuntimeStatus } from '../status.js';
import { scheduledEvent } from '../engine/actions.js';
import type { Action } from '../engine/actions.js';
import { OrchestrationExecutor } from '../engine/executor.js';
import type { OrchestratorFunction } from '../definitions.js';
import type { ActivityWorkItem, InstanceRecord, LockedInstance, NewActivity, NewMessage, OrchestrationCommit, Storage } from '../storage/types.js';
import { entityRecord } from '../entities/entity-record.js';
import { executionFacts } from './execution-facts.js';
import { rewindHistory } from './rewind.js';
import type { ReplayCache } from './replay-cache.js';
import type { ResolvedOptions } from './options.js';

export interface EpisodeDeps {
  storage: Storage;
  options: ResolvedOptions;
  orchestrators: Map<string, OrchestratorFunction>;
  cache: ReplayCache;
}

/** Events that answer one execution carry its id, so a stale timer never fires into a newer execution. */
export type Targeted = { TargetExecutionId?: string };

/**
 * What an episode hands back to the runtime: work items the store leased to
 * us in the commit (eager dispatch), or, from a store that does not dispatch
 * eagerly, whether activities were scheduled (to wake the activity loop).
 */
export interface EpisodeResult {
  eagerActivities: ActivityWorkItem[];
  scheduledWithoutEager: boolean;
}

const NOTHING: EpisodeResult = { eagerActivities: [], scheduledWithoutEager: false };

/** Runs one episode; `eagerActivities` is how many new work items this runtime can take at once. */
export async function runOrchestrationEpisode(deps: EpisodeDeps, locked: LockedInstance, eagerActivities = 0): Promise<EpisodeResult> {
  const { storage, options, cache } = deps;
  const { instance, lockToken } = locked;
  const now = options.clock.now();
  const timestamp = new Date(now).toISOString();
  const consumedMessageIds = locked.messages.map((m) => m.id);
  // Every event of an episode carries the episode's time: that is what ctx.currentUtcDateTime replays.
  // Events answering another execution (a timer from before continueAsNew) are dropped. One start per
  // execution: a second ExecutionStarted (two sub-orchestrations given the same instance id) is refused
  // back to its parent instead of starting a second generator.
  const events: HistoryEvent[] = [];
  const rejected: NewMessage[] = [];
  let acceptsStart = instance.status === 'Pending' || instance.status === 'ContinuedAsNew';
  for (const message of locked.messages) {
    const event = { ...message.event, Timestamp: timestamp } as HistoryEvent;
    const target = (event as Targeted).TargetExecutionId;
    if (target !== undefined && target !== instance.executionId) continue;
    if (event.EventType === 'ExecutionStarted') {
      if (!acceptsStart) {
        const failure = toFailureDetails(new InstanceExistsError(`instance '${instance.instanceId}' already exists (another start for it came first)`));
        rejected.push(...parentMessage(event.ParentInstance, { status: 'failed', failure }, timestamp));
        continue;
      }
      acceptsStart = false;
    }
    events.push(event);
  }

  let result = NOTHING;
  const commit = async (parts: Partial<OrchestrationCommit> & Pick<OrchestrationCommit, 'instance'>) => {
    const scheduled = (parts.activities?.length ?? 0) > 0;
    const committed = await storage.commitOrchestration(options.taskHub, {
      instanceId: instance.instanceId,
      lockToken,
      history: { append: [] },
      consumedMessageIds,
      activities: [],
      logs: [],
      ...parts,
      messages: [...(parts.messages ?? []), ...rejected],
      ...(scheduled && eagerActivities > 0 && { lockActivities: { max: eagerActivities, leaseMs: options.leaseMs } }),
    });
    result = committed ? { eagerActivities: committed.activities ?? [], scheduledWithoutEager: false } : { eagerActivities: [], scheduledWithoutEager: scheduled };
  };

  try {
    if (isTerminal(instance.status)) {
      const rewind = events.find((e) => e.EventType === 'ExecutionRewound');
      if (rewind && instance.status === 'Failed') {
        cache.delete(instance.instanceId);
        const history = await storage.getHistory(options.taskHub, instance.instanceId);
        const plan = rewindHistory(history, rewind, instance);
        await commit({
          instance: { ...instance, status: 'Running', output: undefined, updatedAt: now, historyLength: plan.history.length },
          history: { replace: plan.history },
          activities: plan.activities,
          messages: plan.messages,
        });
      } else {
        // Late messages for a finished instance are consumed and dropped.
        await commit({ instance });
      }
      return result;
    }

    // Poison: checked before any replay (a replay may be what kills the worker). The parent and the
    // held locks come from the recorded history, read without running the orchestrator's code.
    if (locked.deliveries > options.maxDeliveries) {
      cache.delete(instance.instanceId);
      const recorded = instance.historyLength > 0 ? await storage.getHistory(options.taskHub, instance.instanceId) : [];
      const { parent, heldLocks } = executionFacts([...recorded, ...events]);
      const failure = toFailureDetails(
        new MaxDeliveriesExceededError(`instance '${instance.instanceId}' was delivered ${locked.deliveries} times without completing an episode (maxDeliveries ${options.maxDeliveries})`),
      );
      await commit(failedCommit(instance, events, failure, now, timestamp, parent, heldLocks));
      return result;
    }

    const startsNewExecution = events.some((e) => e.EventType === 'ExecutionStarted');
    let executor = startsNewExecution ? undefined : cache.take(instance.instanceId, instance.executionId, instance.historyLength);
    if (!executor) {
      const fn = deps.orchestrators.get(instance.name);
      if (!fn) {
        const failure = toFailureDetails(new UnknownOrchestratorError(`no orchestrator named '${instance.name}' is registered with this runtime`));
        await commit(failedCommit(instance, events, failure, now, timestamp, undefined, []));
        return result;
      }
      executor = new OrchestrationExecutor(instance.instanceId, fn, {
        maxPayloadBytes: options.maxPayloadBytes,
        onLog: (entry, instanceId) => options.logger({ ...entry, instanceId }),
      });
      // Events that arrived before a delayed start are recorded ahead of ExecutionStarted; replay them too.
      if (instance.historyLength > 0) executor.apply(await storage.getHistory(options.taskHub, instance.instanceId), true);
    }

    const terminateAt = events.findIndex((e) => e.EventType === 'ExecutionTerminated');
    if (terminateAt >= 0) {
      const terminated = events[terminateAt] as Extract<HistoryEvent, { EventType: 'ExecutionTerminated' }>;
      executor.apply(events.slice(0, terminateAt), false);
      const history = [...events.slice(0, terminateAt), ...executor.takeNewActions().filter(isFireAndForget).map((a) => scheduledEvent(a, timestamp)), terminated];
      await commit({
        instance: { ...instance, status: 'Terminated', output: terminated.Reason, updatedAt: now, historyLength: instance.historyLength + history.length },
        history: { append: history },
        messages: [...endOfExecutionMessages(executor, instance, { status: 'failed', failure: { name: 'TerminatedError', message: `sub-orchestration '${instance.instanceId}' was terminated` } }, timestamp)],
        logs: executor.takeLogs(),
      });
      return result;
    }

    executor.apply(events, false);
    const actions = executor.takeNewActions();
    const outcome = executor.outcome;
    const logs = executor.takeLogs();
    let history: HistoryEvent[] = [...events, ...actions.map((a) => scheduledEvent(a, timestamp))];
    const row: InstanceRecord = {
      ...instance,
      status: !executor.hasStarted ? instance.status : executor.isSuspended ? 'Suspended' : 'Running',
      updatedAt: now,
      customStatus: executor.customStatusChanged ? executor.customStatus : instance.customStatus,
      ...(startsNewExecution && { input: startInput(events) }),
    };

    if (outcome.status === 'continuedAsNew') {
      const executionId = nanoid();
      const started: HistoryEvent = {
        EventType: 'ExecutionStarted',
        Timestamp: timestamp,
        Name: instance.name,
        ExecutionId: executionId,
        ...(outcome.input !== undefined && { Input: outcome.input }),
        ...(executor.parent && { ParentInstance: executor.parent }),
      };
      cache.delete(instance.instanceId);
      await commit({
        instance: { ...row, status: 'ContinuedAsNew', executionId, input: outcome.input, output: undefined, historyLength: 0 },
        history: { replace: [] },
        // Unprocessed events travel to the new execution, after its start.
        messages: [
          ...actionEffects(actions.filter(isFireAndForget), instance, timestamp, now),
          { instanceId: instance.instanceId, event: started },
          ...outcome.carryOver.map((event) => ({ instanceId: instance.instanceId, event })),
        ],
        logs,
      });
      return result;
    }

    if (instance.historyLength + history.length + 1 > options.maxHistoryEvents) {
      const failure = toFailureDetails(
        new HistoryTooLongError(`instance '${instance.instanceId}' would exceed ${options.maxHistoryEvents} history events (maxHistoryEvents); use continueAsNew for long-lived orchestrations`),
      );
      cache.delete(instance.instanceId);
      await commit(failedCommit(row, events, failure, now, timestamp, executor.parent, executor.heldLocks));
      return result;
    }

    const messages: NewMessage[] = [];
    const activities: NewActivity[] = [];
    if (outcome.status === 'running') {
      splitEffects(actions, instance, timestamp, now, messages, activities);
    } else {
      messages.push(...actionEffects(actions.filter(isFireAndForget), instance, timestamp, now));
      messages.push(...endOfExecutionMessages(executor, instance, outcome, timestamp));
      if (outcome.status === 'completed') {
        history.push({ EventType: 'ExecutionCompleted', Timestamp: timestamp, OrchestrationStatus: 'Completed', ...(outcome.output !== undefined && { Result: outcome.output }) });
        row.status = 'Completed';
        row.output = outcome.output;
      } else {
        history = [...events, ...actions.filter(isFireAndForget).map((a) => scheduledEvent(a, timestamp)), failedEvent(outcome.failure, timestamp)];
        row.status = 'Failed';
        row.output = serialize(outcome.failure, 'failure details');
      }
    }
    row.historyLength = instance.historyLength + history.length;
    await commit({ instance: row, history: { append: history }, messages, activities, logs });
    if (outcome.status === 'running') cache.put(instance.instanceId, { executor, executionId: instance.executionId, historyLength: row.historyLength });
    return result;
  } catch (error) {
    cache.delete(instance.instanceId);
    if (error instanceof LeaseLostError) return result; // another worker owns the instance now
    throw error;
  }
}

function startInput(events: HistoryEvent[]): Payload {
  const started = events.find((e) => e.EventType === 'ExecutionStarted');
  return started?.EventType === 'ExecutionStarted' ? started.Input : undefined;
}

/** Entity signals and lock releases still go out when an execution ends; awaited work does not. */
function isFireAndForget(action: Action): boolean {
  return action.kind === 'entityRequest' && (action.request === 'signal' || action.request === 'unlock');
}

function failedEvent(failure: FailureDetails, timestamp: string): HistoryEvent {
  return { EventType: 'ExecutionFailed', Timestamp: timestamp, OrchestrationStatus: 'Failed', Reason: failure.message, Details: serialize(failure, 'failure details') };
}

function failedCommit(
  instance: InstanceRecord,
  events: HistoryEvent[],
  failure: FailureDetails,
  now: number,
  timestamp: string,
  parent: ParentInstance | undefined,
  heldLocks: readonly string[],
): Pick<OrchestrationCommit, 'instance' | 'history' | 'messages'> {
  const history = [...events, failedEvent(failure, timestamp)];
  return {
    instance: { ...instance, status: 'Failed', output: serialize(failure, 'failure details'), updatedAt: now, historyLength: instance.historyLength + history.length },
    history: { append: history },
    messages: [...parentMessage(parent, { status: 'failed', failure }, timestamp), ...lockReleases(instance.instanceId, heldLocks, timestamp)],
  };
}

type EndOutcome = { status: 'completed'; output: Payload } | { status: 'failed'; failure: FailureDetails };

function endOfExecutionMessages(executor: OrchestrationExecutor, instance: InstanceRecord, outcome: EndOutcome, timestamp: string): NewMessage[] {
  return [...parentMessage(executor.parent, outcome, timestamp), ...lockReleases(instance.instanceId, executor.heldLocks, timestamp)];
}

function parentMessage(parent: ParentInstance | undefined, outcome: EndOutcome, timestamp: string): NewMessage[] {
  if (!parent) return [];
  const base = { Timestamp: timestamp, TaskScheduledId: parent.TaskScheduledId, TargetExecutionId: parent.ExecutionId };
  const event =
    outcome.status === 'completed'
      ? { ...base, EventType: 'SubOrchestrationInstanceCompleted' as const, ...(outcome.output !== undefined && { Result: outcome.output }) }
      : { ...base, EventType: 'SubOrchestrationInstanceFailed' as const, Reason: outcome.failure.message, Details: serialize(outcome.failure, 'failure details') };
  return [{ instanceId: parent.InstanceId, event }];
}

/** Locks held when an execution ends are released, whatever the end. */
function lockReleases(instanceId: string, heldLocks: readonly string[], timestamp: string): NewMessage[] {
  return heldLocks.map((target) => ({
    instanceId: target,
    event: { EventType: 'EntityLockReleased', Timestamp: timestamp, RequestId: `${instanceId}#end`, ParentInstanceId: instanceId, LockSet: [...heldLocks], Position: 0 },
  }));
}

function actionEffects(actions: Action[], instance: InstanceRecord, timestamp: string, now: number): NewMessage[] {
  const messages: NewMessage[] = [];
  splitEffects(actions, instance, timestamp, now, messages, []);
  return messages;
}

/** What each new action does outside this instance: a work item or a message. */
function splitEffects(actions: Action[], instance: InstanceRecord, timestamp: string, now: number, messages: NewMessage[], activities: NewActivity[]): void {
  const target = { TargetExecutionId: instance.executionId };
  for (const action of actions) {
    switch (action.kind) {
      case 'activity':
        activities.push({ instanceId: instance.instanceId, executionId: instance.executionId, taskScheduledId: action.id, name: action.name, ...(action.input !== undefined && { input: action.input }) });
        break;
      case 'timer':
        messages.push({
          instanceId: instance.instanceId,
          visibleAt: action.fireAt,
          event: { EventType: 'TimerFired', Timestamp: timestamp, TimerId: action.id, FireAt: new Date(action.fireAt).toISOString(), ...target },
        });
        break;
      case 'subOrchestration': {
        const parent: ParentInstance = { InstanceId: instance.instanceId, ExecutionId: instance.executionId, TaskScheduledId: action.id };
        const executionId = nanoid();
        messages.push({
          instanceId: action.instanceId,
          event: { EventType: 'ExecutionStarted', Timestamp: timestamp, Name: action.name, ExecutionId: executionId, ParentInstance: parent, ...(action.input !== undefined && { Input: action.input }) },
          createIfMissing: {
            instanceId: action.instanceId,
            kind: 'orchestration',
            name: action.name,
            executionId,
            status: 'Pending' satisfies RuntimeStatus,
            input: action.input,
            createdAt: now,
            updatedAt: now,
            historyLength: 0,
            parentInstanceId: instance.instanceId,
          },
        });
        break;
      }
      case 'entityRequest': {
        const base = { Timestamp: timestamp, RequestId: action.requestId, ParentInstanceId: instance.instanceId };
        if (action.request === 'lock') {
          messages.push({ instanceId: action.entityId, createIfMissing: entityRecord(action.entityId, now), event: { ...base, EventType: 'EntityLockRequested', LockSet: action.lockSet ?? [action.entityId], Position: 0 } });
        } else if (action.request === 'unlock') {
          messages.push({ instanceId: action.entityId, event: { ...base, EventType: 'EntityLockReleased', LockSet: [action.entityId], Position: 0 } });
        } else {
          messages.push({
            instanceId: action.entityId,
            createIfMissing: entityRecord(action.entityId, now),
            event: {
              EventType: 'EntityOperation',
              Timestamp: timestamp,
              RequestId: action.requestId,
              Operation: action.operation ?? '',
              ...(action.input !== undefined && { Input: action.input }),
              ...(action.request === 'call' && { ParentInstanceId: instance.instanceId, TargetExecutionId: instance.executionId }),
              ...(action.lockOwner !== undefined && { LockOwner: action.lockOwner }),
            },
          });
        }
        break;
      }
    }
  }
}
