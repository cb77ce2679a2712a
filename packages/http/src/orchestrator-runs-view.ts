/**
 * The orchestrator-runs document's shapes: a run (`id`, `_orchid`, `_name`,
 * …, `orchrunsteps`), its steps, its statuses, and its logs as
 * newline-delimited JSON. Pure mapping from core's status, steps and logs.
 *
 * Invariants:
 * - `_createdat` / `_updatedat` are epoch-ms strings (as the document's
 *   list and get examples write them).
 * - Step ids, `orchstepid` and `_compid` are pure functions of the run id,
 *   orchestrator id, step position and step name: stable across calls.
 * - Nothing here throws on a stored value: payloads are shown through core's
 *   JSON-safe view, and a Failed run's result is its error message (no stack).
 */
import { orchestratorIdOf } from '@reprise/core';
import type { LogEntry, OrchestrationStatus, OrchestratorDescription, RuntimeStatus, Step, StepStatus } from '@reprise/core';
import { payloadView } from './render.js';
import { toJson } from './reply.js';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'REQUEST_CANCEL', 'CANCELED', 'TERMINATED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The runtime statuses each filterable run status stands for (REQUEST_CANCEL is a view of a live run, not a stored status). */
export const RUNTIME_STATUSES_OF: Readonly<Record<Exclude<RunStatus, 'REQUEST_CANCEL'>, readonly RuntimeStatus[]>> = {
  QUEUED: ['Pending'],
  RUNNING: ['Running', 'Suspended', 'ContinuedAsNew'],
  COMPLETED: ['Completed'],
  FAILED: ['Failed'],
  CANCELED: ['Canceled'],
  TERMINATED: ['Terminated'],
};

/** The tag a run created here carries: the creator's principal id (`_createdby`). */
export const CREATED_BY_TAG = 'orchrun.createdBy';

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

export function isEnded(status: RuntimeStatus): boolean {
  return TERMINAL.has(status);
}

export function runStatusOf(status: RuntimeStatus, cancelRequested: boolean): RunStatus {
  switch (status) {
    case 'Completed':
      return 'COMPLETED';
    case 'Failed':
      return 'FAILED';
    case 'Canceled':
      return 'CANCELED';
    case 'Terminated':
      return 'TERMINATED';
    case 'Pending':
      return cancelRequested ? 'REQUEST_CANCEL' : 'QUEUED';
    case 'Running':
    case 'Suspended':
    case 'ContinuedAsNew':
      return cancelRequested ? 'REQUEST_CANCEL' : 'RUNNING';
  }
}

const STEP_STATUS: Readonly<Record<StepStatus, RunStatus>> = {
  Requested: 'QUEUED',
  Executing: 'RUNNING',
  Succeeded: 'COMPLETED',
  Failed: 'FAILED',
  Canceled: 'CANCELED',
};

export interface RunFacts {
  status: OrchestrationStatus;
  steps: readonly Step[];
  /** The registered orchestrator of the run's name, if it still is. */
  orchestrator: OrchestratorDescription | undefined;
  cancelRequested: boolean;
}

export function runView(facts: RunFacts): Record<string, unknown> {
  const { status, steps, orchestrator } = facts;
  const orchid = orchestrator?.id ?? orchestratorIdOf(status.name);
  return {
    id: status.instanceId,
    _orchid: orchid,
    _name: status.name,
    _description: orchestrator?.description ?? '',
    _namespaces: [status.namespace],
    _usertype: orchestrator?.userType ?? '',
    _createdby: status.tags?.[CREATED_BY_TAG] ?? '',
    _createdat: String(status.createdTime.getTime()),
    _updatedat: String(status.lastUpdatedTime.getTime()),
    _status: runStatusOf(status.runtimeStatus, facts.cancelRequested),
    _result: resultText(status),
    orchrunsteps: steps.map((step, index) => stepView(status.instanceId, orchid, step, index + 1)),
  };
}

function stepView(runId: string, orchid: string, step: Step, sequenceNo: number): Record<string, unknown> {
  const params = jsonText(step.input, '{}');
  return {
    id: `${runId}:${step.sequence}`,
    _name: step.name,
    orchstepid: orchestratorIdOf(`${orchid}#${sequenceNo}`),
    _compid: orchestratorIdOf(`${step.kind}:${step.name}`),
    _orchrunid: runId,
    _actualparams: params,
    _sequenceno: sequenceNo,
    _runparams: params,
    _status: STEP_STATUS[step.status],
    _statusmsg: step.error?.message ?? step.progress?.message ?? '',
  };
}

/** The run's output as text: '' for none, a string as is, a Failed run's error message, anything else as JSON. */
function resultText(status: OrchestrationStatus): string {
  const output = status.output;
  if (output === undefined || output === null) return '';
  if (status.runtimeStatus === 'Failed' && typeof output === 'object' && typeof (output as { message?: unknown }).message === 'string') return (output as { message: string }).message;
  return jsonText(output, '');
}

function jsonText(value: unknown, none: string): string {
  if (value === undefined) return none;
  if (typeof value === 'string') return value;
  return toJson(payloadView(value));
}

/**
 * The run's logs as newline-delimited JSON, every line ending in '\n'; once
 * the run has ended, a last line with `"end": true` at its last update.
 */
export function logText(runId: string, logs: readonly LogEntry[], status: OrchestrationStatus): string {
  const lines = logs.map((entry) => toJson({ orchRunId: runId, level: entry.level, message: entry.message, timestamp: new Date(entry.time).toISOString() }));
  if (isEnded(status.runtimeStatus)) {
    const message = `Orch run has ended with status ${runStatusOf(status.runtimeStatus, false)}`;
    lines.push(toJson({ end: true, orchRunId: runId, level: 'info', message, timestamp: status.lastUpdatedTime.toISOString() }));
  }
  return lines.map((line) => `${line}\n`).join('');
}
