/**
 * The emitter behind `runtime.events`: eventemitter3, with an `emit` that
 * calls every listener even when one throws, reporting the throw instead.
 */
import EventEmitter from 'eventemitter3';
import type { RuntimeEventMap, RuntimeEventName } from './events.js';

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

  /** True when anyone listens to any event. */
  get listening(): boolean {
    // eventemitter3's own count of events with listeners (index.js: `_eventsCount`); eventNames() would allocate.
    return (this as unknown as { _eventsCount: number })._eventsCount > 0;
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
