/**
 * What an entity row stores in `entityState`: the user's state plus the
 * scheduler's own (which critical section holds it, requests that wait).
 */
import type { HistoryEvent, Payload } from '../history.js';

export interface EntitySchedulerState {
  /** The user's state (superjson), absent when the entity does not exist. */
  state?: Payload;
  /** The orchestration holding this entity in a critical section. */
  lockedBy?: string;
  /** Requests that arrived while another orchestration held the lock, in arrival order. */
  queue: HistoryEvent[];
}

export function readSchedulerState(text: string | undefined): EntitySchedulerState {
  if (!text) return { queue: [] };
  return JSON.parse(text) as EntitySchedulerState;
}

export function writeSchedulerState(value: EntitySchedulerState): string | undefined {
  if (value.state === undefined && value.lockedBy === undefined && value.queue.length === 0) return undefined;
  return JSON.stringify(value);
}
