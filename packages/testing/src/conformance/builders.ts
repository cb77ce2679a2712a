/**
 * Small builders for the values the conformance suite stores: instance rows,
 * history events, messages, activities, log entries and commits. Every test
 * builds its data through these, so a field added to the contract is added
 * here once.
 */
import { randomBytes } from 'node:crypto';
import type {
  HistoryEvent,
  InstanceRecord,
  LockedInstance,
  LogEntry,
  NewActivity,
  NewMessage,
  OrchestrationCommit,
  RuntimeStatus,
} from '@reprise/core';

/** A fresh task hub name; every test uses its own, so adapters need no cleanup between tests. */
export function randomHub(): string {
  return `t-${randomBytes(6).toString('hex')}`;
}

/** A fixed epoch (2024-01-01T00:00:00Z) for tests that choose createdAt / updatedAt themselves. */
export const T0 = Date.UTC(2024, 0, 1);

const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

export function orchestrationRecord(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  const now = Date.now();
  return {
    instanceId,
    kind: 'orchestration',
    name: 'TestOrchestrator',
    executionId: `exec-${randomBytes(4).toString('hex')}`,
    status: 'Pending',
    createdAt: now,
    updatedAt: now,
    historyLength: 0,
    ...overrides,
  };
}

/** An entity row; `instanceId` follows the Durable Functions form `@name@key`. */
export function entityRecord(name: string, key: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return orchestrationRecord(`@${name}@${key}`, { kind: 'entity', name, status: 'Running', executionId: `@${name}@${key}`, ...overrides });
}

const withPayload = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };

/** History events, named after their Durable Task Framework EventType. */
export const ev = {
  started: (name = 'TestOrchestrator', input?: string, executionId = 'exec'): HistoryEvent => ({
    EventType: 'ExecutionStarted',
    Timestamp: iso(),
    Name: name,
    ExecutionId: executionId,
    ...withPayload('Input', input),
  }),
  raised: (name: string, input?: string): HistoryEvent => ({ EventType: 'EventRaised', Timestamp: iso(), Name: name, ...withPayload('Input', input) }),
  scheduled: (eventId: number, name = 'TestActivity', input?: string): HistoryEvent => ({
    EventType: 'TaskScheduled',
    Timestamp: iso(),
    EventId: eventId,
    Name: name,
    ...withPayload('Input', input),
  }),
  taskCompleted: (taskScheduledId: number, result?: string): HistoryEvent => ({
    EventType: 'TaskCompleted',
    Timestamp: iso(),
    TaskScheduledId: taskScheduledId,
    ...withPayload('Result', result),
  }),
  timerCreated: (eventId: number, fireAt: number): HistoryEvent => ({ EventType: 'TimerCreated', Timestamp: iso(), EventId: eventId, FireAt: iso(fireAt) }),
  timerFired: (timerId: number, fireAt: number): HistoryEvent => ({ EventType: 'TimerFired', Timestamp: iso(), TimerId: timerId, FireAt: iso(fireAt) }),
  completed: (result?: string): HistoryEvent => ({
    EventType: 'ExecutionCompleted',
    Timestamp: iso(),
    OrchestrationStatus: 'Completed',
    ...withPayload('Result', result),
  }),
  continueAsNew: (input?: string): HistoryEvent => ({ EventType: 'ContinueAsNew', Timestamp: iso(), ...withPayload('Input', input) }),
  entityOperation: (operation: string, input?: string): HistoryEvent => ({
    EventType: 'EntityOperation',
    Timestamp: iso(),
    RequestId: randomBytes(6).toString('hex'),
    Operation: operation,
    ...withPayload('Input', input),
  }),
};

export function message(instanceId: string, event: HistoryEvent, extra: Pick<NewMessage, 'visibleAt' | 'createIfMissing'> = {}): NewMessage {
  return { instanceId, event, ...extra };
}

/** `n` EventRaised messages to one instance, named `${prefix}0`, `${prefix}1`, ... */
export function raisedMessages(instanceId: string, prefix: string, n: number): NewMessage[] {
  return Array.from({ length: n }, (_, i) => message(instanceId, ev.raised(`${prefix}${i}`)));
}

export function activity(instanceId: string, executionId: string, taskScheduledId: number, name = 'TestActivity', input?: string): NewActivity {
  return { instanceId, executionId, taskScheduledId, name, ...withPayload('input', input) };
}

export function logEntry(text: string, level: LogEntry['level'] = 'info', time: number = Date.now()): LogEntry {
  return { time, level, message: text };
}

export interface CommitChanges {
  status?: RuntimeStatus;
  /** Other row fields to change (output, customStatus, entityState...). */
  instance?: Partial<InstanceRecord>;
  append?: HistoryEvent[];
  replace?: HistoryEvent[];
  /** Message ids to consume; default: every message of the lock. */
  consume?: string[];
  messages?: NewMessage[];
  activities?: NewActivity[];
  logs?: LogEntry[];
  /** Commit with this token instead of the lock's. */
  lockToken?: string;
}

/**
 * The commit of one episode over `locked`: the row is the locked row with
 * `changes` applied, `historyLength` and `updatedAt` kept consistent.
 */
export function commitFor(locked: LockedInstance, changes: CommitChanges = {}): OrchestrationCommit {
  const history: OrchestrationCommit['history'] = changes.replace !== undefined ? { replace: changes.replace } : { append: changes.append ?? [] };
  const historyLength = 'replace' in history ? history.replace.length : locked.instance.historyLength + history.append.length;
  const instance: InstanceRecord = {
    ...locked.instance,
    status: changes.status ?? 'Running',
    updatedAt: Math.max(Date.now(), locked.instance.updatedAt),
    ...changes.instance,
    historyLength,
  };
  return {
    instanceId: locked.instance.instanceId,
    lockToken: changes.lockToken ?? locked.lockToken,
    instance,
    history,
    consumedMessageIds: changes.consume ?? locked.messages.map((m) => m.id),
    messages: changes.messages ?? [],
    activities: changes.activities ?? [],
    logs: changes.logs ?? [],
  };
}

/** A string of exactly `length` UTF-16 units mixing ASCII, accents, CJK, emoji and JSON metacharacters. */
export function bigPayload(length: number): string {
  const chunk = 'Ω-ü-日本-🚀-"q"-\\-{}[]-\n-';
  let text = '';
  while (text.length < length) text += chunk;
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8.
  text = text.slice(0, length);
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? `${text.slice(0, -1)}x` : text;
}

/** Unicode that trips naive encoders: astral plane, ZWJ sequences, combining marks, RTL, U+2028/9, quotes, control chars. */
export const UNICODE_PAYLOAD =
  '{"text":"héllo wörld — 日本語 — 한국어 — עברית — 🚀👩‍👩‍👧‍👦🏳️‍🌈 — e\u0301 — \u2028\u2029 — \'single\' \\"double\\" \\\\ — \t\r\n","n":1}';
