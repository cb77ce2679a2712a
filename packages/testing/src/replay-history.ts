/**
 * replayHistory: run the current orchestrator code over a history recorded
 * earlier (saved from production, say) exactly as the runtime replays it
 * after a deploy, and reject with a NonDeterminismError naming the first
 * divergent action. The check to run in CI before shipping changed
 * orchestrator code.
 */
import { InvalidArgumentError, NonDeterminismError, UnknownOrchestratorError, deserialize, isRepriseError } from '@reprise/core';
import type { HistoryEvent, OrchestratorFunction } from '@reprise/core';
import { OrchestrationExecutor, describeAction, describeScheduledEvent, sameAction, toRegistryMap } from '@reprise/core/internal';
import type { Action } from '@reprise/core/internal';
import { isSchedulingEvent, parseRecordedHistory } from './history-codec.js';
import type { RecordedHistory } from './history-codec.js';
import { assertRegistry } from './registry.js';
import type { TestRegistry } from './registry.js';

export interface ReplayHistoryOptions {
  /**
   * The instance id the history belongs to (it seeds `ctx.newGuid()` and
   * default sub-orchestration ids). @default the status's instanceId, else 'replay'
   */
  instanceId?: string;
}

export type ReplayStatus = 'running' | 'completed' | 'failed' | 'continuedAsNew' | 'terminated';

export interface ReplaySummary {
  orchestrator: string;
  instanceId: string;
  /** History events replayed. */
  events: number;
  /** Recorded scheduling events (activities, timers, sub-orchestrations, entity requests) the code reproduced. */
  actionsMatched: number;
  /** Where the history stops: what the instance was when it was recorded. */
  recordedStatus: ReplayStatus;
  /** Where the current code stands after the replay. */
  status: Exclude<ReplayStatus, 'terminated'>;
  /** The current code's output, when it completed. */
  output?: unknown;
  /** The current code's failure, when it failed. */
  failure?: { name: string; message: string };
}

/** A NonDeterminismError from replayHistory also says where in the history (`expected`, `actual` and `sequence` say what). */
export type ReplayDivergence = NonDeterminismError & {
  /** Index in the history of the event the code disagreed with (history length when the code did more). */
  eventIndex: number;
};

export async function replayHistory(registry: TestRegistry, orchestrator: string, history: RecordedHistory, options: ReplayHistoryOptions = {}): Promise<ReplaySummary> {
  assertRegistry(registry, 'replayHistory');
  if (typeof orchestrator !== 'string' || orchestrator.length === 0) throw new InvalidArgumentError('replayHistory needs the orchestrator name as its second argument');
  const fn = toRegistryMap<OrchestratorFunction>(registry.orchestrators as never).get(orchestrator);
  if (!fn) throw new UnknownOrchestratorError(`no orchestrator named '${orchestrator}' in the registry given to replayHistory`);
  const parsed = parseRecordedHistory(history);
  const events = parsed.events;
  // Normally the first event; the runtime can record events that arrived before a delayed start ahead of it, and replays them all.
  const started = events.find((e) => e.EventType === 'ExecutionStarted');
  if (!started || started.EventType !== 'ExecutionStarted') throw new InvalidArgumentError('a history has an ExecutionStarted event; this one has none');
  if (started.Name !== orchestrator) throw new InvalidArgumentError(`the history is of orchestrator '${started.Name}', not '${orchestrator}'`);
  const instanceId = options.instanceId ?? parsed.instanceId ?? 'replay';
  const executor = new OrchestrationExecutor(instanceId, fn, { maxPayloadBytes: Infinity });
  // Fed one event at a time below: patched() must know the markers further on.
  executor.preview(events);

  const diverged = (eventIndex: number, expected: string, actual: string, sequence: number): ReplayDivergence => {
    const error = new NonDeterminismError(
      `Non-deterministic orchestrator '${orchestrator}' (instance '${instanceId}'): history recorded ${expected} but the code now produced ${actual} (history event #${eventIndex} of ${events.length})`,
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
      if (isSchedulingEvent(event)) matched += 1;
      if (executor.isDone) {
        leftovers = [...executor.newActions];
        endedBy = describeOutcome(executor);
      }
      continue;
    }
    // The code has already ended; the history's remaining scheduling events must be actions it created on the way.
    if (!isSchedulingEvent(event)) continue;
    const id = (event as { EventId: number }).EventId;
    const at = leftovers!.findIndex((a) => a.id === id);
    const action = at >= 0 ? leftovers![at] : undefined;
    if (!action || !sameAction(event, action)) throw diverged(index, describeScheduledEvent(event), action ? describeAction(action) : `no action (it had already ${endedBy})`, id);
    leftovers!.splice(at, 1);
    matched += 1;
  }

  const recordedStatus = recordedStatusOf(events);
  // Running and completed episodes record every action the code created; failed and terminated ones need not.
  const unrecorded = leftovers ?? executor.newActions;
  if ((recordedStatus === 'running' || recordedStatus === 'completed') && unrecorded.length > 0) {
    throw diverged(events.length, 'no further action', describeAction(unrecorded[0]), unrecorded[0]!.id);
  }

  const outcome = executor.outcome;
  const summary: ReplaySummary = {
    orchestrator,
    instanceId,
    events: events.length,
    actionsMatched: matched,
    recordedStatus,
    status: outcome.status,
  };
  if (outcome.status === 'completed') summary.output = deserialize(outcome.output);
  if (outcome.status === 'failed') summary.failure = { name: outcome.failure.name, message: outcome.failure.message };
  return summary;
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

function recordedStatusOf(events: HistoryEvent[]): ReplayStatus {
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
