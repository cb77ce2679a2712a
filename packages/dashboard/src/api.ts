/**
 * The dashboard's JSON API, a route table over the core client (never the
 * store): every route is a method, a pattern of path segments and an
 * operation. Segments are percent-decoded one by one; `.` and `..` are refused.
 */
import { InvalidArgumentError, RUNTIME_STATUSES, isRuntimeStatus } from '@reprise/core';
import type { OrchestrationClient, RuntimeStatus } from '@reprise/core';
import { readJsonBody } from './body.js';
import { DashboardError } from './errors.js';
import type { Principal, ResolvedOptions } from './options.js';

export interface ApiContext {
  client: OrchestrationClient;
  params: Record<string, string>;
  query: URLSearchParams;
  request: Request;
}

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Segments after `/api/hubs/:hub`; `:name` captures one. */
  pattern: string[];
  run(ctx: ApiContext): Promise<unknown>;
}

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

/** What a POST body's `reason` may be: a short text, or nothing. */
function reasonOf(body: Record<string, unknown>): string | undefined {
  const reason = body.reason;
  if (reason === undefined || reason === null || reason === '') return undefined;
  if (typeof reason !== 'string' || reason.length > 1000) throw new InvalidArgumentError('reason must be a string of at most 1000 characters');
  return reason;
}

function listFilter(query: URLSearchParams) {
  const statuses = query.get('status')?.split(',').filter((s) => s !== '');
  if (statuses?.some((s) => !isRuntimeStatus(s))) throw new InvalidArgumentError(`status must be a comma-separated list of ${RUNTIME_STATUSES.join(', ')}`);
  const date = (name: string) => {
    const text = query.get(name);
    if (text === null || text === '') return undefined;
    const time = Date.parse(text);
    if (Number.isNaN(time)) throw new InvalidArgumentError(`${name} must be a date (ISO-8601)`);
    return new Date(time);
  };
  const text = (name: string) => {
    const value = query.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const createdTimeFrom = date('createdFrom');
  const createdTimeTo = date('createdTo');
  const name = text('orchestrator');
  const instanceIdPrefix = text('prefix');
  const namespace = query.get('namespace') ?? undefined;
  return {
    ...(statuses && statuses.length > 0 && { runtimeStatus: statuses as RuntimeStatus[] }),
    ...(createdTimeFrom && { createdTimeFrom }),
    ...(createdTimeTo && { createdTimeTo }),
    ...(name !== undefined && { name }),
    ...(instanceIdPrefix !== undefined && { instanceIdPrefix }),
    ...(namespace !== undefined && { namespace }),
  };
}

function pageSizeOf(query: URLSearchParams): number {
  const text = query.get('pageSize');
  if (text === null) return PAGE_SIZE;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new InvalidArgumentError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  return size;
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: ['instances'],
    async run({ client, query }) {
      const token = query.get('continuationToken');
      return client.listInstances({ ...listFilter(query), pageSize: pageSizeOf(query), showInput: false, ...(token && { continuationToken: token }) });
    },
  },
  {
    method: 'GET',
    pattern: ['counts'],
    async run({ client, query }) {
      const { runtimeStatus: _ignored, instanceIdPrefix: _prefix, ...filter } = listFilter(query);
      const counts = await Promise.all(RUNTIME_STATUSES.map((status) => client.countInstances({ ...filter, runtimeStatus: [status] })));
      return Object.fromEntries(RUNTIME_STATUSES.map((status, i) => [status, counts[i]]));
    },
  },
  {
    method: 'GET',
    pattern: ['instances', ':id'],
    async run({ client, params }) {
      const status = await client.getStatus(params.id!);
      if (!status) throw notFound(params.id!);
      const [steps, explanation] = await Promise.all([client.getSteps(params.id!), client.explain(params.id!)]);
      return { status, steps: steps ?? [], explanation };
    },
  },
  {
    method: 'GET',
    pattern: ['instances', ':id', 'history'],
    async run({ client, params }) {
      const status = await client.getStatus(params.id!, { showHistory: true, showHistoryOutput: true, showInput: false });
      if (!status) throw notFound(params.id!);
      return { history: status.history ?? [] };
    },
  },
  {
    method: 'GET',
    pattern: ['instances', ':id', 'logs'],
    async run({ client, params }) {
      if (!(await client.getStatus(params.id!, { showInput: false }))) throw notFound(params.id!);
      return { logs: await client.getLogs(params.id!) };
    },
  },
  ...(['terminate', 'suspend', 'resume', 'cancel', 'rewind'] as const).map(
    (action): Route => ({
      method: 'POST',
      pattern: ['instances', ':id', action],
      async run({ client, params, request }) {
        const reason = reasonOf(await readJsonBody(request));
        const id = params.id!;
        if (action === 'terminate') await client.terminate(id, reason);
        else if (action === 'suspend') await client.suspend(id, reason);
        else if (action === 'resume') await client.resume(id, reason);
        else if (action === 'cancel') await client.requestCancel(id, reason);
        else await client.rewind(id, reason);
        return { ok: true };
      },
    }),
  ),
  {
    method: 'POST',
    pattern: ['instances', ':id', 'raise-event'],
    async run({ client, params, request }) {
      const body = await readJsonBody(request);
      if (typeof body.name !== 'string' || body.name === '') throw new InvalidArgumentError('name must be a non-empty string');
      await client.raiseEvent(params.id!, body.name, body.data);
      return { ok: true };
    },
  },
  {
    method: 'POST',
    pattern: ['instances', ':id', 'restart'],
    async run({ client, params, request }) {
      await readJsonBody(request);
      return { instanceId: await client.restart(params.id!) };
    },
  },
  {
    method: 'POST',
    pattern: ['instances', ':id', 'purge'],
    async run({ client, params, request }) {
      await readJsonBody(request);
      return client.purgeInstanceHistory(params.id!);
    },
  },
  {
    method: 'GET',
    pattern: ['entities'],
    async run({ client, query }) {
      const name = query.get('name');
      const token = query.get('continuationToken');
      return client.listEntities({ fetchState: true, pageSize: pageSizeOf(query), ...(name && { name }), ...(token && { continuationToken: token }) });
    },
  },
  {
    method: 'GET',
    pattern: ['schedules'],
    async run({ client, query }) {
      const token = query.get('continuationToken');
      return client.schedules.list({ pageSize: pageSizeOf(query), ...(token && { continuationToken: token }) });
    },
  },
  ...(['pause', 'resume', 'trigger'] as const).map(
    (action): Route => ({
      method: 'POST',
      pattern: ['schedules', ':id', action],
      async run({ client, params, request }) {
        const body = await readJsonBody(request);
        const id = params.id!;
        if (action === 'pause') return { schedule: await client.schedules.pause(id, reasonOf(body)) };
        if (action === 'resume') return { schedule: await client.schedules.resume(id) };
        return { instanceId: await client.schedules.trigger(id) };
      },
    }),
  ),
  {
    method: 'DELETE',
    pattern: ['schedules', ':id'],
    async run({ client, params }) {
      await client.schedules.delete(params.id!);
      return { ok: true };
    },
  },
];

const notFound = (id: string) => new DashboardError(404, 'INSTANCE_NOT_FOUND', `no instance '${id}'`);

/** `/session` (who, the CSRF token, the hubs, read-only) or a hub's route. */
export async function runApi(options: ResolvedOptions, request: Request, segments: string[], session: { principal: Principal; csrfToken: string }): Promise<unknown> {
  const method = request.method.toUpperCase();
  if (segments.length === 1 && segments[0] === 'session') {
    if (method !== 'GET') throw methodNotAllowed(method);
    return { principal: session.principal, csrfToken: session.csrfToken, readOnly: options.readOnly, hubs: [...options.hubs.keys()] };
  }
  if (segments[0] !== 'hubs' || segments.length < 3) throw new DashboardError(404, 'NOT_FOUND', 'no such API route');
  const runtime = options.hubs.get(segments[1]!);
  if (!runtime) throw new DashboardError(404, 'HUB_NOT_FOUND', `no task hub '${segments[1]}' is served here`);
  const rest = segments.slice(2);
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = match(route.pattern, rest);
    if (!params) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return route.run({ client: runtime.client, params, query: new URL(request.url).searchParams, request });
  }
  if (pathMatched) throw methodNotAllowed(method);
  throw new DashboardError(404, 'NOT_FOUND', 'no such API route');
}

/** Whether a method changes state (and so needs the same-origin and CSRF checks). */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    else if (p !== segments[i]) return undefined;
  }
  return params;
}

const methodNotAllowed = (method: string) => new DashboardError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here`);
