/**
 * The application-instances API (default prefix `/api/1`), over
 * @reprise/applications. Mounted only when a runtime was created with
 * `withApplications`; a request for a hub without applications is a 404.
 *
 * Every operation: path ids checked (the hardening rules), then
 * `authorize(principal, action, target)` (403; before any read, so a
 * refused caller learns nothing of what exists), then the body (400 for a
 * content type that is not JSON, a body that is not JSON or not an object),
 * then the client call; its typed errors map through errors.ts (404 unknown
 * instance, 409 busy or destroyed, 400 bad values).
 */
import { applicationsClient, hasApplications } from '@reprise/applications';
import type { ApplicationsClient, AppInstanceSummary, ListAppInstancesFilter } from '@reprise/applications';
import type { Runtime } from '@reprise/core';
import { param } from '../context.js';
import type { OperationContext } from '../context.js';
import { HttpError, badRequest } from '../errors.js';
import type { ApplicationAction, ApplicationTarget } from '../options.js';
import { checkInstanceId, checkName } from '../query.js';
import { instanceView, schedulesView, summaryView } from '../render-application-instances.js';
import { json } from '../reply.js';
import type { Route } from '../router.js';
import type { Operation } from './shared.js';

export function servesApplications(runtimes: readonly Runtime[]): boolean {
  return runtimes.some((runtime) => hasApplications(runtime));
}

function appsOf(context: OperationContext): ApplicationsClient {
  if (!hasApplications(context.runtime)) throw new HttpError(404, 'APPLICATIONS_NOT_FOUND', `task hub '${context.runtime.taskHub}' has no applications`);
  return applicationsClient(context.runtime);
}

async function authorize(context: OperationContext, action: ApplicationAction, target: ApplicationTarget): Promise<void> {
  const { principal } = context;
  const hook = context.options.authorize;
  const allowed = hook ? await hook(principal, action, target) : principal.system === true || principal.anonymous === true;
  if (allowed !== true) throw new HttpError(403, 'FORBIDDEN', `'${principal.id.slice(0, 64)}' may not ${action}${target.instanceId ? ` on instance '${target.instanceId}'` : ''}`);
}

const instanceIdOf = (context: OperationContext) => checkInstanceId(param(context, 'id'), 'id');
const workflowOf = (context: OperationContext) => checkName(param(context, 'workflow'), 'workflow');

/** The JSON object body; `undefined` when empty. A declared content type that is not JSON is refused (the document's 400), body or not. */
async function objectBody(context: OperationContext, required: boolean): Promise<Record<string, unknown> | undefined> {
  const type = context.request.headers.get('content-type');
  if (type !== null && !/^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw badRequest(`the content type must be application/json, got '${type.slice(0, 64)}'`, 'UNSUPPORTED_CONTENT_TYPE');
  }
  const body = await context.body();
  if (body === undefined) {
    if (required) throw badRequest('the request needs a JSON object body');
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The document's interval: milliseconds, as a string of digits ("3600000") or a number. */
function intervalOf(body: Record<string, unknown>): number {
  const value = body.interval;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw badRequest(`'interval' is required: milliseconds as a non-negative integer (or its string), got ${JSON.stringify(value)?.slice(0, 64)}`);
}

function parametersOf(body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const value = body?.parameters;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest("'parameters' must be an object of name → value");
  return value as Record<string, unknown>;
}

function listBy(key: 'environmentId' | 'applicationId' | 'revisionId', name: string): Operation {
  return async (context) => {
    const value = checkInstanceId(param(context, name), name);
    await authorize(context, 'instances.list', { [key]: value });
    const apps = appsOf(context);
    const instances: AppInstanceSummary[] = [];
    let continuationToken: string | undefined;
    do {
      const filter: ListAppInstancesFilter = { [key]: value, pageSize: 500, ...(continuationToken !== undefined && { continuationToken }) };
      const page = await apps.list(filter);
      instances.push(...page.instances);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    return json(200, instances.map(summaryView));
  };
}

const getInstance: Operation = async (context) => {
  const id = instanceIdOf(context);
  await authorize(context, 'instance.read', { instanceId: id });
  const status = await appsOf(context).get(id);
  if (!status) throw new HttpError(404, 'INSTANCE_NOT_FOUND', `no application instance '${id}'`);
  return json(200, instanceView(status));
};

const runWorkflow: Operation = async (context) => {
  const id = instanceIdOf(context);
  const workflow = workflowOf(context);
  await authorize(context, workflow === 'destroy' ? 'instance.destroy' : 'workflow.run', { instanceId: id, workflow });
  const parameters = await objectBody(context, false);
  await appsOf(context).runWorkflow(id, workflow, parameters, { ownerId: context.principal.id });
  return json(200, { id });
};

const setUserData: Operation = async (context) => {
  const id = instanceIdOf(context);
  await authorize(context, 'instance.editUserData', { instanceId: id });
  const data = await objectBody(context, true);
  await appsOf(context).setUserData(id, data!);
  return json(200, {});
};

const destroyInstance: Operation = async (context) => {
  const id = instanceIdOf(context);
  const raw = context.query.get('force') ?? '0';
  if (raw !== '0' && raw !== '1') throw badRequest(`'force' must be 0 or 1, got '${raw.slice(0, 16)}'`);
  await authorize(context, 'instance.destroy', { instanceId: id });
  await appsOf(context).destroy(id, { force: raw === '1' });
  return json(200, {});
};

const scheduleWorkflow: Operation = async (context) => {
  const id = instanceIdOf(context);
  const workflow = workflowOf(context);
  await authorize(context, workflow === 'destroy' ? 'instance.destroy' : 'workflow.schedule', { instanceId: id, workflow });
  const body = (await objectBody(context, true))!;
  const parameters = parametersOf(body);
  const result = await appsOf(context).scheduleWorkflow(id, workflow, { interval: intervalOf(body), ownerId: context.principal.id, ...(parameters && { parameters }) });
  return json(200, result.scheduleId === undefined ? {} : { id: result.scheduleId });
};

const rescheduleWorkflow: Operation = async (context) => {
  const id = instanceIdOf(context);
  const workflow = workflowOf(context);
  await authorize(context, 'workflow.reschedule', { instanceId: id, workflow });
  const body = (await objectBody(context, true))!;
  const parameters = parametersOf(body);
  const result = await appsOf(context).rescheduleWorkflow(id, workflow, { interval: intervalOf(body), ...(parameters && { parameters, ownerId: context.principal.id }) });
  return json(200, result.scheduleId === undefined ? {} : { id: result.scheduleId });
};

const listSchedules: Operation = async (context) => {
  const id = instanceIdOf(context);
  await authorize(context, 'schedules.list', { instanceId: id });
  return json(200, schedulesView(await appsOf(context).listSchedules(id)));
};

const configure: Operation = async (context) => {
  const id = instanceIdOf(context);
  await authorize(context, 'instance.configure', { instanceId: id });
  const body = (await objectBody(context, false)) ?? {};
  await appsOf(context).configure(id, body);
  return json(200, {});
};

export const applicationInstancesRoutes: readonly Route<OperationContext>[] = [
  { method: 'GET', path: '/environments/:envId/instances', operation: listBy('environmentId', 'envId') },
  { method: 'GET', path: '/applications/:appId/instances', operation: listBy('applicationId', 'appId') },
  { method: 'GET', path: '/revisions/:revId/instances', operation: listBy('revisionId', 'revId') },
  { method: 'GET', path: '/instances/:id', operation: getInstance },
  { method: 'DELETE', path: '/instances/:id', operation: destroyInstance },
  { method: 'GET', path: '/instances/:id/schedules', operation: listSchedules },
  { method: 'PUT', path: '/instances/:id/userData', operation: setUserData },
  { method: 'PUT', path: '/instances/:id/configuration', operation: configure },
  { method: 'POST', path: '/instances/:id/:workflow', operation: runWorkflow },
  { method: 'POST', path: '/instances/:id/:workflow/schedule', operation: scheduleWorkflow },
  { method: 'POST', path: '/instances/:id/:workflow/reschedule', operation: rescheduleWorkflow },
];
