/**
 * NondeterminismDetectedError and the text it shows: how the divergence
 * showed, expected vs actual, the shrunk scenario as the schedule it
 * produced, and the recorded history.
 */
import { RepriseError } from '@reprise/core';
import type { HistoryEventView } from '@reprise/core';
import { renderHistory } from '@reprise/core/internal';
import type { Divergence, DivergenceKind, RunTrace } from './simulator.js';
import type { Scenario } from './scenario.js';
import { showAction, showEvent } from './views.js';

const HOW: Record<DivergenceKind, string> = {
  replay: 'Replaying the recorded history in a fresh executor (as the runtime does after a restart or a deploy) made the code do something else',
  'crash-replay': 'After a simulated crash (the cached executor dropped), the engine replayed the stored history and the code disagreed with it',
  'lost-commit': 'An episode whose commit was lost ran again after a replay and produced something else',
  rerun: 'Running the same scenario a second time (same inputs, results, events and timers) took a different path',
};

export interface NondeterminismDetails {
  orchestrator: string;
  seed: number;
  path: string;
  numRuns: number;
  numShrinks: number;
  divergence: Divergence;
  scenario: Scenario;
  traces: RunTrace[];
  /** The run (1 or 2) the divergence showed in. */
  run: number;
}

/** checkDeterminism's finding; its own code, since no replay failed (core's NonDeterminismError is NONDETERMINISM). */
export class NondeterminismDetectedError extends RepriseError<'NONDETERMINISM_DETECTED'> {
  readonly orchestrator: string;
  /** fast-check seed and path: pass both back to checkDeterminism to rerun exactly this counterexample. */
  readonly seed: number;
  readonly path: string;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly kind: DivergenceKind;
  readonly instanceId: string;
  /** Episode (1-based) of the instance where the executions parted. */
  readonly episode: number;
  /** What the first execution did (or the history records). */
  readonly expected: string;
  /** What the other execution did. */
  readonly actual: string;
  /** The shrunk counterexample as generated. */
  readonly scenario: Scenario;
  /** The schedule the scenario produced, one line per episode. */
  readonly schedule: string[];
  /** The history of the instance that diverged, as the first run recorded it (getStatus form). */
  readonly history: HistoryEventView[];

  constructor(details: NondeterminismDetails) {
    const { divergence: d, traces } = details;
    const shown = traces[details.run - 1] ?? traces[0]!;
    const schedule = scheduleLines(shown);
    const instance = shown.instances.find((t) => t.instanceId === d.instanceId) ?? shown.instances[0];
    const generation = instance?.generations[Math.min(d.generation, (instance?.generations.length ?? 1) - 1)];
    const history = generation ? renderHistory(generation.history, true) : [];
    super('NONDETERMINISM_DETECTED', formatMessage(details, schedule, history));
    this.name = 'NondeterminismDetectedError';
    this.orchestrator = details.orchestrator;
    this.seed = details.seed;
    this.path = details.path;
    this.numRuns = details.numRuns;
    this.numShrinks = details.numShrinks;
    this.kind = d.kind;
    this.instanceId = d.instanceId;
    this.episode = d.episode + 1;
    this.expected = d.expected;
    this.actual = d.actual;
    this.scenario = details.scenario;
    this.schedule = schedule;
    this.history = history;
  }
}

function scheduleLines(trace: RunTrace): string[] {
  const lines: string[] = [];
  const several = trace.instances.length > 1;
  for (const instance of trace.instances) {
    if (several) lines.push(`instance '${instance.instanceId}' (${instance.name}${instance.depth > 0 ? `, sub-orchestration depth ${instance.depth}` : ''}):`);
    for (const [g, generation] of instance.generations.entries()) {
      if (instance.generations.length > 1) lines.push(`  generation ${g + 1}:`);
      for (const [e, episode] of generation.episodes.entries()) {
        const crash = episode.crash === 'drop' ? ' [crash: cache dropped, replayed from storage]' : episode.crash === 'lost' ? ' [crash: commit lost, replayed and ran again]' : '';
        const did = episode.actions.map((a) => showAction(a)).join(', ');
        const end = episode.outcome.status === 'running' ? '' : ` => ${episode.outcome.status}`;
        lines.push(`  ${e + 1}. @${new Date(episode.time).toISOString()}${crash} ${episode.notes.join('; ') || episode.incoming.map(showEvent).join('; ')} -> ${did || 'no action'}${end}`);
      }
    }
    lines.push(`  (${instance.end})`);
  }
  return lines;
}

function formatMessage(details: NondeterminismDetails, schedule: string[], history: HistoryEventView[]): string {
  const d = details.divergence;
  const which = details.run === 1 ? 'the first run' : 'the second run';
  const second = d.kind === 'rerun' && details.traces[1] ? ['', 'The second run, episode by episode:', ...scheduleLines(details.traces[1]).map((l) => `  ${l}`)] : [];
  const where = d.episode < 0 ? `instance '${d.instanceId}', replaying its whole history` : `instance '${d.instanceId}', episode ${d.episode + 1}${d.generation > 0 ? ` of generation ${d.generation + 1}` : ''}`;
  return [
    `checkDeterminism: nondeterminism detected in orchestrator '${details.orchestrator}' after ${details.numRuns} run(s) (counterexample shrunk ${details.numShrinks} time(s)).`,
    `Reproduce with checkDeterminism(registry, { orchestrator: '${details.orchestrator}', seed: ${details.seed}, path: '${details.path}' }).`,
    '',
    `${HOW[d.kind]} (${where}).`,
    `  first ${d.subject === 'action' ? 'differing action' : d.subject === 'outcome' ? 'difference (the outcome)' : 'difference (what the code took in)'}:`,
    `    expected: ${d.expected}`,
    `    actual:   ${d.actual}`,
    '',
    `Scenario (shrunk counterexample), episode by episode in ${which}:`,
    ...schedule.map((l) => `  ${l}`),
    ...second,
    '',
    `History (as ${which} recorded it):`,
    ...history.map((event, i) => `  #${i} ${formatEvent(event)}`),
    '',
    `Generated values: ${truncate(safeJson(details.scenario), 1500)}`,
    '',
    'Orchestrator code must be deterministic: no Date.now()/new Date(), Math.random(), I/O, or state that outlives one execution;',
    'use ctx.currentUtcDateTime, ctx.newGuid() and activities instead.',
  ].join('\n');
}

function formatEvent(event: HistoryEventView): string {
  const { EventType, Timestamp: _timestamp, ...rest } = event;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}: ${truncate(safeJson(v), 100)}`)
    .join(', ');
  return fields ? `${EventType} { ${fields} }` : EventType;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
  } catch {
    return String(value);
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
