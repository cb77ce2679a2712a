/**
 * The step view (`client.getSteps`): a projection of an execution's history
 * plus the live state of its activity work items, never a second record.
 *
 * Invariants:
 * - One step per scheduling event (TaskScheduled, TimerCreated,
 *   SubOrchestrationInstanceCreated, EntityRequestSent, EventWaitStarted),
 *   keyed by its sequence; a retried call shows one step per attempt.
 * - Event waits take raised events as the engine does: per name, first
 *   wait first, an event nobody waits for kept for the next wait, events
 *   held back while the execution is suspended, and the waits pending at a
 *   cancel request dropped (a Task.any loser still takes its event).
 * - History decides whenever it knows (a completion in history wins over a
 *   work item read a moment earlier); the work items only tell Requested
 *   from Executing and carry live progress.
 * - `previous` and `attempt` are read from the scheduling event (recorded
 *   at scheduling time); histories written before they existed read as `[]`
 *   and 1.
 * - Steps still open when a cancel request arrived (their waits reject) or
 *   when the execution ended are Canceled: nothing waits for them any more.
 *   So are the steps a WaitsChanged event names as abandoned (a Task.any
 *   loser once the code moved on), until one names them resumed: then they
 *   read what happened to them meanwhile.
 * - A sub-orchestration still waited for is Executing here;
 *   `applyChildStatus` makes it Requested while the child has not started.
 * - Payloads are decoded as everywhere in the client: a value that cannot be
 *   decoded shows as a note, never a failed read.
 */
import type { EventRaisedEvent, HistoryEvent, Payload, ProgressRecord, WaitsChangedEvent } from '../history.js';
import type { ActivityState, InstanceRecord } from '../storage/types.js';
import { readPayload } from './render.js';

export type StepKind = 'activity' | 'subOrchestration' | 'timer' | 'event' | 'entity';
export type StepStatus = 'Requested' | 'Executing' | 'Succeeded' | 'Failed' | 'Canceled';

export interface StepProgress {
  percent: number;
  message?: string;
  at: Date;
}

/** One step of an orchestration run, as `client.getSteps` shows it. */
export interface Step {
  /** The task's sequence number in the orchestration. */
  sequence: number;
  kind: StepKind;
  /** Activity / orchestrator / event / entity operation name (a timer: its fire time, ISO-8601). */
  name: string;
  /** The task's key, for a task of a `defineWorkflow` graph (e.g. `EXTRACT`); absent otherwise. */
  key?: string;
  status: StepStatus;
  /** Retries: 1, 2, ... */
  attempt: number;
  scheduledAt: Date;
  startedAt?: Date;
  completedAt?: Date;
  progress?: StepProgress;
  /** Sequences of the steps this one waited for: the results the code consumed since it scheduled its previous step. */
  previous: number[];
  input?: unknown;
  output?: unknown;
  error?: { name: string; message: string };
  /** The child's instance id, for sub-orchestrations. */
  instanceId?: string;
}

type Outcome = { output: Payload } | { details: Payload; reason: string };

export function projectSteps(record: InstanceRecord, history: readonly HistoryEvent[], work: readonly ActivityState[]): Step[] {
  const steps = new Map<number, Step>();
  const entityRequests = new Map<string, Step>();
  let ended = false;
  // Task.any losers and the like: Canceled, but what arrives for them is kept in case the code waits for them again.
  const abandoned = new Set<number>();
  const late = new Map<number, { event: HistoryEvent; outcome: Outcome }>();
  // Named by a WaitsChanged event before their scheduling events (scheduled in the same episode).
  const abandonedAhead = new Set<number>();
  const canceledAhead = new Set<number>();
  const waiters = new Map<string, Step[]>();
  const unclaimed = new Map<string, EventRaisedEvent[]>();
  let suspended: EventRaisedEvent[] | undefined;

  const open = (event: HistoryEvent & { EventId: number; Previous?: number[]; Attempt?: number; Key?: string }, kind: StepKind, name: string, status: StepStatus, input?: Payload): Step => {
    const step: Step = {
      sequence: event.EventId,
      kind,
      name,
      ...(event.Key !== undefined && { key: event.Key }),
      status,
      attempt: event.Attempt ?? 1,
      scheduledAt: new Date(event.Timestamp),
      previous: event.Previous ? [...event.Previous] : [],
      ...(input !== undefined && { input: readPayload(input) }),
    };
    if (status === 'Executing') step.startedAt = step.scheduledAt;
    steps.set(step.sequence, step);
    if (canceledAhead.delete(step.sequence)) cancel(step, event);
    else if (abandonedAhead.delete(step.sequence)) abandon(step, event);
    return step;
  };
  const cancel = (step: Step, event: HistoryEvent) => {
    step.status = 'Canceled';
    step.completedAt = new Date(event.Timestamp);
  };
  const abandon = (step: Step, event: HistoryEvent) => {
    if (step.status !== 'Requested' && step.status !== 'Executing') return;
    cancel(step, event);
    abandoned.add(step.sequence);
  };
  const settle = (step: Step | undefined, event: HistoryEvent, outcome: Outcome) => {
    if (!step) return;
    // A wait given up stays Canceled, whatever arrives for it later (unless the code waits for it again).
    if (step.status === 'Canceled') {
      if (abandoned.has(step.sequence)) late.set(step.sequence, { event, outcome });
      return;
    }
    step.completedAt = new Date(event.Timestamp);
    step.startedAt ??= step.scheduledAt;
    if ('output' in outcome) {
      step.status = 'Succeeded';
      if (outcome.output !== undefined) step.output = readPayload(outcome.output);
    } else {
      step.status = 'Failed';
      step.error = errorOf(outcome.details, outcome.reason);
    }
  };
  const resume = (step: Step | undefined) => {
    if (!step || !abandoned.delete(step.sequence)) return;
    delete step.completedAt;
    step.status = step.kind === 'activity' ? 'Requested' : 'Executing';
    const arrived = late.get(step.sequence);
    late.delete(step.sequence);
    if (arrived) settle(step, arrived.event, arrived.outcome);
  };
  const ran = (step: Step | undefined, run: { StartedAt?: string; Progress?: ProgressRecord }) => {
    if (!step) return;
    if (run.StartedAt !== undefined) step.startedAt = new Date(run.StartedAt);
    if (run.Progress) step.progress = progressOf(run.Progress);
  };
  const raised = (event: EventRaisedEvent) => {
    const step = waiters.get(event.Name)?.shift();
    if (step) settle(step, event, { output: event.Input });
    else queueOf(unclaimed, event.Name).push(event);
  };
  const changed = (event: WaitsChangedEvent) => {
    for (const id of event.Canceled ?? []) {
      const step = steps.get(id);
      if (step) cancel(step, event);
      else canceledAhead.add(id);
    }
    for (const id of event.Abandoned ?? []) {
      const step = steps.get(id);
      if (step) abandon(step, event);
      else abandonedAhead.add(id);
    }
    for (const id of event.Resumed ?? []) resume(steps.get(id));
  };

  for (const event of history) {
    switch (event.EventType) {
      case 'TaskScheduled':
        open(event, 'activity', event.Name, 'Requested', event.Input);
        break;
      case 'SubOrchestrationInstanceCreated':
        open(event, 'subOrchestration', event.Name, 'Executing', event.Input).instanceId = event.InstanceId;
        break;
      case 'TimerCreated':
        open(event, 'timer', event.FireAt, 'Executing');
        break;
      case 'EventWaitStarted': {
        const rejected = canceledAhead.has(event.EventId);
        const step = open(event, 'event', event.Name, 'Executing');
        if (rejected) break;
        const kept = unclaimed.get(event.Name);
        const first = kept?.shift();
        if (kept?.length === 0) unclaimed.delete(event.Name);
        // An event that arrived first is taken at once, when the wait begins.
        if (first) settle(step, event, { output: first.Input });
        else queueOf(waiters, event.Name).push(step);
        break;
      }
      case 'EventRaised':
        if (suspended) suspended.push(event);
        else raised(event);
        break;
      case 'ExecutionSuspended':
        suspended ??= [];
        break;
      case 'ExecutionResumed': {
        const held = suspended ?? [];
        suspended = undefined;
        for (const e of held) raised(e);
        break;
      }
      case 'WaitsChanged':
        changed(event);
        break;
      case 'EntityRequestSent': {
        const awaited = event.Kind === 'call' || event.Kind === 'lock';
        const step = open(event, 'entity', event.Operation ?? event.Kind, awaited ? 'Executing' : 'Succeeded', event.Input);
        if (awaited) entityRequests.set(event.RequestId, step);
        else step.completedAt = step.scheduledAt;
        break;
      }
      case 'TaskCompleted':
        ran(steps.get(event.TaskScheduledId), event);
        settle(steps.get(event.TaskScheduledId), event, { output: event.Result });
        break;
      case 'TaskFailed':
        ran(steps.get(event.TaskScheduledId), event);
        settle(steps.get(event.TaskScheduledId), event, { details: event.Details, reason: event.Reason });
        break;
      case 'SubOrchestrationInstanceCompleted':
        settle(steps.get(event.TaskScheduledId), event, { output: event.Result });
        break;
      case 'SubOrchestrationInstanceFailed':
        settle(steps.get(event.TaskScheduledId), event, { details: event.Details, reason: event.Reason });
        break;
      case 'TimerFired':
        settle(steps.get(event.TimerId), event, { output: undefined });
        break;
      case 'EntityResponse': {
        const step = entityRequests.get(event.RequestId);
        entityRequests.delete(event.RequestId);
        if (event.Reason !== undefined) settle(step, event, { details: event.Details, reason: event.Reason });
        else settle(step, event, { output: step?.name === 'lock' ? undefined : event.Result });
        break;
      }
      case 'ExecutionCancelRequested':
        // Pending waits reject and leave the queue; events raised later go to waits begun later.
        waiters.clear();
        for (const step of steps.values()) {
          if (step.status !== 'Requested' && step.status !== 'Executing') continue;
          cancel(step, event);
        }
        break;
      case 'ExecutionCompleted':
      case 'ExecutionFailed':
      case 'ExecutionTerminated':
        ended = true;
        break;
      default:
        break;
    }
  }

  const live = new Map<number, ActivityState>();
  for (const state of work) if (state.executionId === record.executionId) live.set(state.taskScheduledId, state);
  for (const step of steps.values()) {
    if (step.status !== 'Requested' && step.status !== 'Executing') continue;
    if (ended) {
      step.status = 'Canceled';
      continue;
    }
    if (step.kind !== 'activity') continue;
    const state = live.get(step.sequence);
    if (!state) {
      // No work item and no completion in history: it finished and its result waits in the inbox.
      step.status = 'Executing';
      continue;
    }
    step.status = state.running ? 'Executing' : 'Requested';
    if (state.running && state.startedAt !== undefined) step.startedAt = new Date(state.startedAt);
    if (state.progress) step.progress = { percent: state.progress.percent, ...(state.progress.message !== undefined && { message: state.progress.message }), at: new Date(state.progress.at) };
  }
  return [...steps.values()].sort((a, b) => a.sequence - b.sequence);
}

/** Sub-orchestration steps still waited for: the children whose status `applyChildStatus` reads. */
export function waitingChildren(steps: readonly Step[]): Step[] {
  return steps.filter((s) => s.kind === 'subOrchestration' && s.status === 'Executing' && s.instanceId !== undefined);
}

/** Requested while the child has not started running (Pending: not yet picked up, or queued in its group); Executing once it has. */
export function applyChildStatus(step: Step, child: InstanceRecord | undefined): void {
  if (child !== undefined && child.status !== 'Pending') return;
  step.status = 'Requested';
  delete step.startedAt;
}

function queueOf<T>(queues: Map<string, T[]>, name: string): T[] {
  let queue = queues.get(name);
  if (!queue) queues.set(name, (queue = []));
  return queue;
}

function progressOf(progress: ProgressRecord): StepProgress {
  return { percent: progress.Percent, ...(progress.Message !== undefined && { message: progress.Message }), at: new Date(progress.At) };
}

function errorOf(details: Payload, reason: string): { name: string; message: string } {
  const value = readPayload(details);
  if (typeof value === 'object' && value !== null) {
    const { name, message } = value as { name?: unknown; message?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', message: typeof message === 'string' ? message : reason };
  }
  return { name: 'Error', message: reason };
}
