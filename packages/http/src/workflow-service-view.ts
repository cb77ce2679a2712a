/**
 * Workflows and their tasks as the workflow service document shows them.
 *
 * - A workflow is an instance whose namespace is its `project` and whose
 *   orchestrator is named `<project>.<name>` (the document's `fullname`);
 *   any other instance is not a workflow and is never shown here.
 * - Times are UTC with microseconds and an explicit offset
 *   (`2021-03-04T12:27:11.245000+00:00`, the relaunch example's form; the
 *   other examples leave the zone out, see the README's choices).
 * - A task id is derived from the workflow id and the step's sequence, so it
 *   is the same on every read and `previous` can name other tasks by id.
 */
import { createHash } from 'node:crypto';
import type { OrchestrationStatus, RuntimeStatus, Step, StepStatus } from '@reprise/core';
import { payloadView } from './render.js';

export type WorkflowStatus = 'pending' | 'progress' | 'success' | 'error' | 'canceled';

const WORKFLOW_STATUS: Record<RuntimeStatus, WorkflowStatus> = {
  Pending: 'pending', // also a run queued in its concurrency group
  Running: 'progress',
  Suspended: 'progress',
  ContinuedAsNew: 'progress',
  Completed: 'success',
  Failed: 'error',
  Terminated: 'error',
  Canceled: 'canceled',
};

const TASK_STATUS: Record<StepStatus, WorkflowStatus> = {
  Requested: 'pending',
  Executing: 'progress',
  Succeeded: 'success',
  Failed: 'error',
  Canceled: 'canceled',
};

/** The orchestrator name a workflow of `project` called `name` runs. */
export function fullnameOf(project: string, name: string): string {
  return `${project}.${name}`;
}

/** Whether an instance is a workflow: a project (namespace) and an orchestrator named `<project>.<name>`. */
export function isWorkflow(status: OrchestrationStatus): boolean {
  return status.namespace !== '' && status.name.length > status.namespace.length + 1 && status.name.startsWith(`${status.namespace}.`);
}

/** `2021-03-04T12:27:11.245000+00:00` */
export function serviceTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000+00:00`;
}

export function workflowView(status: OrchestrationStatus): Record<string, unknown> {
  return {
    created: serviceTime(status.createdTime),
    fullname: status.name,
    id: status.instanceId,
    name: status.name.slice(status.namespace.length + 1),
    payload: payloadView(status.input),
    periodic: status.scheduleId !== undefined,
    project: status.namespace,
    status: WORKFLOW_STATUS[status.runtimeStatus],
    updated: serviceTime(status.lastUpdatedTime),
  };
}

/** The workflow with its tasks, one per step, in sequence order. */
export function workflowWithTasksView(status: OrchestrationStatus, steps: readonly Step[]): Record<string, unknown> {
  const { updated, ...view } = workflowView(status);
  return { ...view, tasks: steps.map((step) => taskView(status.instanceId, step)), updated };
}

function taskView(workflowId: string, step: Step): Record<string, unknown> {
  const id = taskId(workflowId, step.sequence);
  const updated = step.completedAt ?? step.progress?.at ?? step.startedAt ?? step.scheduledAt;
  return {
    created: serviceTime(step.scheduledAt),
    id,
    key: step.key ?? step.name,
    previous: step.previous.map((sequence) => taskId(workflowId, sequence)),
    status: TASK_STATUS[step.status],
    task: id,
    updated: serviceTime(updated),
  };
}

/** A UUID (version 5 layout) of the workflow id and the step's sequence. */
export function taskId(workflowId: string, sequence: number): string {
  const hash = createHash('sha1').update(`reprise-task\u0000${workflowId}\u0000${sequence}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
