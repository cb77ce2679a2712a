/**
 * The determinism check's world: drives the runtime's own replay engine
 * (OrchestrationExecutor) episode by episode, the way the runtime does, but
 * with every outside decision taken from a generated scenario: which
 * activity results, events and timers arrive together and in what order,
 * what activities return or whether they fail, what events carry, when the
 * cached executor is lost (the instance replays from storage) and when an
 * episode's commit is lost (it runs again after a replay).
 *
 * Everything is in memory and synchronous apart from the user's activity and
 * entity functions, so a run takes microseconds to milliseconds.
 */
import { UnknownActivityError, UnknownOrchestratorError, deserialize, isRepriseError, serialize } from '@reprise/core';
import type {
  ActivityFunction,
  EntityRegistration,
  FailureDetails,
  HistoryEvent,
  OrchestrationContext,
  OrchestratorFunction,
  Payload,
} from '@reprise/core';
import { OrchestrationExecutor, episodeHistory, executeEntityOperation, executionStartedEvent, toFailureDetails, toRegistryMap } from '@reprise/core/internal';
import type { Action, ExecutionOutcome } from '@reprise/core/internal';
import type { TestRegistry } from '../registry.js';
import { entropySource, mixSeed, withEntropy } from './entropy.js';
import type { EntropySource } from './entropy.js';
import type { Crash, ScenarioCursor, ScenarioShape } from './scenario.js';
import { sameActionView, sameOutcome, showAction, showEvent, showOutcome, viewAction, viewOutcome } from './views.js';
import type { ActionView, OutcomeView } from './views.js';

const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export type DivergenceKind = 'replay' | 'crash-replay' | 'lost-commit' | 'rerun';

/** A difference between two executions that must agree: the check's finding. */
export class Divergence extends Error {
  constructor(
    readonly kind: DivergenceKind,
    readonly instanceId: string,
    readonly generation: number,
    /** Episode number (0-based) in that generation. */
    readonly episode: number,
    readonly expected: string,
    readonly actual: string,
    /** What differs: an action (the usual case), the outcome, or the events the code took in. */
    readonly subject: 'action' | 'outcome' | 'event' = 'action',
  ) {
    super(`${kind}: instance '${instanceId}' episode ${episode + 1}: expected ${expected}, actual ${actual}`);
    this.name = 'Divergence';
  }
}

export interface EpisodeRecord {
  time: number;
  incoming: HistoryEvent[];
  actions: ActionView[];
  outcome: OutcomeView;
  crash: Crash;
  /** What the scenario delivered, readable. */
  notes: string[];
}

export interface GenerationTrace {
  executionId: string;
  input: Payload;
  episodes: EpisodeRecord[];
  /** The history as the runtime would have stored it. */
  history: HistoryEvent[];
}

export interface InstanceTrace {
  instanceId: string;
  name: string;
  depth: number;
  generations: GenerationTrace[];
  end: string;
}

export interface RunTrace {
  instances: InstanceTrace[];
}

export interface SimulationLimits {
  maxEpisodes: number;
  maxGenerations: number;
  maxDepth: number;
  maxEarlyEvents: number;
  startTime: number;
}

export interface ResolvedRegistry {
  orchestrators: Map<string, OrchestratorFunction>;
  activities: Map<string, ActivityFunction>;
  entities: Map<string, EntityRegistration>;
}

export function resolveRegistry(registry: TestRegistry): ResolvedRegistry {
  return {
    orchestrators: toRegistryMap<OrchestratorFunction>(registry.orchestrators as never),
    activities: toRegistryMap<ActivityFunction>(registry.activities as never),
    entities: new Map(Object.entries(registry.entities ?? {}).map(([name, e]) => [name.toLowerCase(), e])),
  };
}

/** State of one run (an orchestration and its sub-orchestrations under one scenario). */
export class RunContext {
  now: number;
  executors = 0;
  readonly trace: RunTrace = { instances: [] };
  /** Results of real activity / entity calls, by call key: run 1 records them, run 2 reuses them. */
  readonly recorded: Map<string, HistoryEvent>;
  readonly knownEvents: string[];
  readonly entityState = new Map<string, Payload>();
  #entityRequests = 0;

  constructor(
    readonly run: number,
    readonly cursor: ScenarioCursor,
    readonly registry: ResolvedRegistry,
    readonly shape: ScenarioShape,
    readonly limits: SimulationLimits,
    recorded: Map<string, HistoryEvent> | undefined,
  ) {
    this.now = limits.startTime;
    this.recorded = recorded ?? new Map();
    this.knownEvents = Object.keys(shape.events);
  }

  /** An executor with its own entropy stream (Math.random, Date.now) and a record of the events it waits for. */
  newLive(instanceId: string, fn: OrchestratorFunction, purpose: number): Live {
    const seed = mixSeed(this.cursor.scenario.entropy, this.run, purpose, this.executors++);
    return new Live(instanceId, fn, entropySource(seed, () => this.now), (name) => {
      if (!this.knownEvents.includes(name)) this.knownEvents.push(name);
    });
  }

  noteEntityRequest(): number {
    return this.#entityRequests++;
  }
}

export class Live {
  readonly executor: OrchestrationExecutor;
  /** waitForExternalEvent calls by name, in first-call order. */
  readonly waits = new Map<string, number>();

  constructor(
    instanceId: string,
    fn: OrchestratorFunction,
    private readonly source: EntropySource,
    onWait: (name: string) => void,
  ) {
    const waitForExternalEvent = (ctx: OrchestrationContext) => (name: string) => {
      if (typeof name === 'string') {
        this.waits.set(name, (this.waits.get(name) ?? 0) + 1);
        onWait(name);
      }
      return ctx.waitForExternalEvent(name);
    };
    // The code sees the real context; only waitForExternalEvent is watched, to know which events it waits for.
    const watched: OrchestratorFunction = (ctx) => {
      const wait = waitForExternalEvent(ctx);
      const view = new Proxy(ctx, { get: (target, key) => (key === 'waitForExternalEvent' ? wait : Reflect.get(target, key, target)) });
      return fn(view);
    };
    this.executor = new OrchestrationExecutor(instanceId, watched, { maxPayloadBytes: MAX_PAYLOAD_BYTES });
  }

  apply(events: readonly HistoryEvent[], replaying: boolean): void {
    withEntropy(this.source, () => this.executor.apply(events, replaying));
  }

  /** Apply as a live episode and take what it produced. */
  step(events: readonly HistoryEvent[]): { actions: Action[]; outcome: ExecutionOutcome } {
    this.apply(events, false);
    return { actions: this.executor.takeNewActions(), outcome: this.executor.outcome };
  }
}

type InstanceEnd = { status: 'completed'; output: Payload } | { status: 'failed'; failure: FailureDetails } | { status: 'incomplete'; why: string };

/** Simulate one orchestration instance (all its generations) under the run's scenario. */
export async function simulateInstance(
  rc: RunContext,
  name: string,
  input: Payload,
  instanceId: string,
  depth: number,
  parent?: { InstanceId: string; ExecutionId: string; TaskScheduledId: number },
): Promise<InstanceEnd> {
  const fn = rc.registry.orchestrators.get(name);
  if (!fn) {
    return { status: 'failed', failure: toFailureDetails(new UnknownOrchestratorError(`no orchestrator named '${name}' is registered`)) };
  }
  const trace: InstanceTrace = { instanceId, name, depth, generations: [], end: '' };
  rc.trace.instances.push(trace);
  let carry: HistoryEvent[] = [];
  for (let generation = 0; generation < rc.limits.maxGenerations; generation += 1) {
    const gen = new Generation(rc, trace, fn, name, instanceId, depth, generation, input, carry, parent);
    const end = await gen.run();
    if (end.status === 'continuedAsNew') {
      input = end.input;
      carry = end.carryOver;
      continue;
    }
    trace.end = end.status === 'incomplete' ? end.why : end.status;
    return end;
  }
  trace.end = `continued as new ${rc.limits.maxGenerations} times (maxGenerations)`;
  return { status: 'incomplete', why: trace.end };
}

type Candidate =
  | { kind: 'activity'; action: Extract<Action, { kind: 'activity' }> }
  | { kind: 'sub'; action: Extract<Action, { kind: 'subOrchestration' }> }
  | { kind: 'entity'; action: Extract<Action, { kind: 'entityRequest' }> }
  | { kind: 'timer'; id: number; fireAt: number }
  | { kind: 'event'; name: string; awaited: boolean };

type GenerationEnd = InstanceEnd | { status: 'continuedAsNew'; input: Payload; carryOver: HistoryEvent[] };

class Generation {
  readonly record: GenerationTrace;
  #live: Live | undefined;
  #activities = new Map<number, Extract<Action, { kind: 'activity' }>>();
  #subs = new Map<number, Extract<Action, { kind: 'subOrchestration' }>>();
  #entity = new Map<number, Extract<Action, { kind: 'entityRequest' }>>();
  #timers: Array<{ id: number; fireAt: number }> = [];
  #delivered = new Map<string, number>();
  #early = 0;
  #signals: Promise<unknown>[] = [];
  readonly #executionId: string;

  constructor(
    private readonly rc: RunContext,
    trace: InstanceTrace,
    private readonly fn: OrchestratorFunction,
    private readonly name: string,
    private readonly instanceId: string,
    private readonly depth: number,
    private readonly generation: number,
    private readonly input: Payload,
    private readonly carry: HistoryEvent[],
    private readonly parent: { InstanceId: string; ExecutionId: string; TaskScheduledId: number } | undefined,
  ) {
    this.#executionId = `${instanceId}#${generation}`;
    this.record = { executionId: this.#executionId, input, episodes: [], history: [] };
    trace.generations.push(this.record);
  }

  get #episode(): number {
    return this.record.episodes.length;
  }

  async run(): Promise<GenerationEnd> {
    const started = executionStartedEvent({ name: this.name, executionId: this.#executionId, input: this.input, parent: this.parent, timestamp: '' });
    const notes = [this.generation === 0 ? `start '${this.name}'` : `continue as new (generation ${this.generation + 1})`];
    for (const event of this.carry) this.#count(event);
    let end = this.#episodeRun([started, ...this.carry], 'none', notes);
    await Promise.all(this.#signals.splice(0));
    while (!end) {
      await Promise.all(this.#signals.splice(0));
      if (this.#episode >= this.rc.limits.maxEpisodes) return { status: 'incomplete', why: `stopped after ${this.rc.limits.maxEpisodes} episodes (maxEpisodes)` };
      const step = this.rc.cursor.nextStep();
      const chosen: Candidate[] = [];
      const first = this.#candidates(chosen);
      if (!first.some((c) => !(c.kind === 'event' && !c.awaited))) return { status: 'incomplete', why: 'waiting for nothing the check can deliver' };
      const nextTimer = this.#earliestTimer([]);
      if (step.delayMs > 0) this.rc.now = Math.max(this.rc.now, Math.min(this.rc.now + step.delayMs, nextTimer ? nextTimer.fireAt - 1 : Infinity));
      for (const pick of step.picks) {
        const candidates = chosen.length === 0 ? first : this.#candidates(chosen);
        if (candidates.length === 0) break;
        chosen.push(candidates[pick % candidates.length]!);
      }
      const incoming: HistoryEvent[] = [];
      const stepNotes: string[] = [];
      for (const candidate of chosen) {
        const delivered = await this.#deliver(candidate);
        incoming.push(delivered.event);
        stepNotes.push(delivered.note);
      }
      end = this.#episodeRun(incoming, step.crash, stepNotes);
    }
    return end;
  }

  /** Deliverable things now, excluding those already chosen for this episode. */
  #candidates(chosen: Candidate[]): Candidate[] {
    const taken = (c: Candidate) =>
      chosen.some((x) => x.kind === c.kind && (x.kind === 'activity' || x.kind === 'sub' || x.kind === 'entity' ? x.action.id === (c as { action: Action }).action.id : x.kind === 'timer' && x.id === (c as { id: number }).id));
    const out: Candidate[] = [];
    for (const action of this.#activities.values()) if (!taken({ kind: 'activity', action })) out.push({ kind: 'activity', action });
    for (const action of this.#subs.values()) if (!taken({ kind: 'sub', action })) out.push({ kind: 'sub', action });
    for (const action of this.#entity.values()) if (!taken({ kind: 'entity', action })) out.push({ kind: 'entity', action });
    const chosenEvents = (name: string) => chosen.filter((c) => c.kind === 'event' && c.name === name).length;
    const awaited = new Set<string>();
    for (const [name, waits] of this.#live?.waits ?? []) {
      if (waits - (this.#delivered.get(name) ?? 0) - chosenEvents(name) > 0) {
        awaited.add(name);
        out.push({ kind: 'event', name, awaited: true });
      }
    }
    const timer = this.#earliestTimer(chosen);
    if (timer) out.push({ kind: 'timer', id: timer.id, fireAt: timer.fireAt });
    const earlyChosen = chosen.filter((c) => c.kind === 'event' && !c.awaited).length;
    if (this.#early + earlyChosen < this.rc.limits.maxEarlyEvents) {
      for (const name of this.rc.knownEvents) if (!awaited.has(name)) out.push({ kind: 'event', name, awaited: false });
    }
    return out;
  }

  #earliestTimer(chosen: Candidate[]): { id: number; fireAt: number } | undefined {
    let best: { id: number; fireAt: number } | undefined;
    for (const t of this.#timers) {
      if (chosen.some((c) => c.kind === 'timer' && c.id === t.id)) continue;
      if (!best || t.fireAt < best.fireAt || (t.fireAt === best.fireAt && t.id < best.id)) best = t;
    }
    return best;
  }

  async #deliver(candidate: Candidate): Promise<{ event: HistoryEvent; note: string }> {
    const rc = this.rc;
    switch (candidate.kind) {
      case 'activity': {
        this.#activities.delete(candidate.action.id);
        return this.#activityResult(candidate.action);
      }
      case 'sub': {
        const { action } = candidate;
        this.#subs.delete(action.id);
        const base = { Timestamp: '', TaskScheduledId: action.id };
        if (this.depth + 1 > rc.limits.maxDepth) {
          const failure = { name: 'Error', message: `sub-orchestrations nested deeper than ${rc.limits.maxDepth} (maxDepth) are not simulated` };
          return { event: { ...base, EventType: 'SubOrchestrationInstanceFailed', Reason: failure.message, Details: serialize(failure, 'failure') }, note: `fail ${showAction(action)}: too deep` };
        }
        const end = await simulateInstance(rc, action.name, action.input, action.instanceId, this.depth + 1, {
          InstanceId: this.instanceId,
          ExecutionId: this.#executionId,
          TaskScheduledId: action.id,
        });
        if (end.status === 'completed') {
          return { event: { ...base, EventType: 'SubOrchestrationInstanceCompleted', ...(end.output !== undefined && { Result: end.output }) }, note: `complete ${showAction(action)} (simulated)` };
        }
        const failure = end.status === 'failed' ? end.failure : { name: 'Error', message: `sub-orchestration did not finish: ${end.why}` };
        return { event: { ...base, EventType: 'SubOrchestrationInstanceFailed', Reason: failure.message, Details: serialize(failure, 'failure') }, note: `fail ${showAction(action)} (${failure.message})` };
      }
      case 'entity': {
        this.#entity.delete(candidate.action.id);
        return this.#entityResponse(candidate.action);
      }
      case 'timer': {
        this.#timers = this.#timers.filter((t) => t.id !== candidate.id);
        if (candidate.fireAt > rc.now) rc.now = candidate.fireAt;
        return { event: { EventType: 'TimerFired', Timestamp: '', TimerId: candidate.id, FireAt: new Date(candidate.fireAt).toISOString() }, note: `fire timer #${candidate.id}` };
      }
      case 'event': {
        const value = rc.cursor.nextPayload(candidate.name);
        const input = serialize(value, `data of event '${candidate.name}'`, MAX_PAYLOAD_BYTES);
        const event: HistoryEvent = { EventType: 'EventRaised', Timestamp: '', Name: candidate.name, ...(input !== undefined && { Input: input }) };
        this.#count(event);
        if (!candidate.awaited) this.#early += 1;
        return { event, note: `raise event '${candidate.name}'${candidate.awaited ? '' : ' (before the code waits for it)'}` };
      }
    }
  }

  #count(event: HistoryEvent): void {
    if (event.EventType === 'EventRaised') this.#delivered.set(event.Name, (this.#delivered.get(event.Name) ?? 0) + 1);
  }

  async #activityResult(action: Extract<Action, { kind: 'activity' }>): Promise<{ event: HistoryEvent; note: string }> {
    const rc = this.rc;
    const base = { Timestamp: '', TaskScheduledId: action.id };
    const failed = (failure: FailureDetails): HistoryEvent => ({ ...base, EventType: 'TaskFailed', Reason: failure.message, Details: serialize(failure, 'failure details') });
    const completed = (result: Payload): HistoryEvent => ({ ...base, EventType: 'TaskCompleted', ...(result !== undefined && { Result: result }) });
    const choice = rc.cursor.nextActivity();
    if (choice !== 'ok') {
      return { event: failed({ name: 'Error', message: `${choice.fail} (failure injected by checkDeterminism)` }), note: `fail ${showAction(action)} (injected: ${choice.fail})` };
    }
    if (Object.hasOwn(rc.shape.activityResults, action.name)) {
      const value = rc.cursor.nextResult(action.name);
      return { event: completed(serialize(value, `generated result of activity '${action.name}'`, MAX_PAYLOAD_BYTES)), note: `complete ${showAction(action)} with a generated result` };
    }
    const key = `activity|${this.#executionId}|${action.id}|${action.name}|${action.input ?? ''}`;
    const recorded = rc.recorded.get(key);
    if (recorded) return { event: { ...recorded }, note: `complete ${showAction(action)} with the result recorded in the first run` };
    let event: HistoryEvent;
    const fn = rc.registry.activities.get(action.name);
    if (!fn) {
      event = failed(toFailureDetails(new UnknownActivityError(`no activity named '${action.name}' is registered`)));
    } else {
      try {
        const result = await fn(deserialize(action.input), { instanceId: this.instanceId, name: action.name, attempt: 1, signal: new AbortController().signal, reportProgress: async () => {}, log: SILENT_LOG });
        event = completed(serialize(result, `result of activity '${action.name}'`, MAX_PAYLOAD_BYTES));
      } catch (error) {
        event = failed(toFailureDetails(error));
      }
    }
    rc.recorded.set(key, event);
    return { event, note: `${event.EventType === 'TaskCompleted' ? 'complete' : 'fail'} ${showAction(action)} by running the activity` };
  }

  async #entityResponse(action: Extract<Action, { kind: 'entityRequest' }>): Promise<{ event: HistoryEvent; note: string }> {
    const rc = this.rc;
    if (action.request === 'lock') {
      return { event: { EventType: 'EntityResponse', Timestamp: '', RequestId: action.requestId }, note: `grant the lock on ${action.lockSet?.join(', ') ?? action.entityId}` };
    }
    const key = `entity|${action.requestId}|${this.#executionId}`;
    const recorded = rc.recorded.get(key);
    if (recorded) return { event: { ...recorded }, note: `answer ${showAction(action)} as in the first run` };
    const result = await runEntityOperation(rc, action.entityId, action.operation ?? '', action.input);
    const event: HistoryEvent =
      'failure' in result
        ? { EventType: 'EntityResponse', Timestamp: '', RequestId: action.requestId, Reason: result.failure.message, Details: serialize(result.failure, 'failure details') }
        : { EventType: 'EntityResponse', Timestamp: '', RequestId: action.requestId, ...(result.value !== undefined && { Result: result.value }) };
    rc.recorded.set(key, event);
    return { event, note: `answer ${showAction(action)} by running the entity` };
  }

  /** Lose the cached executor: a fresh one replays the stored history, as the runtime does after a crash. */
  #revive(kind: 'crash-replay' | 'lost-commit'): Live {
    const live = this.rc.newLive(this.instanceId, this.fn, 1);
    const history = this.record.history;
    if (history.length === 0) return live;
    live.apply(history, true);
    const { outcome } = live.executor;
    if (outcome.status === 'failed' && isRepriseError(outcome.error, 'NONDETERMINISM')) {
      throw new Divergence(kind, this.instanceId, this.generation, this.#episode, outcome.error.expected, outcome.error.actual);
    }
    const extra = live.executor.newActions[0];
    if (extra) throw new Divergence(kind, this.instanceId, this.generation, this.#episode, 'no further action (the history records none)', showAction(viewAction(extra)));
    if (live.executor.isDone) throw new Divergence(kind, this.instanceId, this.generation, this.#episode, showOutcome({ status: 'running' }), showOutcome(viewOutcome(outcome)), 'outcome');
    return live;
  }

  /** Run one episode; returns how the generation ended, or undefined while it runs on. */
  #episodeRun(incoming: HistoryEvent[], crash: Crash, notes: string[]): GenerationEnd | undefined {
    const rc = this.rc;
    const timestamp = new Date(rc.now).toISOString();
    const events = incoming.map((e) => ({ ...e, Timestamp: timestamp }) as HistoryEvent);
    if (crash === 'drop' || !this.#live) this.#live = this.#live === undefined && this.record.history.length === 0 ? rc.newLive(this.instanceId, this.fn, 0) : this.#revive('crash-replay');
    let result = this.#live.step(events);
    if (crash === 'lost') {
      const first = result;
      this.#live = this.#revive('lost-commit');
      result = this.#live.step(events);
      const a = first.actions.map(viewAction);
      const b = result.actions.map(viewAction);
      for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
        if (!sameActionView(a[i], b[i])) throw new Divergence('lost-commit', this.instanceId, this.generation, this.#episode, showAction(a[i]), showAction(b[i]));
      }
      const oa = viewOutcome(first.outcome);
      const ob = viewOutcome(result.outcome);
      if (!sameOutcome(oa, ob)) throw new Divergence('lost-commit', this.instanceId, this.generation, this.#episode, showOutcome(oa), showOutcome(ob), 'outcome');
    }
    const { actions, outcome } = result;
    const view = viewOutcome(outcome);
    this.record.episodes.push({ time: rc.now, incoming: events, actions: actions.map(viewAction), outcome: view, crash, notes });
    const history = this.record.history;
    history.push(...episodeHistory(events, actions, outcome, timestamp));
    for (const action of actions) this.#track(action);
    switch (outcome.status) {
      case 'running':
        return undefined;
      case 'completed':
        return { status: 'completed', output: outcome.output };
      case 'failed':
        return { status: 'failed', failure: outcome.failure };
      case 'continuedAsNew':
        return { status: 'continuedAsNew', input: outcome.input, carryOver: outcome.carryOver };
    }
  }

  #track(action: Action): void {
    switch (action.kind) {
      case 'activity':
        this.#activities.set(action.id, action);
        break;
      case 'timer':
        this.#timers.push({ id: action.id, fireAt: action.fireAt });
        break;
      case 'subOrchestration':
        this.#subs.set(action.id, action);
        break;
      case 'eventWait':
        // Events are the simulator's own candidates, chosen by name.
        break;
      case 'entityRequest':
        if (action.request === 'call' || action.request === 'lock') this.#entity.set(action.id, action);
        else if (action.request === 'signal') this.#signals.push(this.#signal(action));
        break;
    }
  }

  async #signal(action: Extract<Action, { kind: 'entityRequest' }>): Promise<void> {
    // Signals change entity state the orchestration may read later; their responses are not recorded, so only the first run applies them.
    if (this.rc.run !== 1) return;
    await runEntityOperation(this.rc, action.entityId, action.operation ?? '', action.input);
  }
}

/** Run one entity operation on the run's in-memory entity state, with the runtime's own operation code. */
async function runEntityOperation(rc: RunContext, entityInstanceId: string, operation: string, input: Payload): Promise<{ value: Payload } | { failure: FailureDetails }> {
  const at = entityInstanceId.indexOf('@', 1);
  const id = { name: entityInstanceId.slice(1, at), key: entityInstanceId.slice(at + 1) };
  const outcome = await executeEntityOperation({
    registration: rc.registry.entities.get(id.name),
    id,
    instanceId: entityInstanceId,
    state: rc.entityState.get(entityInstanceId),
    operation,
    input,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    signalEntity: () => {},
    startNewOrchestration: (name, _input, instanceId) => instanceId ?? `${name}-started-by-${entityInstanceId}-${rc.noteEntityRequest()}`,
  });
  if (!outcome.ok) return { failure: toFailureDetails(outcome.error) };
  if (outcome.state === undefined) rc.entityState.delete(entityInstanceId);
  else rc.entityState.set(entityInstanceId, outcome.state);
  return { value: outcome.result };
}

/** The simulator stores nothing an activity reports: its histories are what it checks. */
const SILENT_LOG = Object.assign(() => {}, { debug() {}, info() {}, warn() {}, error() {} });
