/**
 * Steps both documents share: reading an instance id, the status options,
 * the list filter, and the instance commands (terminate, suspend, resume,
 * rewind) that answer 202.
 */
import type { ListInstancesFilter, OrchestrationClient, OrchestrationStatus } from '@reprise/core';
import { param } from '../context.js';
import type { OperationContext } from '../context.js';
import { HttpError, badRequest } from '../errors.js';
import { checkInstanceId } from '../query.js';
import type { Query } from '../query.js';
import { accepted } from '../reply.js';

/** One operation of a route table. */
export type Operation = (context: OperationContext) => Promise<Response>;

export const CONTINUATION_HEADER = 'x-ms-continuation-token';

export function instanceIdParam(context: OperationContext): string {
  return checkInstanceId(param(context, 'instanceId'));
}

export function notFound(instanceId: string): HttpError {
  return new HttpError(404, 'INSTANCE_NOT_FOUND', `no instance '${instanceId}'`);
}

export interface StatusOptions {
  showHistory: boolean;
  showHistoryOutput: boolean;
  showInput: boolean;
}

export function statusOptions(query: Query, showInputDefault = true): StatusOptions {
  return {
    showHistory: query.boolean('showHistory') ?? false,
    showHistoryOutput: query.boolean('showHistoryOutput') ?? false,
    showInput: query.boolean('showInput') ?? showInputDefault,
  };
}

export async function getStatusOrThrow(context: OperationContext, instanceId: string, options: StatusOptions): Promise<OrchestrationStatus> {
  const status = await context.client.getStatus(instanceId, options);
  if (!status) throw notFound(instanceId);
  return status;
}

/** The list filter from the query (the continuation token is read by each document its own way). */
export function listFilter(query: Query, showInputDefault: boolean): Omit<ListInstancesFilter, 'continuationToken'> {
  const runtimeStatus = query.statuses('runtimeStatus');
  const createdTimeFrom = query.date('createdTimeFrom');
  const createdTimeTo = query.date('createdTimeTo');
  const instanceIdPrefix = query.get('instanceIdPrefix');
  const pageSize = query.positiveInteger('top', 'pageSize');
  return {
    showInput: query.boolean('showInput') ?? showInputDefault,
    ...(runtimeStatus && runtimeStatus.length > 0 && { runtimeStatus }),
    ...(createdTimeFrom && { createdTimeFrom }),
    ...(createdTimeTo && { createdTimeTo }),
    ...(instanceIdPrefix !== undefined && { instanceIdPrefix }),
    ...(pageSize !== undefined && { pageSize }),
  };
}

/**
 * One page of instances. Core's list has no history; with `showHistory`
 * each instance of the page is read again with its history (at most one page of reads).
 */
export async function listPage(
  client: OrchestrationClient,
  filter: ListInstancesFilter,
  history: { showHistory: boolean; showHistoryOutput: boolean },
): Promise<{ instances: OrchestrationStatus[]; continuationToken?: string }> {
  const page = await client.listInstances(filter);
  if (!history.showHistory) return page;
  const instances: OrchestrationStatus[] = [];
  for (const listed of page.instances) {
    const full = await client.getStatus(listed.instanceId, { showHistory: true, showHistoryOutput: history.showHistoryOutput, showInput: filter.showInput !== false });
    if (full) instances.push(full); // purged between the two reads: leave it out
  }
  return page.continuationToken === undefined ? { instances } : { instances, continuationToken: page.continuationToken };
}

/**
 * The reason of terminate / suspend / resume / rewind: the `reason` query
 * parameter, else the JSON body. The body is read either way, so a body that
 * is not JSON is a 400 whatever the query says.
 */
export async function reasonOf(context: OperationContext): Promise<unknown> {
  const body = await context.body();
  return context.query.get('reason') ?? body;
}

/** The reason as the /api/orchestration facade reads it: required. */
export async function requiredReasonOf(context: OperationContext): Promise<unknown> {
  const reason = await reasonOf(context);
  if (reason === undefined) throw badRequest("the query parameter 'reason' is required");
  return reason;
}

/** The client methods that act on one instance with a reason and answer nothing. */
export type InstanceCommand = 'terminate' | 'suspend' | 'resume' | 'rewind';

/** The operation of an instance command: the path's instance id, the reason, then the client call; 202. */
export function instanceCommand(command: InstanceCommand, readReason: (context: OperationContext) => Promise<unknown>): Operation {
  return async (context) => {
    const instanceId = instanceIdParam(context);
    await context.client[command](instanceId, await readReason(context));
    return accepted();
  };
}
