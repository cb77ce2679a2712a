/**
 * The orchestration REST facade, under `/api/orchestration`. Query parameter names are
 * case-insensitive; `orchestratorFunctionName`, `eventName`, `reason`
 * (terminate, rewind) and `createdTimeFrom` (purge by filter) are required.
 * Unlike the Durable Functions HTTP API, a status query answers 200 whatever the runtime status, a list
 * answers `{ durableOrchestrationState, continuationToken }`, and purge answers
 * `{ instancesDeleted }` even when nothing was deleted.
 */
import type { Runtime, RuntimeStatus } from '@reprise/core';
import type { OperationContext } from '../context.js';
import { traceContextOf } from '../context.js';
import { badRequest } from '../errors.js';
import { checkInstanceId, checkName } from '../query.js';
import { accepted, json } from '../reply.js';
import { statusView } from '../render.js';
import type { Route } from '../router.js';
import { managementPayload } from '../urls.js';
import { getStatusOrThrow, instanceCommand, instanceIdParam, listFilter, listPage, requiredReasonOf, statusOptions } from './shared.js';
import type { Operation } from './shared.js';
import { decodeHubToken, encodeHubToken } from './hub-token.js';

/** The facade's only valid statuses for purge by filter (as its documentation says). */
const PURGEABLE: readonly RuntimeStatus[] = ['Completed', 'Terminated', 'Failed'];

const startNew: Operation = async (context) => {
  const name = checkName(context.query.required('orchestratorFunctionName'), 'orchestratorFunctionName');
  const wanted = context.query.get('instanceId');
  const instanceId = wanted === undefined ? undefined : checkInstanceId(wanted);
  const input = await context.body();
  const id = await context.client.startNew(name, { input, ...(instanceId !== undefined && { instanceId }), ...traceContextOf(context) });
  return json(200, { instanceId: id });
};

const getInstance: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const status = await getStatusOrThrow(context, instanceId, statusOptions(context.query));
  return json(200, statusView(status, 'history', context.options));
};

/**
 * The facade's documentation of showInput reads "If set to true, will include the inputs",
 * so inputs are left out of lists unless asked for. `taskHubNames` lists
 * several hubs one after another; the continuation token then also says which hub is next.
 */
const listInstances: Operation = async (context) => {
  const filter = listFilter(context.query, false);
  const { showHistory, showHistoryOutput } = statusOptions(context.query, false);
  const names = context.query.list('taskHubNames');
  const hubs: readonly Runtime[] = names ? names.map((n) => context.hub(n)) : [context.runtime];
  const raw = context.query.get('continuationToken');
  const token = raw === undefined || raw === 'bnVsbA==' || raw === 'null' ? undefined : raw; // the facade's documented example end token is base64 "null"
  const position = hubs.length > 1 ? (token === undefined ? { hub: 0 } : decodeHubToken(token, hubs.length)) : token === undefined ? { hub: 0 } : { hub: 0, token };
  const hub = hubs[position.hub]!;
  const page = await listPage(hub.client, { ...filter, ...(position.token !== undefined && { continuationToken: position.token }) }, { showHistory, showHistoryOutput });
  let next: string | null = null;
  if (hubs.length === 1) next = page.continuationToken ?? null;
  else if (page.continuationToken !== undefined) next = encodeHubToken({ hub: position.hub, token: page.continuationToken });
  else if (position.hub + 1 < hubs.length) next = encodeHubToken({ hub: position.hub + 1 });
  return json(200, { durableOrchestrationState: page.instances.map((s) => statusView(s, 'history', context.options)), continuationToken: next });
};

const raiseEvent: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const eventName = checkName(context.query.required('eventName'), 'eventName');
  const data = await context.body();
  await context.client.raiseEvent(instanceId, eventName, data, traceContextOf(context));
  return accepted();
};

const managementWebhookUrls: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  await getStatusOrThrow(context, instanceId, { showHistory: false, showHistoryOutput: false, showInput: false });
  return json(200, managementPayload(context.durableFunctionsRoot, instanceId, context.urlParams));
};

const purgeInstance: Operation = async (context) => {
  const instanceId = instanceIdParam(context);
  const result = await context.client.purgeInstanceHistory(instanceId);
  return json(200, { instancesDeleted: result.instancesDeleted });
};

const purgeInstances: Operation = async (context) => {
  const createdTimeFrom = context.query.date('createdTimeFrom');
  if (!createdTimeFrom) throw badRequest("the query parameter 'createdTimeFrom' is required");
  const createdTimeTo = context.query.date('createdTimeTo');
  const runtimeStatus = context.query.statuses('runtimeStatus');
  const refused = runtimeStatus?.find((s) => !PURGEABLE.includes(s));
  if (refused) throw badRequest(`runtimeStatus '${refused}' cannot be purged; valid values are ${PURGEABLE.join(', ')}`);
  const result = await context.client.purgeInstanceHistoryBy({
    createdTimeFrom,
    ...(createdTimeTo && { createdTimeTo }),
    runtimeStatus: runtimeStatus && runtimeStatus.length > 0 ? runtimeStatus : [...PURGEABLE],
  });
  return json(200, { instancesDeleted: result.instancesDeleted });
};

export const orchestrationApiRoutes: readonly Route<OperationContext>[] = [
  { method: 'POST', path: '/instances/startNew', operation: startNew },
  { method: 'POST', path: '/instances/purgeInstanceHistory', operation: purgeInstances },
  { method: 'GET', path: '/instances', operation: listInstances },
  { method: 'GET', path: '/instances/:instanceId', operation: getInstance },
  { method: 'POST', path: '/instances/:instanceId/terminate', operation: instanceCommand('terminate', requiredReasonOf) },
  { method: 'POST', path: '/instances/:instanceId/raiseEvent', operation: raiseEvent },
  { method: 'GET', path: '/instances/:instanceId/managementWebhookUrls', operation: managementWebhookUrls },
  { method: 'POST', path: '/instances/:instanceId/rewind', operation: instanceCommand('rewind', requiredReasonOf), errors: 'rewind' },
  { method: 'POST', path: '/instances/:instanceId/purgeInstanceHistory', operation: purgeInstance },
];
