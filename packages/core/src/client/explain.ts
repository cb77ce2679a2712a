/**
 * `client.explain`: why an instance is where it is. It reads only what the
 * store holds (row, history, inbox, work items with their leases, queue
 * place, entity locks) and the registry of runtimes, and, when this process
 * has the orchestrator registered, replays its code over the history
 * without effects to learn which events it waits for (event waits are not
 * recorded in history).
 *
 * Invariants:
 * - Read-only: nothing is written, no lease is taken.
 * - Hints are plain sentences about facts read now; a hint is only given
 *   when the facts behind it hold (a queued activity nobody serves, a lease
 *   that ran out, an overdue timer...).
 */
import type { Clock } from '../clock.js';
import type { OrchestratorFunction } from '../definitions.js';
import { parseEntityInstanceId } from '../entities/entity-id.js';
import type { EntityId } from '../entities/entity-id.js';
import { readSchedulerState } from '../entities/entity-state.js';
import { OrchestrationExecutor } from '../engine/executor.js';
import type { EntityRequestSentEvent, HistoryEvent } from '../history.js';
import { isTerminal } from '../status.js';
import type { RuntimeStatus } from '../status.js';
import type { ActivityState, InstanceRecord, PendingMessage, RuntimeEntry, Storage } from '../storage/types.js';
import { readPayload } from './render.js';
import { projectSteps } from './steps.js';
import type { Step, StepProgress } from './steps.js';

/** One thing an instance waits for. */
export type WaitingFor =
  | { kind: 'activity'; name: string; sequence: number; since: Date; attempt: number; state: 'queued' | 'running'; leaseExpiresAt?: Date; progress?: StepProgress }
  | { kind: 'timer'; sequence: number; fireAt: Date }
  /** `bufferedEvents`: names of events received but not awaited. */
  | { kind: 'event'; name: string; since: Date; bufferedEvents: string[] }
  | { kind: 'subOrchestration'; instanceId: string; status: RuntimeStatus }
  | { kind: 'entity'; entity: EntityId; operation: string }
  /** `heldBy`: the instance holding one of the entities, when another one does. */
  | { kind: 'lock'; entities: EntityId[]; heldBy?: string }
  | { kind: 'queue'; group: string; position: number }
  | { kind: 'suspended'; reason?: string }
  | { kind: 'startAt'; at: Date };

export interface Explanation {
  status: RuntimeStatus;
  waitingFor: WaitingFor[];
  /** Plain sentences, e.g. "no running runtime has activity 'Charge' registered". */
  hints: string[];
}

export interface ExplainDeps {
  storage: Storage;
  taskHub: string;
  clock: Clock;
  maxPayloadBytes: number;
  /** The orchestrator function, when this process has it registered (to read event waits). */
  orchestratorOf(name: string): OrchestratorFunction | undefined;
}

/** A timer this late (past its fire time, not fired) is worth a hint; below it, it is just being processed. */
const OVERDUE_MS = 5_000;

export async function explainInstance(deps: ExplainDeps, record: InstanceRecord): Promise<Explanation> {
  const { storage, taskHub } = deps;
  const status = record.status;
  if (isTerminal(status)) return { status, waitingFor: [], hints: [`the instance is ${status}: it waits for nothing`] };
  const id = record.instanceId;
  // Work items before history, as getSteps reads them: a completion landing in between shows in history.
  const work = await storage.getActivityStates(taskHub, id);
  const [history, inbox, runtimes, queue] = await Promise.all([
    storage.getHistory(taskHub, id),
    storage.getMessages(taskHub, id),
    storage.listRuntimes(taskHub),
    record.status === 'Pending' && record.concurrency !== undefined ? storage.getQueuePosition(taskHub, id) : Promise.resolve(undefined),
  ]);
  const now = deps.clock.now();
  const facts = new Facts(now, runtimes);
  const waitingFor: WaitingFor[] = [];
  const hints: string[] = [];

  if (status === 'Suspended') {
    const reason = suspendReason(history);
    waitingFor.push(reason === undefined ? { kind: 'suspended' } : { kind: 'suspended', reason });
    hints.push('the instance is suspended: resume it to continue');
  }
  if (queue) {
    waitingFor.push({ kind: 'queue', group: queue.group, position: queue.position });
    hints.push(`queued in concurrency group '${queue.group}' at position ${queue.position}: it starts when a running member of the group ends`);
  }
  const started = history.some((e) => e.EventType === 'ExecutionStarted');
  if (!started && !queue) {
    const start = inbox.find((m) => m.event.EventType === 'ExecutionStarted');
    if (start?.visibleAt !== undefined) {
      waitingFor.push({ kind: 'startAt', at: new Date(start.visibleAt) });
      hints.push(`the instance starts at ${new Date(start.visibleAt).toISOString()} (in ${duration(start.visibleAt - now)})`);
    }
  }

  const steps = projectSteps(record, history, work);
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of history) if ('EventId' in event) scheduled.set(event.EventId, event);
  const items = new Map<number, ActivityState>();
  for (const state of work) if (state.executionId === record.executionId) items.set(state.taskScheduledId, state);
  for (const step of steps) {
    if (step.status !== 'Requested' && step.status !== 'Executing') continue;
    const waits = await waitOf(deps, id, step, items.get(step.sequence), scheduled.get(step.sequence), hints, facts);
    if (waits) waitingFor.push(waits);
  }

  const events = eventWaits(deps, record, history);
  if (events) {
    for (const wait of events.waiting) {
      waitingFor.push({ kind: 'event', name: wait.name, since: new Date(wait.since), bufferedEvents: events.buffered });
      const near = events.buffered.filter((name) => name !== wait.name && name.toLowerCase() === wait.name.toLowerCase());
      const arriving = inbox.filter((m) => m.event.EventType === 'EventRaised' && m.event.Name === wait.name);
      if (near.length > 0) hints.push(`waiting for event '${wait.name}', but an event named ${list(near)} arrived: event names are case-sensitive`);
      else if (arriving.length === 0) hints.push(`waiting for event '${wait.name}' since ${duration(now - wait.since)} ago: raise it to continue`);
    }
    const unawaited = events.buffered.filter((name) => !events.waiting.some((w) => w.name.toLowerCase() === name.toLowerCase()));
    if (unawaited.length > 0) hints.push(`event ${list([...new Set(unawaited)])} arrived but the orchestration has not waited for it`);
  } else if (started) {
    hints.push(`orchestrator '${record.name}' is not registered in this process, so the events it waits for cannot be read`);
  }

  // Messages that are visible but not processed: only a runtime serving the orchestrator takes them.
  const due = inbox.filter((m) => m.visibleAt === undefined);
  const overdue = inbox.filter((m) => m.event.EventType === 'TimerFired' && m.visibleAt === undefined);
  if (due.length > 0 && !facts.serves('orchestrators', record.name)) {
    hints.push(`${due.length} message${due.length === 1 ? '' : 's'} (${[...new Set(due.map(describeMessage))].join(', ')}) wait${due.length === 1 ? 's' : ''} in the inbox: ${facts.nobody('orchestrator', record.name)}`);
  }
  for (const wait of waitingFor) {
    if (wait.kind !== 'timer' || wait.fireAt.getTime() > now - OVERDUE_MS) continue;
    if (overdue.length > 0 || !facts.serves('orchestrators', record.name)) hints.push(`timer ${wait.sequence} was due ${duration(now - wait.fireAt.getTime())} ago and has not fired yet`);
  }
  return { status, waitingFor, hints };
}

async function waitOf(deps: ExplainDeps, self: string, step: Step, item: ActivityState | undefined, event: HistoryEvent | undefined, hints: string[], facts: Facts): Promise<WaitingFor | undefined> {
  const { storage, taskHub } = deps;
  switch (step.kind) {
    case 'activity': {
      // No work item and no completion in history: its result waits in the inbox (the orchestrator's turn).
      if (!item) return undefined;
      const state = item.running ? 'running' : 'queued';
      if (!item.running && item.leaseExpiresAt !== undefined) {
        hints.push(`the lease of the worker running '${step.name}' expired ${duration(facts.now - item.leaseExpiresAt)} ago and nobody took it over`);
      }
      if (!item.running && !facts.serves('activities', step.name)) hints.push(facts.nobody('activity', step.name));
      return {
        kind: 'activity',
        name: step.name,
        sequence: step.sequence,
        since: step.scheduledAt,
        attempt: step.attempt,
        state,
        ...(item.leaseExpiresAt !== undefined && { leaseExpiresAt: new Date(item.leaseExpiresAt) }),
        ...(step.progress && { progress: step.progress }),
      };
    }
    case 'timer':
      return { kind: 'timer', sequence: step.sequence, fireAt: new Date(step.name) };
    case 'subOrchestration': {
      const child = step.instanceId === undefined ? undefined : await storage.getInstance(taskHub, step.instanceId);
      if (!child || step.instanceId === undefined) return undefined;
      if (child.status === 'Suspended') hints.push(`sub-orchestration '${child.instanceId}' is suspended`);
      if (child.status === 'Pending' && child.concurrency) hints.push(`sub-orchestration '${child.instanceId}' waits for a slot in group '${child.concurrency.group}'`);
      return { kind: 'subOrchestration', instanceId: step.instanceId, status: child.status };
    }
    case 'entity': {
      if (event?.EventType !== 'EntityRequestSent') return undefined;
      return entityWait(deps, event, self, hints, facts);
    }
    // Event waits are read by replaying the code (eventWaits), not from steps.
    case 'event':
      return undefined;
  }
}

async function entityWait(deps: ExplainDeps, event: EntityRequestSentEvent, self: string, hints: string[], facts: Facts): Promise<WaitingFor | undefined> {
  const entity = parseEntityInstanceId(event.EntityId);
  if (!entity) return undefined;
  if (event.Kind === 'call') {
    if (!facts.serves('entities', entity.name)) hints.push(facts.nobody('entity', entity.name));
    return { kind: 'entity', entity, operation: event.Operation ?? '' };
  }
  if (event.Kind !== 'lock') return undefined;
  const ids = event.LockSet ?? [event.EntityId];
  const entities = ids.map(parseEntityInstanceId).filter((e): e is EntityId => e !== undefined);
  const rows = await Promise.all(ids.map((id) => deps.storage.getInstance(deps.taskHub, id)));
  const heldBy = rows.map((row) => readSchedulerState(row?.entityState).lockedBy).find((owner) => owner !== undefined && owner !== self);
  if (heldBy !== undefined) hints.push(`an entity of the lock set is locked by instance '${heldBy}'`);
  return heldBy === undefined ? { kind: 'lock', entities } : { kind: 'lock', entities, heldBy };
}

/** The events the code waits for (with when each wait began) and the unawaited ones, by replaying it without effects. */
function eventWaits(deps: ExplainDeps, record: InstanceRecord, history: readonly HistoryEvent[]): { waiting: Array<{ name: string; since: number }>; buffered: string[] } | undefined {
  const fn = deps.orchestratorOf(record.name);
  if (!fn) return undefined;
  const executor = new OrchestrationExecutor(record.instanceId, fn, { maxPayloadBytes: deps.maxPayloadBytes });
  const since = new Map<string, number>();
  for (const event of history) {
    executor.apply([event], true);
    // A wait begins in the episode whose event resumed the code; every event of an episode carries its time.
    const { waiting } = executor.eventWaits;
    for (const name of since.keys()) if (!waiting.includes(name)) since.delete(name);
    for (const name of waiting) if (!since.has(name)) since.set(name, Date.parse(event.Timestamp));
    if (executor.isDone) return { waiting: [], buffered: [] };
  }
  return { waiting: [...since].map(([name, at]) => ({ name, since: at })), buffered: executor.eventWaits.buffered };
}

function suspendReason(history: readonly HistoryEvent[]): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    if (event.EventType !== 'ExecutionSuspended') continue;
    const reason = event.Reason === undefined ? undefined : readPayload(event.Reason);
    return reason === undefined || reason === null ? undefined : typeof reason === 'string' ? reason : JSON.stringify(reason);
  }
  return undefined;
}

type NameKind = 'orchestrators' | 'activities' | 'entities';

/** The registry read once: who runs now, who ran before. */
class Facts {
  readonly live: RuntimeEntry[];
  constructor(
    readonly now: number,
    readonly runtimes: RuntimeEntry[],
  ) {
    this.live = runtimes.filter((r) => r.stoppedAt === undefined && r.expiresAt > now);
  }

  serves(kind: NameKind, name: string): boolean {
    return this.live.some((r) => r[kind].includes(name));
  }

  /** "no running runtime has activity 'X' registered", and who had it before, if anyone. */
  nobody(what: 'orchestrator' | 'activity' | 'entity', name: string): string {
    const kind: NameKind = what === 'orchestrator' ? 'orchestrators' : what === 'activity' ? 'activities' : 'entities';
    const sentence = `no running runtime has ${what} '${name}' registered`;
    const gone = this.runtimes.filter((r) => r[kind].includes(name));
    if (gone.length === 0) return this.live.length === 0 ? `${sentence} (no runtime is running on this task hub)` : sentence;
    const ended = (r: RuntimeEntry) => r.stoppedAt ?? r.expiresAt;
    const last = gone.reduce((a, b) => (ended(b) > ended(a) ? b : a));
    const how = last.stoppedAt !== undefined ? `stopped ${duration(this.now - last.stoppedAt)} ago` : `stopped sending heartbeats ${duration(this.now - last.heartbeatAt)} ago`;
    const who = last.host === undefined ? `'${last.runtimeId}'` : `'${last.runtimeId}' on ${last.host}`;
    return gone.length === 1 ? `${sentence}: the only runtime that had it (${who}) ${how}` : `${sentence}: the ${gone.length} runtimes that had it are gone, the last (${who}) ${how}`;
  }
}

function describeMessage(message: PendingMessage): string {
  const event = message.event;
  return event.EventType === 'EventRaised' ? `event '${event.Name}'` : event.EventType;
}

function list(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** "40 s", "3 min", "2 h": how people read an age. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
