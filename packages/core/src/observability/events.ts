/**
 * `runtime.events`: typed lifecycle events (an eventemitter3 emitter).
 *
 * Invariants:
 * - Emitted by the runtime that observed the fact, once: never for replayed
 *   history (the shell emits from new messages and new commits only).
 * - A listener's exception never reaches the engine, nor the listeners after
 *   it: each call is isolated and the error is handed to `onError`.
 *
 * The emitter is eventemitter3's (emitter.ts); its public type below is
 * structural, so core's declarations do not depend on eventemitter3's.
 */
interface InstanceEventBase {
  instanceId: string;
  /** Orchestrator name. */
  name: string;
  executionId: string;
}

export type InstanceStartedEvent = InstanceEventBase;

export interface InstanceCompletedEvent extends InstanceEventBase {
  /** Milliseconds from creation to the end. */
  durationMs: number;
}

export interface InstanceFailedEvent extends InstanceEventBase {
  durationMs: number;
  /** The failure's message. */
  reason: string;
}

export interface InstanceTerminatedEvent extends InstanceEventBase {
  durationMs: number;
}

export interface InstanceCanceledEvent extends InstanceEventBase {
  durationMs: number;
}

interface ActivityEventBase {
  instanceId: string;
  /** Activity name. */
  name: string;
  /** Which delivery of the work item this is, from 1 (`actx.attempt`). */
  attempt: number;
  /** The step's sequence number in its orchestration. */
  taskScheduledId: number;
}

export type ActivityStartedEvent = ActivityEventBase;

export interface ActivityCompletedEvent extends ActivityEventBase {
  durationMs: number;
}

export interface ActivityFailedEvent extends ActivityEventBase {
  durationMs: number;
  error: Error;
}

/** A retry of a failed activity was scheduled (`callActivityWithRetry`); follows that attempt's `activityFailed`. */
export interface ActivityRetryingEvent {
  instanceId: string;
  name: string;
  /** The retry attempt now scheduled: 2 for the first retry. */
  attempt: number;
  taskScheduledId: number;
}

/** A lease this runtime held was taken over (it expired, or a renewal was refused): its work is another worker's now. */
export interface LeaseLostEvent {
  instanceId: string;
  kind: 'orchestration' | 'activity';
}

/** A schedule started a run. */
export interface ScheduleFiredEvent {
  /** The run's instance id. */
  instanceId: string;
  scheduleId: string;
  orchestrator: string;
}

/** An error the runtime handled (the same values `onError` receives). */
export interface RuntimeErrorEvent {
  error: unknown;
  /** The instance concerned, when one is. */
  instanceId?: string;
}

/** Every lifecycle event with its payload: `runtime.events.on('instanceCompleted', (e) => …)`. */
export interface RuntimeEventMap {
  instanceStarted: (event: InstanceStartedEvent) => void;
  instanceCompleted: (event: InstanceCompletedEvent) => void;
  instanceFailed: (event: InstanceFailedEvent) => void;
  instanceTerminated: (event: InstanceTerminatedEvent) => void;
  instanceCanceled: (event: InstanceCanceledEvent) => void;
  activityStarted: (event: ActivityStartedEvent) => void;
  activityCompleted: (event: ActivityCompletedEvent) => void;
  activityFailed: (event: ActivityFailedEvent) => void;
  activityRetrying: (event: ActivityRetryingEvent) => void;
  leaseLost: (event: LeaseLostEvent) => void;
  scheduleFired: (event: ScheduleFiredEvent) => void;
  error: (event: RuntimeErrorEvent) => void;
}

export type RuntimeEventName = keyof RuntimeEventMap;
export type RuntimeEventPayload<K extends RuntimeEventName> = Parameters<RuntimeEventMap[K]>[0];

/** `runtime.events`: an eventemitter3 emitter of the events in `RuntimeEventMap`. */
export interface RuntimeEvents {
  on<K extends RuntimeEventName>(event: K, listener: RuntimeEventMap[K]): this;
  addListener<K extends RuntimeEventName>(event: K, listener: RuntimeEventMap[K]): this;
  once<K extends RuntimeEventName>(event: K, listener: RuntimeEventMap[K]): this;
  off<K extends RuntimeEventName>(event: K, listener?: RuntimeEventMap[K]): this;
  removeListener<K extends RuntimeEventName>(event: K, listener?: RuntimeEventMap[K]): this;
  removeAllListeners(event?: RuntimeEventName): this;
  listenerCount(event: RuntimeEventName): number;
  listeners<K extends RuntimeEventName>(event: K): Array<RuntimeEventMap[K]>;
  eventNames(): RuntimeEventName[];
}

