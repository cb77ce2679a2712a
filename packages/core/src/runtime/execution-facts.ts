/**
 * What an execution's recorded history says about its ties to others — its
 * parent, and the entity locks it holds — read without running its code.
 * A poison instance is failed from these facts alone: replaying it could be
 * exactly what kills the worker.
 */
import type { HistoryEvent, ParentInstance } from '../history.js';

export interface ExecutionFacts {
  parent: ParentInstance | undefined;
  /** Entities of the granted critical section not yet released. */
  heldLocks: string[];
}

export function executionFacts(events: readonly HistoryEvent[]): ExecutionFacts {
  let parent: ParentInstance | undefined;
  let heldLocks: string[] = [];
  let pending: { requestId: string; lockSet: string[] } | undefined;
  for (const event of events) {
    switch (event.EventType) {
      case 'ExecutionStarted':
        parent = event.ParentInstance;
        heldLocks = [];
        pending = undefined;
        break;
      case 'EntityRequestSent':
        // Histories written before LockSet was recorded name only the first entity of the set.
        if (event.Kind === 'lock') pending = { requestId: event.RequestId, lockSet: event.LockSet ?? [event.EntityId] };
        else if (event.Kind === 'unlock') heldLocks = [];
        break;
      case 'EntityResponse':
        if (pending && event.RequestId === pending.requestId) {
          if (event.Reason === undefined) heldLocks = pending.lockSet;
          pending = undefined;
        }
        break;
      default:
        break;
    }
  }
  return { parent, heldLocks };
}
