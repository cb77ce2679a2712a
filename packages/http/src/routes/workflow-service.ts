/**
 * The workflow service, under `/api` (a prefix shared with the host app:
 * only `/workflows…` and `/ping` are claimed). A workflow is an instance in
 * the namespace `project` of the orchestrator `project.name`; see
 * workflow-service-view.ts for how one reads.
 *
 * Newest first: the stores page instances oldest first (created time, then
 * id) and have no descending order, so a list walks every instance of the
 * hub once, keeping only the newest `page × per_page` workflows (bounded
 * memory, O(instances) store reads). A descending store order would make it
 * one page read.
 */
import { isRepriseError } from '@reprise/core';
import type { OrchestrationClient, OrchestrationStatus } from '@reprise/core';
import { param } from '../context.js';
import type { OperationContext } from '../context.js';
import { HttpError, badRequest } from '../errors.js';
import { checkInstanceId, checkName } from '../query.js';
import { json } from '../reply.js';
import type { Route } from '../router.js';
import { fullnameOf, isWorkflow, workflowView, workflowWithTasksView } from '../workflow-service-view.js';
import type { Operation } from './shared.js';

export const DEFAULT_PER_PAGE = 1000;
/** Store page size of the list walk (the stores' largest page). */
const SCAN_PAGE_SIZE = 1000;

function notFound(id: string): HttpError {
  return new HttpError(404, 'WORKFLOW_NOT_FOUND', `no workflow '${id.slice(0, 256)}'`);
}

/** The path's workflow, or 404 when there is no such instance or it is not a workflow. */
async function workflowOrThrow(context: OperationContext, id: string): Promise<OrchestrationStatus> {
  const status = await context.client.getStatus(id);
  if (!status || !isWorkflow(status)) throw notFound(id);
  return status;
}

const listWorkflows: Operation = async (context) => {
  const page = context.query.positiveInteger('page') ?? 1;
  const perPage = context.query.positiveInteger('per_page') ?? DEFAULT_PER_PAGE;
  const newest = await newestWorkflows(context.client, page * perPage);
  return json(200, newest.slice((page - 1) * perPage, page * perPage).map(workflowView));
};

/** The newest `count` workflows of the hub, newest first. */
async function newestWorkflows(client: OrchestrationClient, count: number): Promise<OrchestrationStatus[]> {
  // A ring of the last `count` seen, oldest first: the walk goes oldest to newest.
  const ring: OrchestrationStatus[] = [];
  let seen = 0;
  let continuationToken: string | undefined;
  do {
    const listed = await client.listInstances({ pageSize: SCAN_PAGE_SIZE, ...(continuationToken !== undefined && { continuationToken }) });
    for (const status of listed.instances) {
      if (!isWorkflow(status)) continue;
      if (ring.length < count) ring.push(status);
      else ring[seen % count] = status;
      seen += 1;
    }
    continuationToken = listed.continuationToken;
  } while (continuationToken !== undefined);
  const start = ring.length < count ? 0 : seen % count;
  return [...ring.slice(start), ...ring.slice(0, start)].reverse();
}

const getWorkflow: Operation = async (context) => {
  const id = checkInstanceId(param(context, 'workflowId'), 'workflow id');
  const status = await workflowOrThrow(context, id);
  const steps = (await context.client.getSteps(id)) ?? [];
  return json(200, workflowWithTasksView(status, steps));
};

const createWorkflow: Operation = async (context) => {
  const body = await context.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object { "project": string, "name": string, "payload": object }');
  const { project, name, payload } = body as Record<string, unknown>;
  if (typeof project !== 'string') throw badRequest("'project' is required and must be a string");
  if (typeof name !== 'string') throw badRequest("'name' is required and must be a string");
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw badRequest("'payload' is required and must be a JSON object");
  // The project is the namespace: the instance-id rules apply to it.
  checkInstanceId(project, 'project');
  checkName(name, 'name');
  let id: string;
  try {
    id = await context.client.startNew(fullnameOf(project, name), { input: payload, namespace: project });
  } catch (error) {
    if (isRepriseError(error, 'UNKNOWN_ORCHESTRATOR')) throw new HttpError(404, 'WORKFLOW_NOT_FOUND', `no workflow '${fullnameOf(project, name).slice(0, 256)}' is registered`);
    throw error;
  }
  return json(201, workflowView(await workflowOrThrow(context, id)));
};

/** A new workflow with the same project, name and payload (`client.restart`); a workflow still running is a 409. */
const relaunchWorkflow: Operation = async (context) => {
  const id = checkInstanceId(param(context, 'workflowId'), 'workflow id');
  await workflowOrThrow(context, id);
  const again = await context.client.restart(id);
  return json(201, workflowView(await workflowOrThrow(context, again)));
};

/** 200 once the store answered a read; 503 (StorageError) when it cannot be reached. */
const ping: Operation = async (context) => {
  await context.client.ping();
  return json(200, { message: 'pong' });
};

export const workflowServiceRoutes: readonly Route<OperationContext>[] = [
  { method: 'GET', path: '/workflows', operation: listWorkflows },
  { method: 'POST', path: '/workflows', operation: createWorkflow },
  { method: 'GET', path: '/workflows/:workflowId', operation: getWorkflow },
  { method: 'POST', path: '/workflows/:workflowId/relaunch', operation: relaunchWorkflow },
  { method: 'GET', path: '/ping', operation: ping },
];
