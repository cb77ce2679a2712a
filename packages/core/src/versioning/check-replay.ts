/**
 * Replay a stored history against orchestrator code without writing
 * anything: the check behind `client.migrate` and `@reprise/testing`'s
 * checkCompatibility / replayHistory. The code must reproduce every
 * recorded action (and patch marker), and, for a history that records a
 * running or completed execution, nothing more: a running episode records
 * every action its code created.
 */
import { NonDeterminismError, isRepriseError } from '../errors.js';
import type { HistoryEvent } from '../history.js';
import { SCHEDULING_EVENT_TYPES } from '../history.js';
import type { OrchestratorFunction } from '../definitions.js';
import { OrchestrationExecutor } from '../engine/executor.js';
import { describeAction, describeScheduledEvent, sameAction } from '../engine/actions.js';
import type { Action } from '../engine/actions.js';

const SCHEDULING = SCHEDULING_EVENT_TYPES;

/** A NonDeterminismError that also says where in the history (`expected`, `actual` and `sequence` say what). */
export type ReplayDivergence = NonDeterminismError & {
  /** Index in the history of the event the code disagreed with (history length when the code did more). */
  eventIndex: number;
};

export interface ReplayRun {
  executor: OrchestrationExecutor;
  /** Recorded scheduling events the code reproduced. */
  matched: number;
}

/** Replays `events`; returns the executor after it, or throws the first divergence as a ReplayDivergence. */
export function replayRecorded(instanceId: string, name: string, fn: OrchestratorFunction, events: readonly HistoryEvent[], maxPayloadBytes = Infinity): ReplayRun {
  const executor = new OrchestrationExecutor(instanceId, fn, { maxPayloadBytes });
  // Fed one event at a time: patched() must know the markers further on.
  executor.preview(events);
  const diverged = (eventIndex: number, expected: string, actual: string, sequence: number): ReplayDivergence => {
    const error = new NonDeterminismError(
      `Non-deterministic orchestrator '${name}' (instance '${instanceId}'): history recorded ${expected} but the code now produced ${actual} (history event #${eventIndex} of ${events.length})`,
      { expected, actual, sequence },
    );
    return Object.assign(error, { eventIndex });
  };
  let matched = 0;
  let leftovers: Action[] | undefined;
  let endedBy = '';
  for (const [index, event] of events.entries()) {
    if (!executor.isDone) {
      executor.apply([event], true);
      const outcome = executor.outcome;
      if (outcome.status === 'failed' && isRepriseError(outcome.error, 'NONDETERMINISM')) {
        const { expected, actual, sequence } = outcome.error;
        throw diverged(index, expected, actual, sequence);
      }
      if (SCHEDULING.has(event.EventType)) matched += 1;
      if (executor.isDone) {
        leftovers = [...executor.newActions];
        endedBy = describeOutcome(executor);
      }
      continue;
    }
    // The code has already ended; the history's remaining scheduling events must be actions it created on the way.
    if (!SCHEDULING.has(event.EventType)) continue;
    const id = (event as { EventId: number }).EventId;
    const at = leftovers!.findIndex((a) => a.id === id);
    const action = at >= 0 ? leftovers![at] : undefined;
    if (!action || !sameAction(event, action)) throw diverged(index, describeScheduledEvent(event), action ? describeAction(action) : `no action (it had already ${endedBy})`, id);
    leftovers!.splice(at, 1);
    matched += 1;
  }
  const recorded = recordedEnd(events);
  // Running and completed episodes record every action the code created; failed and terminated ones need not.
  const unrecorded = leftovers ?? executor.newActions;
  if ((recorded === 'running' || recorded === 'completed') && unrecorded.length > 0) {
    throw diverged(events.length, 'no further action', describeAction(unrecorded[0]), unrecorded[0]!.id);
  }
  return { executor, matched };
}

/** The divergence of replaying `history` with `fn`, or undefined when it replays cleanly. */
export function checkReplay(instanceId: string, fn: OrchestratorFunction, history: readonly HistoryEvent[]): ReplayDivergence | undefined {
  const started = history.find((e) => e.EventType === 'ExecutionStarted');
  const name = started?.EventType === 'ExecutionStarted' ? started.Name : 'unknown';
  try {
    replayRecorded(instanceId, name, fn, history);
    return undefined;
  } catch (error) {
    if (isRepriseError(error, 'NONDETERMINISM')) return error as ReplayDivergence;
    throw error;
  }
}

export type RecordedEnd = 'running' | 'completed' | 'failed' | 'terminated';

export function recordedEnd(events: readonly HistoryEvent[]): RecordedEnd {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    switch (events[i]!.EventType) {
      case 'ExecutionCompleted':
        return 'completed';
      case 'ExecutionFailed':
        return 'failed';
      case 'ExecutionTerminated':
        return 'terminated';
      default:
        break;
    }
  }
  return 'running';
}

function describeOutcome(executor: OrchestrationExecutor): string {
  const outcome = executor.outcome;
  switch (outcome.status) {
    case 'completed':
      return 'completed';
    case 'failed':
      return `failed with ${outcome.failure.name}: ${outcome.failure.message}`;
    case 'continuedAsNew':
      return 'continued as new';
    default:
      return 'stopped';
  }
}
