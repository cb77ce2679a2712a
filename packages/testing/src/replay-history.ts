/**
 * replayHistory: run the current orchestrator code over a history recorded
 * earlier (saved from production, say) exactly as the runtime replays it
 * after a deploy, and reject with a NonDeterminismError naming the first
 * divergent action. The check to run in CI before shipping changed
 * orchestrator code.
 */
import { InvalidArgumentError, UnknownOrchestratorError, deserialize } from '@reprise/core';
import type { NonDeterminismError, OrchestratorFunction } from '@reprise/core';
import { recordedEnd, replayRecorded, toRegistryMap } from '@reprise/core/internal';
import { parseRecordedHistory } from './history-codec.js';
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
  // The same replay loop as client.migrate and checkCompatibility (core's check-replay).
  const { executor, matched } = replayRecorded(instanceId, orchestrator, fn, events);
  const recordedStatus = recordedEnd(events);

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
