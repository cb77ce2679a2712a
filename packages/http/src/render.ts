/**
 * Instance and entity views as the API documentation shows them. Absent values are
 * `null` (the documentation: "This field is null if ..."); times are ISO-8601 UTC.
 * The history array is `historyEvents` in the Durable Functions HTTP API and
 * `history` in the orchestration REST facade (/api/orchestration).
 */
import type { EntityMetadata, OrchestrationStatus, RuntimeStatus } from '@reprise/core';

export type HistoryField = 'historyEvents' | 'history';

export function statusView(status: OrchestrationStatus, historyField: HistoryField): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: status.name,
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    input: status.input ?? null,
    customStatus: status.customStatus ?? null,
    output: status.output ?? null,
    createdTime: status.createdTime.toISOString(),
    lastUpdatedTime: status.lastUpdatedTime.toISOString(),
  };
  if (status.parentInstanceId !== undefined) view.parentInstanceId = status.parentInstanceId;
  if (status.tags !== undefined) view.tags = status.tags;
  if (status.history !== undefined) view[historyField] = status.history;
  return view;
}

export function entityView(entity: EntityMetadata): Record<string, unknown> {
  const view: Record<string, unknown> = {
    entityId: { key: entity.entityId.key, name: entity.entityId.name },
    lastOperationTime: entity.lastOperationTime.toISOString(),
  };
  if ('state' in entity) view.state = entity.state ?? null;
  return view;
}

const IN_PROGRESS: ReadonlySet<RuntimeStatus> = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

/**
 * The Durable Functions status-query code: 202 while in progress (the caller
 * keeps polling), 200 once terminal, 500 for Failed only when asked with
 * `returnInternalServerErrorOnFailure=true`.
 */
export function statusCodeFor(status: RuntimeStatus, returnInternalServerErrorOnFailure: boolean): 200 | 202 | 500 {
  if (IN_PROGRESS.has(status)) return 202;
  if (status === 'Failed' && returnInternalServerErrorOnFailure) return 500;
  return 200;
}
