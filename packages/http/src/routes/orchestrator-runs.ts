/**
 * The namespaced orchestrator-runs document, under `/datasourcesvc/api/v1`:
 * `/orchrun` list (offset paging, `_total`), one run, its logs, create,
 * edit (request cancellation) and delete. A thin view over the client.
 *
 * Invariants:
 * - `nsfilter` is required on every request (400 without it) and is the
 *   run's namespace: a run of another namespace is answered exactly like a
 *   missing one (404), and lists and counts are filtered by the store.
 * - Every namespace is one concurrency group (`orchrun:<namespace>`, the
 *   mount's `orchestratorRuns.concurrency`); a create refused by a full
 *   queue is a 400 naming the cap, and the store kept nothing.
 * - Input is checked before anything is stored.
 */
import { isRepriseError } from '@reprise/core';
import type { OrchestrationClient, OrchestrationStatus, OrchestratorDescription, Runtime, RuntimeStatus } from '@reprise/core';
import { param } from '../context.js';
import type { OperationContext } from '../context.js';
import { HttpError, badRequest } from '../errors.js';
import { CREATED_BY_TAG, RUNTIME_STATUSES_OF, RUN_STATUSES, isEnded, logText, runView } from '../orchestrator-runs-view.js';
import type { RunStatus } from '../orchestrator-runs-view.js';
import { checkInstanceId, parseDate } from '../query.js';
import { json } from '../reply.js';
import type { Route } from '../router.js';
import type { Operation } from './shared.js';

const DEFAULT_PAGE_SIZE = 20;
/** Each run of a page is rendered with its steps (a history read): pages stay small. */
const MAX_PAGE_SIZE = 100;
const DAY_MS = 86_400_000;

function namespaceOf(context: OperationContext): string {
  const value = context.query.get('nsfilter');
  if (value === undefined) throw badRequest("the query parameter 'nsfilter' (the project namespace) is required", 'NSFILTER_REQUIRED');
  return checkInstanceId(value, 'nsfilter');
}

const runNotFound = (id: string) => new HttpError(404, 'ORCH_RUN_NOT_FOUND', `no orchestrator run '${id.slice(0, 256)}' in this namespace`);

function orchestratorsOf(runtime: Runtime): OrchestratorDescription[] {
  return runtime.describeOrchestrators();
}

/** The run's status if it lives in `namespace`; a run elsewhere is not there. */
async function statusIn(client: OrchestrationClient, id: string, namespace: string): Promise<OrchestrationStatus> {
  const status = await client.getStatus(id, { showInput: false });
  if (!status || status.namespace !== namespace) throw runNotFound(id);
  return status;
}

/**
 * A run with its steps. A live run reads its history too: a cancel request
 * it has taken shows as REQUEST_CANCEL. `cancelRequested` forces that (the
 * answer to the request itself, before the run has taken it).
 */
async function render(context: OperationContext, status: OrchestrationStatus, cancelRequested = false): Promise<Record<string, unknown>> {
  const { client } = context;
  const steps = (await client.getSteps(status.instanceId)) ?? [];
  let requested = cancelRequested;
  if (!requested && !isEnded(status.runtimeStatus)) {
    const full = await client.getStatus(status.instanceId, { showHistory: true, showInput: false });
    requested = full?.history?.some((e) => e.EventType === 'ExecutionCancelRequested') === true;
  }
  const orchestrator = orchestratorsOf(context.runtime).find((o) => o.name === status.name);
  return runView({ status, steps, orchestrator, cancelRequested: requested });
}

function runIdParam(context: OperationContext): string {
  return checkInstanceId(param(context, 'runId'), 'id');
}

function nonNegativeInteger(context: OperationContext, name: string, fallback: number): number {
  const value = context.query.get(name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) throw badRequest(`'${name}' must be a non-negative integer, got '${value.slice(0, 64)}'`);
  return Number(value);
}

function statusFilter(context: OperationContext): RuntimeStatus[] | undefined {
  const value = context.query.get('_status');
  if (value === undefined) return undefined;
  const out: RuntimeStatus[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim().toUpperCase();
    if (item === '') continue;
    if (item === 'REQUEST_CANCEL') throw badRequest("'_status' cannot be REQUEST_CANCEL: a cancel request is a passing state of a QUEUED or RUNNING run; filter by those");
    if (!(RUN_STATUSES as readonly string[]).includes(item)) throw badRequest(`'${raw.trim().slice(0, 64)}' in '_status' is not a run status (${RUN_STATUSES.join(', ')})`);
    for (const s of RUNTIME_STATUSES_OF[item as Exclude<RunStatus, 'REQUEST_CANCEL'>]) if (!out.includes(s)) out.push(s);
  }
  return out.length === 0 ? undefined : out;
}

/** startDate / endDate: ISO-8601; an endDate without a time covers that whole day. */
function dateRange(context: OperationContext): { createdTimeFrom?: Date; createdTimeTo?: Date } {
  const start = context.query.get('startDate');
  const end = context.query.get('endDate');
  const from = start === undefined ? undefined : parseDate(start, 'startDate');
  let to = end === undefined ? undefined : parseDate(end, 'endDate');
  if (to && /^\s*\d{4}-\d{2}-\d{2}\s*$/.test(end!)) to = new Date(to.getTime() + DAY_MS - 1);
  if (from && to && from > to) throw badRequest("'startDate' is after 'endDate'");
  return { ...(from && { createdTimeFrom: from }), ...(to && { createdTimeTo: to }) };
}

const listRuns: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const pageSize = nonNegativeInteger(context, '_pageSize', DEFAULT_PAGE_SIZE);
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw badRequest(`'_pageSize' must be between 1 and ${MAX_PAGE_SIZE}, got ${pageSize}`);
  const offset = nonNegativeInteger(context, '_offset', 0);
  const runtimeStatus = statusFilter(context);
  const range = dateRange(context);
  const filter = { namespace, ...(runtimeStatus && { runtimeStatus }), ...range };
  const [page, total] = await Promise.all([
    context.client.listInstances({ ...filter, pageSize, offset, showInput: false }),
    context.client.countInstances(filter),
  ]);
  const list: Record<string, unknown>[] = [];
  for (const status of page.instances) list.push(await render(context, status));
  return json(200, { _offset: offset, _pageSize: pageSize, _total: total, _list: list });
};

const getRun: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const id = runIdParam(context);
  return json(200, [await render(context, await statusIn(context.client, id, namespace))]);
};

const getLogs: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const id = runIdParam(context);
  const status = await statusIn(context.client, id, namespace);
  // Logs before the status read would miss lines written in between; after it, an end line may follow the last log read: read the logs last.
  const logs = await context.client.getLogs(id);
  return json(200, logText(id, logs, status));
};

interface ActualParam {
  sequence_type_id: string;
  params: Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function createBody(body: unknown): { orchestratorId: string; actualParams: ActualParam[] } {
  if (!isPlainObject(body)) throw badRequest('the body must be a JSON object { orchestratorId, _actualParams }');
  const { orchestratorId } = body;
  if (typeof orchestratorId !== 'string' || orchestratorId === '') throw badRequest("'orchestratorId' must be a non-empty string");
  const given = ['_actualParams', '_actualparams'].filter((k) => Object.hasOwn(body, k));
  if (given.length === 0) throw badRequest("'_actualParams' is required (an array of { sequence_type_id, params })");
  if (given.length > 1) throw badRequest("give '_actualParams' or '_actualparams', not both");
  const list = body[given[0]!];
  if (!Array.isArray(list)) throw badRequest(`'${given[0]}' must be an array of { sequence_type_id, params }`);
  const actualParams = list.map((item: unknown, index): ActualParam => {
    if (!isPlainObject(item)) throw badRequest(`'${given[0]}[${index}]' must be an object { sequence_type_id, params }`);
    if (typeof item.sequence_type_id !== 'string' || item.sequence_type_id === '') throw badRequest(`'${given[0]}[${index}].sequence_type_id' must be a non-empty string`);
    if (!isPlainObject(item.params)) throw badRequest(`'${given[0]}[${index}].params' must be an object`);
    return { sequence_type_id: item.sequence_type_id, params: item.params };
  });
  return { orchestratorId, actualParams };
}

const createRun: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const { orchestratorId, actualParams } = createBody(await context.body());
  const orchestrator = orchestratorsOf(context.runtime).find((o) => o.id === orchestratorId);
  if (!orchestrator) throw badRequest(`no orchestrator with id '${orchestratorId.slice(0, 256)}' is registered`, 'UNKNOWN_ORCHESTRATOR');
  const { limit, maxQueued } = context.options.orchestratorRuns.concurrency;
  let id: string;
  try {
    id = await context.client.startNew(orchestrator.name, {
      input: actualParams,
      namespace,
      concurrency: { group: `orchrun:${namespace}`, limit, maxQueued },
      tags: { [CREATED_BY_TAG]: context.principal.id },
    });
  } catch (error) {
    if (isRepriseError(error, 'QUEUE_FULL')) {
      throw new HttpError(400, 'QUEUE_FULL', `namespace '${namespace}' already has ${maxQueued} queued orchestrator runs, the most it may have; the run was not created`);
    }
    throw error;
  }
  const status = await context.client.getStatus(id, { showInput: false });
  if (!status) throw runNotFound(id); // deleted in between
  return json(200, await render(context, status));
};

const editRun: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const id = runIdParam(context);
  const body = await context.body();
  if (!isPlainObject(body) || typeof body.id !== 'string') throw badRequest("the body must be a JSON object { id } naming the run");
  if (body.id !== id) throw badRequest("the body's 'id' differs from the run id in the path");
  const before = await statusIn(context.client, id, namespace);
  if (isEnded(before.runtimeStatus)) throw badRequest(`orchestrator run '${id}' has ended (${before.runtimeStatus}); it cannot be canceled`, 'RUN_ENDED');
  try {
    await context.client.requestCancel(id);
  } catch (error) {
    if (!isRepriseError(error, 'INSTANCE_COMPLETED')) throw error;
    // Ended meanwhile: answer what it is now.
  }
  const after = await context.client.getStatus(id, { showInput: false });
  if (!after) throw runNotFound(id);
  return json(200, [await render(context, after, !isEnded(after.runtimeStatus))]);
};

const deleteRun: Operation = async (context) => {
  const namespace = namespaceOf(context);
  const id = runIdParam(context);
  await statusIn(context.client, id, namespace);
  try {
    await context.client.deleteInstance(id, 'deleted through the orchestrator-runs API');
  } catch (error) {
    if (isRepriseError(error, 'INSTANCE_NOT_FOUND')) throw runNotFound(id);
    throw error;
  }
  return new Response(null, { status: 204 });
};

export const orchestratorRunsRoutes: readonly Route<OperationContext>[] = [
  { method: 'GET', path: '/orchrun', operation: listRuns },
  { method: 'POST', path: '/orchrun', operation: createRun },
  { method: 'GET', path: '/orchrun/logs/:runId', operation: getLogs },
  { method: 'GET', path: '/orchrun/:runId', operation: getRun },
  { method: 'PUT', path: '/orchrun/:runId', operation: editRun },
  { method: 'DELETE', path: '/orchrun/:runId', operation: deleteRun },
];
