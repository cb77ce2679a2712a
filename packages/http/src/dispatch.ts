/**
 * The handler's core, on Web Request/Response. For every request whose path
 * belongs to a mounted document, in this order: system key (401), path
 * shape (400: dot or empty segments), method (405), path parameters (400),
 * task hub (404), then the operation; whatever is thrown is answered through
 * the one error mapping (errors.ts). A path that belongs to no document is
 * not answered here (`undefined`), so the adapters can hand it on to the
 * app's own routes. HEAD is answered as GET, without the body.
 *
 * The path is routed as the client sent it (see router.ts): the Node adapter
 * hands in `req.url`'s raw path, because `new URL` / `new Request` resolve
 * dot segments and would route `/instances/%2e` as `/instances/`.
 */
import type { ErrorHandler, Runtime } from '@reprise/core';
import { createAuthenticator } from './auth.js';
import { readJson } from './body.js';
import type { OperationContext } from './context.js';
import { HttpError, badRequest, toErrorReply } from './errors.js';
import type { ErrorContext } from './errors.js';
import { DURABLE_FUNCTIONS_PREFIXES, resolveOptions, resolveRuntimes } from './options.js';
import type { HttpHandlerOptions } from './options.js';
import { Query } from './query.js';
import { errorResponse, json } from './reply.js';
import { createRouter } from './router.js';
import type { Mount } from './router.js';
import { durableFunctionsRoutes } from './routes/durable-functions.js';
import { orchestrationApiRoutes } from './routes/orchestration-api.js';
import { workflowServiceRoutes } from './routes/workflow-service.js';
import { orchestratorRunsRoutes } from './routes/orchestrator-runs.js';
import { applicationInstancesRoutes, servesApplications } from './routes/application-instances.js';

export interface Api {
  /** True when the raw path belongs to a mounted document (answered here, possibly with 400/401/405). */
  matches(pathname: string): boolean;
  /**
   * Answers a request of a mounted document; `undefined` for any other path.
   * @param from.pathname the raw path as the client sent it (default: the request URL's path,
   *   which a fetch-style server has already normalised).
   * @param from.mountPath the path the app mounted the handler under (Express's `app.use('/x', ...)`),
   *   already removed from the request's URL; management URLs put it back.
   */
  handle(request: Request, from?: { pathname?: string; mountPath?: string }): Promise<Response | undefined>;
  readonly maxBodyBytes: number;
  readonly trustProxy: boolean;
}

export function createApi(runtimes: Runtime | readonly Runtime[], options: HttpHandlerOptions | undefined): Api {
  const resolved = resolveOptions(options);
  const hubs = resolveRuntimes(runtimes);
  const authenticate = createAuthenticator(resolved);
  const onError = reporter(options?.onError);
  const mounts: Mount<OperationContext>[] = [
    ...resolved.durableFunctionsPrefixes.map((prefix) => ({ prefix, document: 'durable-functions' as const, routes: durableFunctionsRoutes })),
    ...resolved.orchestrationApiPrefixes.map((prefix) => ({ prefix, document: 'orchestration-api' as const, routes: orchestrationApiRoutes })),
    ...resolved.workflowServicePrefixes.map((prefix) => ({ prefix, document: 'workflow-service' as const, routes: workflowServiceRoutes, claims: 'routes' as const })),
    ...resolved.orchestratorRunsPrefixes.map((prefix) => ({ prefix, document: 'orchestrator-runs' as const, routes: orchestratorRunsRoutes })),
    // Served when a mounted runtime has applications (withApplications); its paths under the shared `/api/1` only.
    ...(servesApplications(hubs) ? resolved.applicationInstancesPrefixes : []).map((prefix) => ({ prefix, document: 'application-instances' as const, routes: applicationInstancesRoutes, claims: 'routes' as const })),
  ];
  const router = createRouter(mounts);
  const durableFunctionsPrefix = resolved.durableFunctionsPrefixes[0] ?? DURABLE_FUNCTIONS_PREFIXES[0];
  const first = hubs[0]!;

  const findHub = (name: string): Runtime => {
    const exact = hubs.find((r) => r.taskHub === name);
    if (exact) return exact;
    const folded = hubs.filter((r) => r.taskHub.toLowerCase() === name.toLowerCase());
    if (folded.length === 1) return folded[0]!;
    throw new HttpError(404, 'TASK_HUB_NOT_FOUND', `no task hub '${name.slice(0, 64)}' is mounted here`);
  };

  return {
    maxBodyBytes: resolved.maxBodyBytes,
    trustProxy: resolved.trustProxy,
    matches: (pathname) => router.match(pathname) !== undefined,
    async handle(request, from = {}) {
      const url = new URL(request.url);
      const match = router.match(from.pathname ?? url.pathname);
      if (!match) return undefined;
      const mountPath = from.mountPath ?? '';
      const method = request.method.toUpperCase();
      let errorContext: ErrorContext = 'default';
      try {
        const query = new Query(url.searchParams);
        const principal = await authenticate(request, query.get('code'));
        if ('invalid' in match) throw badRequest(match.invalid, 'INVALID_PATH');
        // HEAD is GET without the body (RFC 9110 §9.3.2).
        const routeMethod = method === 'HEAD' ? 'GET' : method;
        const candidate = match.candidates.find((c) => c.route.method === routeMethod);
        if (!candidate) {
          const allow = [...new Set(match.candidates.map((c) => c.route.method))].join(', ');
          throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method.slice(0, 16)} is not supported on this route; use ${allow}`, { allow });
        }
        errorContext = candidate.route.errors ?? 'default';
        const params = decodeParams(candidate.rawParams);
        const hubName = query.get('taskHub', 'taskHubName');
        const runtime = hubName === undefined ? first : findHub(hubName);
        const base = resolved.publicBaseUrl ?? `${url.origin}${mountPath}`;
        let body: Promise<unknown> | undefined;
        const context: OperationContext = {
          request,
          principal,
          query,
          params,
          runtime,
          client: runtime.client,
          hub: findHub,
          options: resolved,
          mountRoot: `${base}${match.mount.prefix}`,
          durableFunctionsRoot: `${base}${durableFunctionsPrefix}`,
          selfUrl: `${base}${match.mount.prefix}${match.rest}${url.search}`,
          urlParams: {
            taskHub: hubName === undefined ? undefined : runtime.taskHub,
            connection: query.get('connection', 'connectionName'),
            code: query.get('code'),
          },
          body: () => (body ??= readJson(request, resolved.maxBodyBytes)),
        };
        const response = await candidate.route.operation(context);
        return method === 'HEAD' ? await withoutBody(response) : response;
      } catch (error) {
        const reply = toErrorReply(error, errorContext);
        if (reply.status >= 500) onError(error);
        const response = errorResponse(reply);
        return method === 'HEAD' ? await withoutBody(response) : response;
      }
    },
  };
}

/**
 * The one way errors reach the app's `onError`. A throwing `onError` must not
 * turn an answered request into an unhandled rejection (which ends a Node
 * process): what it throws is logged and dropped.
 */
export function reporter(onError: ErrorHandler | undefined): ErrorHandler {
  if (!onError) return (error) => console.error('[reprise/http]', error);
  return (error) => {
    try {
      onError(error);
    } catch (thrown) {
      console.error('[reprise/http] onError threw while reporting', error, thrown);
    }
  };
}

/** The same answer without its body; Content-Length still says what GET would send. */
async function withoutBody(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  if (response.body) headers.set('content-length', String((await response.arrayBuffer()).byteLength));
  return new Response(null, { status: response.status, statusText: response.statusText, headers });
}

/** A fallback answer for a path that belongs to no document, where there is no next handler. */
export function notFoundResponse(method: string, pathname: string): Response {
  return json(404, { error: 'NOT_FOUND', message: `no route for ${method.slice(0, 16)} ${pathname.slice(0, 256)}` });
}

function decodeParams(raw: ReadonlyMap<string, string>): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of raw) {
    try {
      params.set(name, decodeURIComponent(value));
    } catch {
      throw badRequest(`the path parameter '${name}' is not valid percent-encoding`);
    }
  }
  return params;
}
