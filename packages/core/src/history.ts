/**
 * History events: the durable record of an orchestration, append-only.
 *
 * Names and fields follow the Durable Task Framework (`EventType`,
 * `Timestamp`, `EventId`, `TaskScheduledId`, `FunctionName`, `Result`, ...)
 * so the HTTP APIs render them exactly as the Durable Functions documents
 * show. Payload fields (`Input`, `Result`, `Details`) hold superjson text;
 * the engine deserializes them only when the orchestrator needs the value.
 *
 * Every event of one episode carries that episode's `Timestamp`, which is
 * what `ctx.currentUtcDateTime` reads during replay.
 */

/** A serialized payload (superjson text). `undefined` means "no value". */
export type Payload = string | undefined;

interface EventBase {
  /** ISO-8601 UTC time the event was recorded. */
  Timestamp: string;
}

export interface ExecutionStartedEvent extends EventBase {
  EventType: 'ExecutionStarted';
  Name: string;
  ExecutionId: string;
  Input?: Payload;
  ParentInstance?: ParentInstance;
  /**
   * Set on executions started by code that numbers event waits: each
   * `waitForExternalEvent` then takes a sequence number and is recorded as
   * EventWaitStarted. Absent in older histories, which replay with event
   * waits unnumbered, as they were written.
   */
  EventWaitSteps?: true;
}

export interface ParentInstance {
  InstanceId: string;
  ExecutionId: string;
  TaskScheduledId: number;
}

/** The end of an execution: Completed with its output, or Canceled (an uncaught cancellation) with the request's reason. */
export interface ExecutionCompletedEvent extends EventBase {
  EventType: 'ExecutionCompleted';
  OrchestrationStatus: 'Completed' | 'Canceled';
  Result?: Payload;
}

export interface ExecutionFailedEvent extends EventBase {
  EventType: 'ExecutionFailed';
  OrchestrationStatus: 'Failed';
  Reason: string;
  Details?: Payload;
}

export interface ExecutionTerminatedEvent extends EventBase {
  EventType: 'ExecutionTerminated';
  Reason?: Payload;
}

/**
 * A cooperative cancellation request (`client.requestCancel`, or a parent
 * being canceled). Pending tasks reject with CancellationRequestedError; an
 * uncaught one ends the instance Canceled with `Reason` as output.
 */
export interface ExecutionCancelRequestedEvent extends EventBase {
  EventType: 'ExecutionCancelRequested';
  Reason?: Payload;
}

export interface ExecutionSuspendedEvent extends EventBase {
  EventType: 'ExecutionSuspended';
  Reason?: Payload;
}

export interface ExecutionResumedEvent extends EventBase {
  EventType: 'ExecutionResumed';
  Reason?: Payload;
}

export interface ExecutionRewoundEvent extends EventBase {
  EventType: 'ExecutionRewound';
  Reason?: Payload;
}

export interface ContinueAsNewEvent extends EventBase {
  EventType: 'ContinueAsNew';
  Input?: Payload;
}

/**
 * What a scheduling event records for the step view, never compared on
 * replay (replay checks kind, name and sequence only), so histories written
 * before these fields existed replay unchanged and read as `[]` / attempt 1.
 */
interface StepFields {
  /** Sequences of the steps whose results the code consumed since it scheduled its previous step. */
  Previous?: number[];
  /** Retry attempt, from 2 on (`callActivityWithRetry`, `callSubOrchestratorWithRetry`); absent for the first. */
  Attempt?: number;
  /** The task's key in a `defineWorkflow` graph; absent outside one. */
  Key?: string;
}

export interface TaskScheduledEvent extends EventBase, StepFields {
  EventType: 'TaskScheduled';
  EventId: number;
  Name: string;
  Input?: Payload;
}

/** What an activity reported last (`actx.reportProgress`), carried into its completion. */
export interface ProgressRecord {
  Percent: number;
  Message?: string;
  /** ISO-8601 UTC time of the report. */
  At: string;
}

/** When the completing attempt began running and how far it said it got. */
interface ActivityRunFields {
  /** ISO-8601 UTC time the worker that completed it took the work item. */
  StartedAt?: string;
  Progress?: ProgressRecord;
}

export interface TaskCompletedEvent extends EventBase, ActivityRunFields {
  EventType: 'TaskCompleted';
  TaskScheduledId: number;
  Result?: Payload;
}

export interface TaskFailedEvent extends EventBase, ActivityRunFields {
  EventType: 'TaskFailed';
  TaskScheduledId: number;
  Reason: string;
  Details?: Payload;
}

export interface SubOrchestrationInstanceCreatedEvent extends EventBase, StepFields {
  EventType: 'SubOrchestrationInstanceCreated';
  EventId: number;
  Name: string;
  InstanceId: string;
  Input?: Payload;
}

export interface SubOrchestrationInstanceCompletedEvent extends EventBase {
  EventType: 'SubOrchestrationInstanceCompleted';
  TaskScheduledId: number;
  Result?: Payload;
}

export interface SubOrchestrationInstanceFailedEvent extends EventBase {
  EventType: 'SubOrchestrationInstanceFailed';
  TaskScheduledId: number;
  Reason: string;
  Details?: Payload;
}

export interface TimerCreatedEvent extends EventBase, Pick<StepFields, 'Previous'> {
  EventType: 'TimerCreated';
  EventId: number;
  FireAt: string;
}

export interface TimerFiredEvent extends EventBase {
  EventType: 'TimerFired';
  TimerId: number;
  FireAt: string;
}

/** The code began waiting for an external event (executions with `EventWaitSteps` only). */
export interface EventWaitStartedEvent extends EventBase, Pick<StepFields, 'Previous'> {
  EventType: 'EventWaitStarted';
  EventId: number;
  Name: string;
}

/**
 * Which steps the code stopped (or started again) waiting for in an
 * episode, for the step view; written after the episode's arrived events
 * and before its scheduling events, only when something changed, and never
 * compared on replay.
 */
export interface WaitsChangedEvent extends EventBase {
  EventType: 'WaitsChanged';
  /** Steps pending under a task the code moved on from (a Task.any loser, a sibling of a failed Task.all) or a canceled timer. */
  Abandoned?: number[];
  /** Steps scheduled in this episode whose waits the episode's cancellation request rejected. */
  Canceled?: number[];
  /** Abandoned steps the code waits for again. */
  Resumed?: number[];
}

export interface EventRaisedEvent extends EventBase {
  EventType: 'EventRaised';
  Name: string;
  Input?: Payload;
  /** W3C traceparent of the sender's span, when it was traced (linked from the event's span). */
  TraceParent?: string;
}

/** An entity operation request, delivered to an entity's inbox. */
export interface EntityOperationEvent extends EventBase {
  EventType: 'EntityOperation';
  /** Unique id of the request; a call's response carries it back. */
  RequestId: string;
  Operation: string;
  Input?: Payload;
  /** The orchestration waiting for a response; absent for a signal. */
  ParentInstanceId?: string;
  /** Set when the request is issued inside a critical section. */
  LockOwner?: string;
  /** W3C traceparent of the sender's span, when it was traced (the operation's span is its child). */
  TraceParent?: string;
}

/** A lock request or release for an entity, part of a critical section. */
export interface EntityLockEvent extends EventBase {
  EventType: 'EntityLockRequested' | 'EntityLockReleased';
  RequestId: string;
  ParentInstanceId: string;
  /** Entities of the section in global order; the request travels along them. */
  LockSet: string[];
  Position: number;
}

/** An orchestration's record that it called / signalled an entity or asked for locks. */
export interface EntityRequestSentEvent extends EventBase, Pick<StepFields, 'Previous'> {
  EventType: 'EntityRequestSent';
  EventId: number;
  Kind: 'call' | 'signal' | 'lock' | 'unlock';
  EntityId: string;
  Operation?: string;
  Input?: Payload;
  RequestId: string;
  /** Lock requests: every entity of the section, so a poison instance's locks are released without replaying it. */
  LockSet?: string[];
}

/**
 * A patch marker (`ctx.patched(patchId)` on first execution): this run took
 * the patched path. It holds a sequence number like a scheduled action, so
 * replay finds it exactly where the code asks; runs recorded without it keep
 * the old path. No work goes out for it.
 */
export interface PatchMarkerEvent extends EventBase {
  EventType: 'PatchMarker';
  EventId: number;
  PatchId: string;
}

/** The response of an entity operation or lock grant, delivered to the orchestration. */
export interface EntityResponseEvent extends EventBase {
  EventType: 'EntityResponse';
  RequestId: string;
  Result?: Payload;
  /** Present when the operation threw. */
  Reason?: string;
  Details?: Payload;
}

export type HistoryEvent =
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionFailedEvent
  | ExecutionTerminatedEvent
  | ExecutionCancelRequestedEvent
  | ExecutionSuspendedEvent
  | ExecutionResumedEvent
  | ExecutionRewoundEvent
  | ContinueAsNewEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | SubOrchestrationInstanceCreatedEvent
  | SubOrchestrationInstanceCompletedEvent
  | SubOrchestrationInstanceFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | EventWaitStartedEvent
  | WaitsChangedEvent
  | EventRaisedEvent
  | EntityOperationEvent
  | EntityLockEvent
  | EntityRequestSentEvent
  | EntityResponseEvent
  | PatchMarkerEvent;

export type EventType = HistoryEvent['EventType'];

export type HistoryEventOf<T extends EventType> = Extract<HistoryEvent, { EventType: T }>;

/**
 * The events an orchestrator's own actions write, each numbered by the
 * action's sequence: replay matches them one by one against the code.
 */
export const SCHEDULING_EVENT_TYPES: ReadonlySet<HistoryEvent['EventType']> = new Set([
  'TaskScheduled',
  'TimerCreated',
  'SubOrchestrationInstanceCreated',
  'EntityRequestSent',
  'EventWaitStarted',
  'PatchMarker',
]);
