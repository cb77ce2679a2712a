/**
 * Actions: what an orchestrator asks for. Each carries the sequence number
 * (EventId) it was created with; replay checks every recorded scheduling
 * event against the action with the same number.
 */
import type { HistoryEvent, Payload } from '../history.js';
import type { ConcurrencyGroup } from '../storage/types.js';

/** What the step view needs of an action; recorded in its scheduling event, never compared on replay. */
export interface StepMeta {
  /** Sequences of the steps the code consumed since it scheduled its previous step. */
  previous?: readonly number[];
  /** Retry attempt, from 2 on. */
  attempt?: number;
  /** The task's key in a `defineWorkflow` graph (every attempt of it carries the key). */
  key?: string;
}

export type Action = StepMeta &
  (
    | { kind: 'activity'; id: number; name: string; input: Payload }
    | { kind: 'timer'; id: number; fireAt: number }
    | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input: Payload; /** The group the child starts in, from its definition. */ concurrency?: ConcurrencyGroup }
    /** A wait for an external event; nothing leaves the instance, the event records the step. */
    | { kind: 'eventWait'; id: number; name: string }
    | { kind: 'entityRequest'; id: number; request: 'call' | 'signal' | 'lock' | 'unlock'; entityId: string; operation?: string; input: Payload; requestId: string; lockSet?: string[]; /** Set when sent inside a critical section that holds the target. */ lockOwner?: string }
    /** `ctx.patched` on first execution: recorded as a PatchMarker, nothing goes out. */
    | { kind: 'patch'; id: number; patchId: string }
  );

/** The step fields of a scheduling event: written only when they say something, so histories stay as small as before. */
function previousField(action: Action): { Previous?: number[] } {
  return action.previous !== undefined && action.previous.length > 0 ? { Previous: [...action.previous] } : {};
}

function stepFields(action: Action): { Previous?: number[]; Attempt?: number; Key?: string } {
  return {
    ...previousField(action),
    ...(action.attempt !== undefined && action.attempt > 1 && { Attempt: action.attempt }),
    ...(action.key !== undefined && { Key: action.key }),
  };
}

export type ActionKind = Action['kind'];

/** The history event that records an action as scheduled. */
export function scheduledEvent(action: Action, timestamp: string): HistoryEvent {
  switch (action.kind) {
    case 'activity':
      return { EventType: 'TaskScheduled', Timestamp: timestamp, EventId: action.id, Name: action.name, ...(action.input !== undefined && { Input: action.input }), ...stepFields(action) };
    case 'timer':
      return { EventType: 'TimerCreated', Timestamp: timestamp, EventId: action.id, FireAt: new Date(action.fireAt).toISOString(), ...previousField(action) };
    case 'subOrchestration':
      return {
        EventType: 'SubOrchestrationInstanceCreated',
        Timestamp: timestamp,
        EventId: action.id,
        Name: action.name,
        InstanceId: action.instanceId,
        ...(action.input !== undefined && { Input: action.input }),
        ...stepFields(action),
      };
    case 'eventWait':
      return { EventType: 'EventWaitStarted', Timestamp: timestamp, EventId: action.id, Name: action.name, ...previousField(action) };
    case 'entityRequest':
      return {
        EventType: 'EntityRequestSent',
        Timestamp: timestamp,
        EventId: action.id,
        Kind: action.request,
        EntityId: action.entityId,
        RequestId: action.requestId,
        ...(action.operation !== undefined && { Operation: action.operation }),
        ...(action.input !== undefined && { Input: action.input }),
        ...(action.request === 'lock' && action.lockSet && { LockSet: action.lockSet }),
        ...previousField(action),
      };
    case 'patch':
      return { EventType: 'PatchMarker', Timestamp: timestamp, EventId: action.id, PatchId: action.patchId };
  }
}

/** How an action reads in a NonDeterminismError: kind, name and sequence number. */
export function describeAction(action: Action | undefined): string {
  if (!action) return 'no action';
  switch (action.kind) {
    case 'activity':
      return `callActivity('${action.name}') #${action.id}`;
    case 'timer':
      return `createTimer #${action.id}`;
    case 'subOrchestration':
      return `callSubOrchestrator('${action.name}') #${action.id}`;
    case 'eventWait':
      return `waitForExternalEvent('${action.name}') #${action.id}`;
    case 'entityRequest':
      return `${action.request}Entity('${action.entityId}'${action.operation ? `, '${action.operation}'` : ''}) #${action.id}`;
    case 'patch':
      return `patched('${action.patchId}') #${action.id}`;
  }
}

/** The action a recorded scheduling event stands for, to compare with the code's. */
export function describeScheduledEvent(event: HistoryEvent): string {
  switch (event.EventType) {
    case 'TaskScheduled':
      return `callActivity('${event.Name}') #${event.EventId}`;
    case 'TimerCreated':
      return `createTimer #${event.EventId}`;
    case 'SubOrchestrationInstanceCreated':
      return `callSubOrchestrator('${event.Name}') #${event.EventId}`;
    case 'EventWaitStarted':
      return `waitForExternalEvent('${event.Name}') #${event.EventId}`;
    case 'EntityRequestSent':
      return `${event.Kind}Entity('${event.EntityId}'${event.Operation ? `, '${event.Operation}'` : ''}) #${event.EventId}`;
    case 'PatchMarker':
      return `patched('${event.PatchId}') #${event.EventId}`;
    default:
      return event.EventType;
  }
}

/** True when the recorded event is the same action (kind and name) as the code's. */
export function sameAction(event: HistoryEvent, action: Action): boolean {
  switch (event.EventType) {
    case 'TaskScheduled':
      return action.kind === 'activity' && action.name === event.Name;
    case 'TimerCreated':
      return action.kind === 'timer';
    case 'SubOrchestrationInstanceCreated':
      return action.kind === 'subOrchestration' && action.name === event.Name;
    case 'EventWaitStarted':
      return action.kind === 'eventWait' && action.name === event.Name;
    case 'EntityRequestSent':
      return action.kind === 'entityRequest' && action.request === event.Kind && action.entityId === event.EntityId && action.operation === event.Operation;
    case 'PatchMarker':
      return action.kind === 'patch' && action.patchId === event.PatchId;
    default:
      return false;
  }
}
