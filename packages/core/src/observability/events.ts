/**
 * `runtime.events`: typed lifecycle events (an eventemitter3 emitter).
 *
 * Invariants:
 * - Emitted by the runtime that observed the fact, once: never for replayed
 *   history (the shell emits from new messages and new commits only).
 * - A listener's exception never reaches the engine, nor the listeners after
 *   it: each call is isolated and the error is handed to `onError`.
 */
import EventEmitter from 'eventemitter3';

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

/** The emitter behind `runtime.events`. */
export type RuntimeEvents = EventEmitter<RuntimeEventMap>;

// eventemitter3's own record of a listener (index.js: `EE`); read to call each one in isolation.
interface Registered {
  fn: (payload: unknown) => void;
  context: unknown;
  once: boolean;
}

/**
 * The runtime's emitter: `emit` calls every listener even when one throws,
 * and reports the throw to `onListenerError` instead of the emitter's caller.
 */
export class IsolatedEmitter extends EventEmitter<RuntimeEventMap> {
  readonly #onListenerError: (error: unknown) => void;
  constructor(onListenerError: (error: unknown) => void) {
    super();
    this.#onListenerError = onListenerError;
  }

  /** True when anyone listens to `event`: payloads are built only then. */
  wants(event: RuntimeEventName): boolean {
    return this.listenerCount(event) > 0;
  }

  override emit<K extends RuntimeEventName>(event: K, ...args: EventEmitter.ArgumentMap<RuntimeEventMap>[Extract<K, RuntimeEventName>]): boolean {
    const key = typeof EventEmitter.prefixed === 'string' ? EventEmitter.prefixed + event : event;
    const stored = (this as unknown as { _events: Record<string, Registered | Registered[] | undefined> })._events[key];
    if (!stored) return false;
    const listeners = Array.isArray(stored) ? [...stored] : [stored];
    for (const listener of listeners) {
      if (listener.once) this.removeListener(event, listener.fn as EventEmitter.EventListener<RuntimeEventMap, K>, undefined, true);
      try {
        listener.fn.call(listener.context, args[0]);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
    return true;
  }
}
