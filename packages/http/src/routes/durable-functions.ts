/**
 * The Durable Functions HTTP API (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api), served under
 * `/runtime/webhooks/durabletask` (2.x) and `/admin/extensions/DurableTaskExtension` (1.x).
 * Status codes follow the Durable Functions extension where the documentation
 * contradicts itself; each choice is listed in the package README.
 */
import { param, traceContextOf } from '../context.js';
import type { OperationContext } from '../context.js';
import { HttpError, badRequest } from '../errors.js';
import { checkInstanceId, checkName } from '../query.js';
import { accepted, json } from '../reply.js';
import { entityView, payloadView, statusCodeFor, statusView } from '../render.js';
import type { Route } from '../router.js';
import { managementPayload } from '../urls.js';
import { CONTINUATION_HEADER, getStatusOrThrow, instanceCommand, instanceIdParam, listFilter, listPage, reasonOf, statusOptions } from './shared.js';
import type { Operation } from './shared.js';

const startOrchestration: Operation = async (context) => {
  const name = checkName(param(context, 'functionName'), 'functionName');
  const wanted = context.params.get('instanceId');
  const instanceId = wanted === undefined ? undefined : checkInstanceId(wanted);
  const input = await context.body();
  const id = await context.client.startNew(name, { input, ...(instanceId !== undefined && { instanceId }), ...traceContextOf(context) });
  const payload = managementPayload(context.mountRoot, id, context.urlParams);
  return json(202, payload, { location: payload.statusQueryGetUri, 'retry-after': String(context.options.retryAfterSeconds) });
};

const getInstanceStatus: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const options = statusOptions(context.query);
  const returnInternalServerErrorOnFailure = context.query.boolean('returnInternalServerErrorOnFailure') ?? false;
  // The documentation lists the list filters for this request too; the extension ignores them for one
  // instance, and so do we, after checking them (a bad value is still a 400).
  context.query.date('createdTimeFrom');
  context.query.date('createdTimeTo');
  context.query.statuses('runtimeStatus');
  const status = await getStatusOrThrow(context, instanceId, options);
  const code = statusCodeFor(status.runtimeStatus, returnInternalServerErrorOnFailure);
  const headers: Record<string, string> = code === 202 ? { location: context.selfUrl, 'retry-after': String(context.options.retryAfterSeconds) } : {};
  return json(code, statusView(status, 'historyEvents', context.options), headers);
};

const listInstances: Operation = async (context) => {
  const filter = listFilter(context.query, true);
  const { showHistory, showHistoryOutput } = statusOptions(context.query);
  const token = context.request.headers.get(CONTINUATION_HEADER) || context.query.get('continuationToken');
  const page = await listPage(context.client, { ...filter, ...(token && { continuationToken: token }) }, { showHistory, showHistoryOutput });
  const headers: Record<string, string> = page.continuationToken === undefined ? {} : { [CONTINUATION_HEADER]: page.continuationToken };
  return json(
    200,
    page.instances.map((s) => statusView(s, 'historyEvents', context.options)),
    headers,
  );
};

const purgeInstance: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const result = await context.client.purgeInstanceHistory(instanceId);
  if (result.instancesDeleted === 0) throw new HttpError(404, 'INSTANCE_NOT_FOUND', `no instance '${instanceId}'`);
  return json(200, { instancesDeleted: result.instancesDeleted });
};

const purgeInstances: Operation = async (context) => {
  // createdTimeFrom is optional here (the extension starts at the earliest time); core requires one.
  const createdTimeFrom = context.query.date('createdTimeFrom') ?? new Date(0);
  const createdTimeTo = context.query.date('createdTimeTo');
  const runtimeStatus = context.query.statuses('runtimeStatus');
  const result = await context.client.purgeInstanceHistoryBy({
    createdTimeFrom,
    ...(createdTimeTo && { createdTimeTo }),
    ...(runtimeStatus && runtimeStatus.length > 0 && { runtimeStatus }),
  });
  if (result.instancesDeleted === 0) throw new HttpError(404, 'NOT_FOUND', 'no instances matched the filter');
  return json(200, { instancesDeleted: result.instancesDeleted });
};

const raiseEvent: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const eventName = checkName(param(context, 'eventName'), 'eventName');
  const data = await context.body();
  await context.client.raiseEvent(instanceId, eventName, data, traceContextOf(context));
  return accepted();
};

function entityIdParams(context: OperationContext): { name: string; key: string } {
  const name = checkName(param(context, 'entityName'), 'entityName', { allowAt: false });
  const key = checkName(param(context, 'entityKey'), 'entityKey');
  return { name, key };
}

const signalEntity: Operation = async (context) => {
  const entity = entityIdParams(context);
  const input = await context.body();
  const op = context.query.get('op');
  // `op` is optional in the documentation (an unnamed operation); core refuses an empty operation name.
  if (op === undefined) throw badRequest("the query parameter 'op' is required: name the entity operation to run");
  await context.client.signalEntity(entity, checkName(op, 'op', { allowDots: true }), input);
  return accepted();
};

const getEntity: Operation = async (context) => {
  const entity = entityIdParams(context);
  const result = await context.client.readEntityState(entity);
  if (!result.entityExists) throw new HttpError(404, 'ENTITY_NOT_FOUND', `no entity '${entity.name}' with key '${entity.key}'`);
  return json(200, payloadView(result.entityState));
};

const listEntities: Operation = async (context) => {
  const raw = context.params.get('entityName');
  const name = raw === undefined ? undefined : checkName(raw, 'entityName', { allowAt: false });
  const lastOperationTimeFrom = context.query.date('lastOperationTimeFrom');
  const lastOperationTimeTo = context.query.date('lastOperationTimeTo');
  const fetchState = context.query.boolean('fetchState') ?? false;
  const pageSize = context.query.positiveInteger('top', 'pageSize');
  const token = context.request.headers.get(CONTINUATION_HEADER) || context.query.get('continuationToken');
  const page = await context.client.listEntities({
    fetchState,
    ...(name !== undefined && { name }),
    ...(lastOperationTimeFrom && { lastOperationTimeFrom }),
    ...(lastOperationTimeTo && { lastOperationTimeTo }),
    ...(pageSize !== undefined && { pageSize }),
    ...(token && { continuationToken: token }),
  });
  const headers: Record<string, string> = page.continuationToken === undefined ? {} : { [CONTINUATION_HEADER]: page.continuationToken };
  return json(200, page.entities.map(entityView), headers);
};

export const durableFunctionsRoutes: readonly Route<OperationContext>[] = [
  { method: 'POST', path: '/orchestrators/:functionName', operation: startOrchestration },
  { method: 'POST', path: '/orchestrators/:functionName/:instanceId', operation: startOrchestration },
  { method: 'GET', path: '/instances', operation: listInstances },
  { method: 'DELETE', path: '/instances', operation: purgeInstances },
  { method: 'GET', path: '/instances/:instanceId', operation: getInstanceStatus },
  { method: 'DELETE', path: '/instances/:instanceId', operation: purgeInstance },
  { method: 'POST', path: '/instances/:instanceId/raiseEvent/:eventName', operation: raiseEvent },
  { method: 'POST', path: '/instances/:instanceId/terminate', operation: instanceCommand('terminate', reasonOf) },
  { method: 'POST', path: '/instances/:instanceId/suspend', operation: instanceCommand('suspend', reasonOf) },
  { method: 'POST', path: '/instances/:instanceId/resume', operation: instanceCommand('resume', reasonOf) },
  { method: 'POST', path: '/instances/:instanceId/rewind', operation: instanceCommand('rewind', reasonOf), errors: 'rewind' },
  { method: 'GET', path: '/entities', operation: listEntities },
  { method: 'GET', path: '/entities/:entityName', operation: listEntities },
  { method: 'GET', path: '/entities/:entityName/:entityKey', operation: getEntity },
  { method: 'POST', path: '/entities/:entityName/:entityKey', operation: signalEntity },
];
