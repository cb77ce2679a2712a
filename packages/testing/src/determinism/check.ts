/**
 * checkDeterminism: fuzz one orchestrator for nondeterminism with fast-check.
 *
 * Each generated scenario runs twice from scratch; each run is replayed in
 * fresh executors; crash points inside the runs drop the cached executor or
 * lose a commit. Any disagreement between executions that must agree rejects
 * with a NondeterminismDetectedError showing the shrunk counterexample.
 */
import fc from 'fast-check';
import { InvalidArgumentError, UnknownOrchestratorError, serialize } from '@reprise/core';
import type { HistoryEvent } from '@reprise/core';
import { assertRegistry } from '../registry.js';
import type { TestRegistry } from '../registry.js';
import { NondeterminismDetectedError } from './report.js';
import { ScenarioCursor, scenarioArbitrary } from './scenario.js';
import type { Scenario, ScenarioShape } from './scenario.js';
import { Divergence, RunContext, resolveRegistry, simulateInstance } from './simulator.js';
import type { ResolvedRegistry, RunTrace, SimulationLimits } from './simulator.js';
import { compareRuns, verifyReplay } from './verify.js';

export interface CheckDeterminismOptions {
  /** The orchestrator to check, by its registered name. */
  orchestrator: string;
  /** Its input: a value, or a fast-check arbitrary to generate one per run. */
  input?: unknown;
  /** Scenarios to try. @default 100 */
  numRuns?: number;
  /** fast-check seed; a failure reports the one it used. @default random */
  seed?: number;
  /** fast-check path, with `seed`, to rerun one reported counterexample. */
  path?: string;
  /**
   * Generated results in place of the real activity functions, by activity
   * name (fast-check arbitraries). Other activities run for real.
   */
  activityResults?: Record<string, fc.Arbitrary<unknown>>;
  /** Inject activity failures. @default true */
  activityFailures?: boolean;
  /**
   * Payloads of external events by event name (fast-check arbitraries). Events
   * named here may also arrive before the code waits for them; events the code
   * waits for are raised either way (with small generated values when not named).
   */
  events?: Record<string, fc.Arbitrary<unknown>>;
  /** Instance id of the checked orchestration. @default 'determinism-check' */
  instanceId?: string;
  /** Episodes per execution before a run stops (eternal orchestrations). @default 40 */
  maxEpisodes?: number;
  /** continueAsNew generations followed per run. @default 3 */
  maxGenerations?: number;
  /** Virtual time the runs start at. @default 2024-01-01T00:00:00Z */
  startTime?: Date | number;
}

export interface CheckDeterminismResult {
  orchestrator: string;
  numRuns: number;
  seed: number;
  /** How the first execution of each scenario ended (completed, failed, or why it stopped). */
  outcomes: Record<string, number>;
  /** Episodes run across all first executions. */
  episodes: number;
}

/** Thrown inside the property so fast-check shrinks on it; carries the traces for the report. */
class Found extends Error {
  constructor(
    readonly divergence: Divergence,
    readonly traces: RunTrace[],
    /** 1 or 2: the run in which it showed. */
    readonly run: number,
  ) {
    super(divergence.message);
  }
}

const DEFAULT_START = Date.UTC(2024, 0, 1);

export async function checkDeterminism(registry: TestRegistry, options: CheckDeterminismOptions): Promise<CheckDeterminismResult> {
  assertRegistry(registry, 'checkDeterminism');
  if (!options || typeof options.orchestrator !== 'string') throw new InvalidArgumentError("checkDeterminism needs { orchestrator: 'Name' } as its second argument");
  const resolved = resolveRegistry(registry);
  const name = options.orchestrator;
  if (!resolved.orchestrators.has(name)) throw new UnknownOrchestratorError(`no orchestrator named '${name}' in the registry given to checkDeterminism`);
  const numRuns = options.numRuns ?? 100;
  if (!Number.isInteger(numRuns) || numRuns < 1) throw new InvalidArgumentError(`numRuns must be a positive integer, got ${options.numRuns}`);

  if (options.path !== undefined && options.seed === undefined) throw new InvalidArgumentError('path needs the seed it was reported with');
  const input = isArbitrary(options.input) ? options.input : fc.constant(options.input);
  if (!isArbitrary(options.input)) serialize(options.input, `input of orchestrator '${name}'`);
  const shape: ScenarioShape = {
    input,
    activityResults: { ...options.activityResults },
    events: { ...options.events },
    failures: options.activityFailures !== false,
    maxSteps: 40,
  };
  for (const [key, arb] of [...Object.entries(shape.activityResults), ...Object.entries(shape.events)]) {
    if (!isArbitrary(arb)) throw new InvalidArgumentError(`'${key}' must be a fast-check arbitrary (fc.integer(), fc.constant(x), ...)`);
  }
  const startTime = options.startTime === undefined ? DEFAULT_START : options.startTime instanceof Date ? options.startTime.getTime() : options.startTime;
  const limits: SimulationLimits = {
    maxEpisodes: options.maxEpisodes ?? 40,
    maxGenerations: options.maxGenerations ?? 3,
    maxDepth: 3,
    maxEarlyEvents: 2,
    startTime,
  };
  const instanceId = options.instanceId ?? 'determinism-check';

  const outcomes: Record<string, number> = {};
  let episodes = 0;
  const property = fc.asyncProperty(scenarioArbitrary(shape), async (scenario) => {
    const result = await checkScenario(resolved, shape, limits, name, instanceId, scenario);
    if (result.found) throw result.found;
    const root = result.traces[0]!.instances[0];
    if (root) {
      outcomes[root.end] = (outcomes[root.end] ?? 0) + 1;
      for (const g of root.generations) episodes += g.episodes.length;
    }
  });
  const parameters: fc.Parameters<[Scenario]> = { numRuns };
  if (options.seed !== undefined) parameters.seed = options.seed;
  if (options.path !== undefined) parameters.path = options.path;
  const details = await fc.check(property, parameters);

  if (!details.failed) return { orchestrator: name, numRuns: details.numRuns, seed: details.seed, outcomes, episodes };
  const error = details.errorInstance;
  if (error instanceof Found && details.counterexample) {
    throw new NondeterminismDetectedError({
      orchestrator: name,
      seed: details.seed,
      path: details.counterexamplePath ?? '',
      numRuns: details.numRuns,
      numShrinks: details.numShrinks,
      divergence: error.divergence,
      scenario: details.counterexample[0],
      traces: error.traces,
      run: error.run,
    });
  }
  if (error instanceof Error) {
    error.message = `checkDeterminism('${name}') could not run a scenario (seed ${details.seed}, path '${details.counterexamplePath}'): ${error.message}`;
    throw error;
  }
  throw new Error(`checkDeterminism('${name}') stopped: ${details.interrupted ? 'interrupted' : String(error)} (seed ${details.seed})`);
}

async function checkScenario(
  registry: ResolvedRegistry,
  shape: ScenarioShape,
  limits: SimulationLimits,
  name: string,
  instanceId: string,
  scenario: Scenario,
): Promise<{ found?: Found; traces: RunTrace[] }> {
  const input = serialize(scenario.input, `input of orchestrator '${name}'`);
  const recorded = new Map<string, HistoryEvent>();
  const traces: RunTrace[] = [];
  const run = async (index: number): Promise<Divergence | undefined> => {
    const rc = new RunContext(index, new ScenarioCursor(scenario, shape), registry, shape, limits, recorded);
    traces.push(rc.trace);
    try {
      await simulateInstance(rc, name, input, instanceId, 0);
    } catch (error) {
      if (error instanceof Divergence) return error;
      throw error;
    }
    return verifyReplay(rc);
  };
  const first = await run(1);
  if (first) return { found: new Found(first, traces, 1), traces };
  const second = await run(2);
  if (second) return { found: new Found(second, traces, 2), traces };
  const differ = compareRuns(traces[0]!, traces[1]!);
  if (differ) return { found: new Found(differ, traces, 1), traces };
  return { traces };
}

function isArbitrary(value: unknown): value is fc.Arbitrary<unknown> {
  if (value instanceof fc.Arbitrary) return true;
  // An arbitrary from another copy of fast-check.
  const v = value as { generate?: unknown; shrink?: unknown; canShrinkWithoutContext?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.generate === 'function' && typeof v.shrink === 'function' && typeof v.canShrinkWithoutContext === 'function';
}
