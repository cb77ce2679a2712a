/**
 * The application-instances document's shapes, from @reprise/applications'
 * typed statuses: the instance object (fields exactly as the document
 * lists them; an unknown owner or environment is `null`) and the list item.
 */
import type { AppInstanceStatus, AppInstanceSummary, ScheduledWorkflow } from '@reprise/applications';

export function instanceView(status: AppInstanceStatus): Record<string, unknown> {
  return {
    id: status.id,
    name: status.name,
    version: status.version,
    parameters: status.parameters,
    status: status.status,
    ownerId: status.ownerId ?? null,
    workflowHistory: status.workflowHistory.map((job) => ({
      name: job.name,
      status: job.status,
      ownerId: job.ownerId ?? null,
      steps: job.steps.map((step) => ({ name: step.name, status: step.status, percentComplete: step.percentComplete })),
    })),
    returnValues: status.returnValues,
    applicationId: status.applicationId,
    environmentId: status.environmentId ?? null,
    components: status.components.map((c) => ({ name: c.name, ...(c.instanceId !== undefined && { instanceId: c.instanceId }) })),
  };
}

export function summaryView(summary: AppInstanceSummary): Record<string, unknown> {
  return {
    id: summary.id,
    name: summary.name,
    environment: summary.environmentId ?? null,
    application: summary.applicationId,
    revision: summary.revisionId ?? null,
    status: summary.status,
  };
}

export function schedulesView(schedules: readonly ScheduledWorkflow[]): { schedules: ScheduledWorkflow[] } {
  return { schedules: schedules.map((s) => ({ id: s.id, name: s.name, timestamp: s.timestamp })) };
}
