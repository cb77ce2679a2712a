/**
 * One entity episode: process the inbox's operations one at a time, in
 * order, then commit the new state, replies and signals in one commit.
 * Operations from other orchestrations wait in the queue while a critical
 * section holds the entity.
 */
import { nanoid } from 'nanoid';
import { UnknownOrchestratorError, isRepriseError, toFailureDetails } from '../errors.js';
import type { EntityLockEvent, EntityOperationEvent, HistoryEvent, Payload } from '../history.js';
import { serialize } from '../serializer.js';
import type { LockedInstance, NewMessage, Storage } from '../storage/types.js';
import type { ResolvedOptions } from '../runtime/options.js';
import type { EntityRegistration } from './entity-context.js';
import { executeEntityOperation } from './entity-operation.js';
import { entityInstanceId, parseEntityInstanceId } from './entity-id.js';
import { entityRecord } from './entity-record.js';
import { executionStartedEvent, pendingOrchestrationRecord } from '../events.js';
import { readSchedulerState, writeSchedulerState } from './entity-state.js';
import type { Observer } from '../observability/observer.js';

export interface EntityDeps {
  storage: Storage;
  options: ResolvedOptions;
  entities: Map<string, EntityRegistration>;
  /** Validates an orchestration start requested by an entity. */
  hasOrchestrator(name: string): boolean;
  /** Spans of the operations (absent: none). */
  observer?: Observer;
}

export async function runEntityEpisode(deps: EntityDeps, locked: LockedInstance): Promise<void> {
  const { storage, options } = deps;
  const { instance } = locked;
  const now = options.clock.now();
  const timestamp = new Date(now).toISOString();
  const scheduler = readSchedulerState(instance.entityState);
  const out: NewMessage[] = [];
  const id = parseEntityInstanceId(instance.instanceId) ?? { name: instance.name, key: '' };
  const registration = deps.entities.get(id.name);

  const reply = (event: EntityOperationEvent, result: { value: Payload } | { error: unknown }) => {
    if (!event.ParentInstanceId) return;
    const failure = 'error' in result ? toFailureDetails(result.error) : undefined;
    out.push({
      instanceId: event.ParentInstanceId,
      event: {
        EventType: 'EntityResponse',
        Timestamp: timestamp,
        RequestId: event.RequestId,
        ...(failure ? { Reason: failure.message, Details: serialize(failure, 'failure details') } : 'value' in result && result.value !== undefined ? { Result: result.value } : {}),
        ...((event as { TargetExecutionId?: string }).TargetExecutionId !== undefined && { TargetExecutionId: (event as { TargetExecutionId?: string }).TargetExecutionId }),
      } as HistoryEvent,
    });
  };

  const runOperation = async (event: EntityOperationEvent) => {
    const outgoing: NewMessage[] = [];
    const span = deps.observer?.entityOperation(instance, event);
    const outcome = await executeEntityOperation({
      registration,
      id,
      instanceId: instance.instanceId,
      state: scheduler.state,
      operation: event.Operation,
      input: event.Input,
      maxPayloadBytes: options.maxPayloadBytes,
      signalEntity: (target, operation, input) => {
        const targetId = entityInstanceId(target);
        outgoing.push({
          instanceId: targetId,
          createIfMissing: entityRecord(targetId, now),
          event: { EventType: 'EntityOperation', Timestamp: timestamp, RequestId: nanoid(), Operation: operation, ...(input !== undefined && { Input: input }) },
        });
      },
      startNewOrchestration: (name, input, instanceId) => {
        if (!deps.hasOrchestrator(name)) throw new UnknownOrchestratorError(`no orchestrator named '${name}' is registered with this runtime`);
        const newId = instanceId ?? nanoid();
        const executionId = nanoid();
        outgoing.push({
          instanceId: newId,
          createIfMissing: pendingOrchestrationRecord({ instanceId: newId, name, executionId, input, now, version: options.version }),
          event: executionStartedEvent({ name, executionId, input, timestamp }),
        });
        return newId;
      },
    });
    deps.observer?.tracing.end(span, outcome.ok ? undefined : outcome.error);
    // A thrown operation leaves no trace: state, signals and starts are dropped.
    if (!outcome.ok) return reply(event, { error: outcome.error });
    scheduler.state = outcome.state;
    out.push(...outgoing);
    reply(event, { value: outcome.result });
  };

  const handleLock = (event: EntityLockEvent) => {
    if (event.EventType === 'EntityLockReleased') {
      if (scheduler.lockedBy === event.ParentInstanceId) delete scheduler.lockedBy;
      return;
    }
    scheduler.lockedBy = event.ParentInstanceId;
    const next = event.LockSet[event.Position + 1];
    out.push(
      next === undefined
        ? { instanceId: event.ParentInstanceId, event: { EventType: 'EntityResponse', Timestamp: timestamp, RequestId: event.RequestId } }
        : { instanceId: next, createIfMissing: entityRecord(next, now), event: { ...event, Timestamp: timestamp, Position: event.Position + 1 } },
    );
  };

  /** True when the request must wait for the current critical section to end. */
  const mustWait = (event: HistoryEvent) =>
    scheduler.lockedBy !== undefined &&
    event.EventType !== 'EntityLockReleased' &&
    !(event.EventType === 'EntityOperation' && event.LockOwner === scheduler.lockedBy);

  const process = async (event: HistoryEvent) => {
    if (event.EventType === 'EntityOperation') await runOperation(event);
    else if (event.EventType === 'EntityLockRequested' || event.EventType === 'EntityLockReleased') handleLock(event);
  };

  for (const message of locked.messages) {
    const event = message.event;
    if (mustWait(event)) {
      scheduler.queue.push(event);
      continue;
    }
    await process(event);
    // A release may let queued requests through, in their arrival order.
    while (scheduler.lockedBy === undefined && scheduler.queue.length > 0) {
      await process(scheduler.queue.shift()!);
    }
  }

  const entityState = writeSchedulerState(scheduler);
  try {
    await storage.commitOrchestration(options.taskHub, {
      instanceId: instance.instanceId,
      lockToken: locked.lockToken,
      instance: { ...instance, status: scheduler.state === undefined ? 'Completed' : 'Running', updatedAt: now, entityState },
      history: { append: [] },
      consumedMessageIds: locked.messages.map((m) => m.id),
      messages: out,
      activities: [],
      logs: [],
    });
  } catch (error) {
    if (!isRepriseError(error, 'LEASE_LOST')) throw error;
  }
}
