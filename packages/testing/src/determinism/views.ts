/**
 * Comparable, printable views of what an orchestrator did: its actions (all
 * fields, not only kind and name as the engine's replay check does) and its
 * outcome after an episode.
 */
import type { HistoryEvent, Payload } from '@reprise/core';
import { describeAction } from '@reprise/core/internal';
import type { Action, ExecutionOutcome } from '@reprise/core/internal';

export type ActionView = Action;

export function viewAction(action: Action): ActionView {
  // A plain copy with a fixed key order, so JSON text compares it.
  switch (action.kind) {
    case 'activity':
      return { kind: 'activity', id: action.id, name: action.name, input: action.input };
    case 'timer':
      return { kind: 'timer', id: action.id, fireAt: action.fireAt };
    case 'subOrchestration':
      return { kind: 'subOrchestration', id: action.id, name: action.name, instanceId: action.instanceId, input: action.input };
    case 'eventWait':
      return { kind: 'eventWait', id: action.id, name: action.name };
    case 'entityRequest':
      return {
        kind: 'entityRequest',
        id: action.id,
        request: action.request,
        entityId: action.entityId,
        ...(action.operation !== undefined && { operation: action.operation }),
        input: action.input,
        requestId: action.requestId,
        ...(action.lockSet !== undefined && { lockSet: [...action.lockSet] }),
        ...(action.lockOwner !== undefined && { lockOwner: action.lockOwner }),
      };
    case 'patch':
      return { kind: 'patch', id: action.id, patchId: action.patchId };
  }
}

export function sameActionView(a: ActionView | undefined, b: ActionView | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function showPayload(payload: Payload, max = 80): string {
  if (payload === undefined) return 'undefined';
  let text: string;
  try {
    const parsed = JSON.parse(payload) as { json?: unknown; meta?: unknown };
    text = JSON.stringify(parsed.json) ?? 'undefined';
    if (parsed.meta !== undefined) text += ' (superjson)';
  } catch {
    text = payload;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** describeAction plus what the engine does not compare: inputs and timer times. */
export function showAction(action: ActionView | undefined): string {
  if (!action) return 'no action';
  const base = describeAction(action);
  switch (action.kind) {
    case 'activity':
    case 'subOrchestration':
      return action.input === undefined ? base : `${base} with input ${showPayload(action.input)}`;
    case 'timer':
      return `${base} firing at ${new Date(action.fireAt).toISOString()}`;
    case 'eventWait':
      return base;
    case 'entityRequest':
      return action.input === undefined ? base : `${base} with input ${showPayload(action.input)}`;
    case 'patch':
      return base;
  }
}

export interface OutcomeView {
  status: ExecutionOutcome['status'];
  output?: Payload;
  failure?: string;
  input?: Payload;
}

export function viewOutcome(outcome: ExecutionOutcome): OutcomeView {
  switch (outcome.status) {
    case 'running':
      return { status: 'running' };
    case 'completed':
      return { status: 'completed', output: outcome.output };
    case 'failed':
      return { status: 'failed', failure: `${outcome.failure.name}: ${outcome.failure.message}` };
    case 'continuedAsNew':
      return { status: 'continuedAsNew', input: outcome.input };
  }
}

export function sameOutcome(a: OutcomeView, b: OutcomeView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function showOutcome(outcome: OutcomeView): string {
  switch (outcome.status) {
    case 'running':
      return 'still running (waiting)';
    case 'completed':
      return `completed with output ${showPayload(outcome.output)}`;
    case 'failed':
      return `failed with ${outcome.failure}`;
    case 'continuedAsNew':
      return `continueAsNew with input ${showPayload(outcome.input)}`;
  }
}

/** One incoming event, briefly. */
export function showEvent(event: HistoryEvent): string {
  switch (event.EventType) {
    case 'ExecutionStarted':
      return `ExecutionStarted('${event.Name}', input ${showPayload(event.Input)})`;
    case 'TaskCompleted':
      return `TaskCompleted #${event.TaskScheduledId} result ${showPayload(event.Result)}`;
    case 'TaskFailed':
      return `TaskFailed #${event.TaskScheduledId} (${event.Reason})`;
    case 'SubOrchestrationInstanceCompleted':
      return `SubOrchestrationInstanceCompleted #${event.TaskScheduledId} result ${showPayload(event.Result)}`;
    case 'SubOrchestrationInstanceFailed':
      return `SubOrchestrationInstanceFailed #${event.TaskScheduledId} (${event.Reason})`;
    case 'TimerFired':
      return `TimerFired #${event.TimerId} (due ${event.FireAt})`;
    case 'EventRaised':
      return `EventRaised('${event.Name}', ${showPayload(event.Input)})`;
    case 'EntityResponse':
      return `EntityResponse ${event.RequestId}${event.Reason !== undefined ? ` (failed: ${event.Reason})` : event.Result !== undefined ? ` result ${showPayload(event.Result)}` : ''}`;
    default:
      return event.EventType;
  }
}

export function sameEvents(a: readonly HistoryEvent[], b: readonly HistoryEvent[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
