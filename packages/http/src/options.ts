/**
 * Handler options and their checks. Invariants:
 * - a handler never exposes the API by accident: without a `systemKey` it
 *   needs an explicit `allowAnonymous: true`, otherwise creation throws;
 * - every task hub is mounted once; the first runtime is the default hub.
 */
import { InvalidArgumentError } from '@reprise/core';
import type { ErrorHandler, Runtime } from '@reprise/core';

/** Who is calling. `id` is what the documents show as the creator or owner (`_createdby`, `ownerId`). */
export interface Principal {
  id: string;
  /** True for a caller that presented a system key (`code` / `x-functions-key`). */
  system?: boolean;
  /** True when the handler serves without credentials (`allowAnonymous`) and none were given. */
  anonymous?: boolean;
  /** Anything the host app's `authenticate` wants to carry to `authorize` hooks. */
  claims?: Readonly<Record<string, unknown>>;
}

/**
 * The host app's own identity check, for every mount. Return the caller, or
 * `undefined` to fall back to the system key (and then 401 without one).
 */
export type Authenticate = (request: Request) => Principal | undefined | Promise<Principal | undefined>;

/**
 * What a caller asks to do on the application-instances API (`authorize`'s second argument):
 * - `instances.list`: list instances of an environment, application or revision;
 * - `instance.read`: read one instance; `schedules.list`: its scheduled workflows;
 * - `workflow.run`, `workflow.schedule`, `workflow.reschedule`: run / schedule / move a workflow (`destroy` as a workflow is `instance.destroy`);
 * - `instance.editUserData`, `instance.configure`, `instance.destroy`: change the instance ("EditInstance").
 */
export type ApplicationAction =
  | 'instances.list'
  | 'instance.read'
  | 'schedules.list'
  | 'workflow.run'
  | 'workflow.schedule'
  | 'workflow.reschedule'
  | 'instance.editUserData'
  | 'instance.configure'
  | 'instance.destroy';

/** What the action is on: the ids the request names (path parameters). */
export interface ApplicationTarget {
  instanceId?: string;
  workflow?: string;
  environmentId?: string;
  applicationId?: string;
  revisionId?: string;
}

/** May this principal do this? `false` is a 403. A throwing hook is the server's fault (500). */
export type Authorize = (principal: Principal, action: ApplicationAction, target: ApplicationTarget) => boolean | Promise<boolean>;

export const DURABLE_FUNCTIONS_PREFIXES = ['/runtime/webhooks/durabletask', '/admin/extensions/DurableTaskExtension'] as const;
export const ORCHESTRATION_API_PREFIXES = ['/api/orchestration'] as const;
export const WORKFLOW_SERVICE_PREFIXES = ['/api'] as const;
export const ORCHESTRATOR_RUNS_PREFIXES = ['/datasourcesvc/api/v1'] as const;
export const APPLICATION_INSTANCES_PREFIXES = ['/api/1'] as const;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_RETRY_AFTER_SECONDS = 10;

export interface HttpHandlerOptions {
  /**
   * The key every request must carry, as the `code` query parameter or the
   * `x-functions-key` header. Several keys may be given (key rotation).
   */
  systemKey?: string | readonly string[] | undefined;
  /** Serve without a key. Must be said explicitly: a handler with neither a key, an `authenticate` nor this throws. */
  allowAnonymous?: boolean;
  /**
   * The host app's identity check, tried before the system key on every mount:
   * a principal it returns is the caller; `undefined` falls back to the key rules.
   */
  authenticate?: Authenticate;
  /**
   * Where the Durable Functions HTTP API (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api) is served; `[]` turns it off.
   * @default ['/runtime/webhooks/durabletask', '/admin/extensions/DurableTaskExtension']
   */
  durableFunctionsPrefixes?: readonly string[];
  /**
   * Where the orchestration REST facade (`/api/orchestration`) is served; `[]` turns it off.
   * @default ['/api/orchestration']
   */
  orchestrationApiPrefixes?: readonly string[];
  /**
   * Where the workflow service API (workflows of a project, tasks, relaunch, ping) is served; `[]` turns it off.
   * The prefix is shared with the host app: only the document's own paths are claimed.
   * @default ['/api']
   */
  workflowServicePrefixes?: readonly string[];
  /**
   * Where the namespaced orchestrator-runs API (`/orchrun`, `nsfilter`) is served; `[]` turns it off.
   * @default ['/datasourcesvc/api/v1']
   */
  orchestratorRunsPrefixes?: readonly string[];
  /** The orchestrator-runs document's settings (see OrchestratorRunsOptions). */
  orchestratorRuns?: OrchestratorRunsOptions;
  /**
   * Where the application-instances API is served (when the runtime has applications); `[]` turns it off.
   * @default ['/api/1']
   */
  applicationInstancesPrefixes?: readonly string[];
  /**
   * Who may do what on the application-instances API. Without it, the system
   * key's principal and the anonymous one (`allowAnonymous`) may do
   * everything and every other principal (from `authenticate`) nothing (403).
   */
  authorize?: Authorize;
  /**
   * Largest request body read, in bytes; a larger one is answered 413 without reading the rest.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * The URL at which the handler's root is reachable from outside (e.g.
   * `https://api.example.com/durable`). Management URLs and `Location`
   * headers are built on it instead of the request's scheme, host and mount path.
   */
  publicBaseUrl?: string;
  /**
   * Take scheme and host from `X-Forwarded-Proto` / `X-Forwarded-Host` (node adapter only).
   * Only behind a proxy that sets them.
   * @default false
   */
  trustProxy?: boolean;
  /** @default 10 */
  retryAfterSeconds?: number;
  /**
   * Show the `stack` of failure details (a Failed instance's output, `Details`
   * of failure events in histories). Off by default: stacks carry server file
   * paths. The core status keeps them either way (`client.getStatus`).
   * @default false
   */
  exposeErrorDetails?: boolean;
  /** Receives errors of the server's own making (answered 500/503), never a client's mistakes. @default console.error */
  onError?: ErrorHandler;
}

/** The orchestrator-runs document (`/orchrun`): every namespace is one concurrency group. */
export interface OrchestratorRunsOptions {
  /**
   * Each namespace's group: at most `limit` runs at once, at most `maxQueued`
   * waiting (QUEUED); a create that finds `maxQueued` waiting is answered 400
   * and stores nothing. Positive and non-negative integers.
   * @default { limit: 10, maxQueued: 20 }
   */
  concurrency?: { limit?: number; maxQueued?: number };
}

export const DEFAULT_ORCHESTRATOR_RUNS_CONCURRENCY = Object.freeze({ limit: 10, maxQueued: 20 });

export interface ResolvedHttpOptions {
  keys: readonly string[];
  durableFunctionsPrefixes: readonly string[];
  orchestrationApiPrefixes: readonly string[];
  workflowServicePrefixes: readonly string[];
  orchestratorRunsPrefixes: readonly string[];
  applicationInstancesPrefixes: readonly string[];
  orchestratorRuns: { concurrency: { limit: number; maxQueued: number } };
  authenticate: Authenticate | undefined;
  authorize: Authorize | undefined;
  allowAnonymous: boolean;
  maxBodyBytes: number;
  publicBaseUrl: string | undefined;
  trustProxy: boolean;
  retryAfterSeconds: number;
  exposeErrorDetails: boolean;
}

export function resolveOptions(options: HttpHandlerOptions | undefined): ResolvedHttpOptions {
  const o = options ?? {};
  const keys = (o.systemKey === undefined ? [] : typeof o.systemKey === 'string' ? [o.systemKey] : [...o.systemKey]).filter((k) => k !== '');
  for (const key of keys) if (typeof key !== 'string') throw new InvalidArgumentError('systemKey must be a string or an array of strings');
  if (o.authenticate !== undefined && typeof o.authenticate !== 'function') throw new InvalidArgumentError('authenticate must be a function (request) => principal | undefined');
  if (o.authorize !== undefined && typeof o.authorize !== 'function') throw new InvalidArgumentError('authorize must be a function (principal, action, target) => boolean');
  if (keys.length === 0 && o.authenticate === undefined && o.allowAnonymous !== true) {
    throw new InvalidArgumentError('@reprise/http: give a systemKey or an authenticate function, or pass { allowAnonymous: true } to serve the management API without authentication');
  }
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new InvalidArgumentError(`maxBodyBytes must be a non-negative integer, got ${String(maxBodyBytes)}`);
  const retryAfterSeconds = o.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new InvalidArgumentError(`retryAfterSeconds must be a non-negative integer, got ${String(retryAfterSeconds)}`);
  return {
    keys,
    durableFunctionsPrefixes: prefixes(o.durableFunctionsPrefixes ?? DURABLE_FUNCTIONS_PREFIXES, 'durableFunctionsPrefixes'),
    orchestrationApiPrefixes: prefixes(o.orchestrationApiPrefixes ?? ORCHESTRATION_API_PREFIXES, 'orchestrationApiPrefixes'),
    workflowServicePrefixes: prefixes(o.workflowServicePrefixes ?? WORKFLOW_SERVICE_PREFIXES, 'workflowServicePrefixes'),
    orchestratorRunsPrefixes: prefixes(o.orchestratorRunsPrefixes ?? ORCHESTRATOR_RUNS_PREFIXES, 'orchestratorRunsPrefixes'),
    applicationInstancesPrefixes: prefixes(o.applicationInstancesPrefixes ?? APPLICATION_INSTANCES_PREFIXES, 'applicationInstancesPrefixes'),
    orchestratorRuns: orchestratorRunsOptions(o.orchestratorRuns),
    authenticate: o.authenticate,
    authorize: o.authorize,
    allowAnonymous: o.allowAnonymous === true,
    maxBodyBytes,
    publicBaseUrl: o.publicBaseUrl === undefined ? undefined : baseUrl(o.publicBaseUrl),
    trustProxy: o.trustProxy === true,
    retryAfterSeconds,
    exposeErrorDetails: o.exposeErrorDetails === true,
  };
}

/** The runtimes by task hub, in the order given; the first is the default hub. */
export function resolveRuntimes(runtimes: Runtime | readonly Runtime[]): readonly Runtime[] {
  const list = Array.isArray(runtimes) ? [...(runtimes as readonly Runtime[])] : [runtimes as Runtime];
  if (list.length === 0) throw new InvalidArgumentError('@reprise/http needs at least one runtime');
  const seen = new Set<string>();
  for (const runtime of list) {
    if (!runtime || typeof runtime !== 'object' || !runtime.client || typeof runtime.taskHub !== 'string') throw new InvalidArgumentError('@reprise/http takes runtimes made by createRuntime');
    if (seen.has(runtime.taskHub)) throw new InvalidArgumentError(`task hub '${runtime.taskHub}' is mounted twice`);
    seen.add(runtime.taskHub);
  }
  return list;
}

function prefixes(values: readonly string[], what: string): readonly string[] {
  if (!Array.isArray(values)) throw new InvalidArgumentError(`${what} must be an array of paths`);
  return values.map((value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith('/')) throw new InvalidArgumentError(`${what}: '${String(value)}' must be a path starting with '/'`);
    return value.replace(/\/+$/, '');
  });
}

function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`publicBaseUrl '${value}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`publicBaseUrl '${value}' must be http or https`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function orchestratorRunsOptions(value: OrchestratorRunsOptions | undefined): ResolvedHttpOptions['orchestratorRuns'] {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw new InvalidArgumentError('orchestratorRuns must be an object');
  const concurrency = value?.concurrency ?? {};
  if (typeof concurrency !== 'object' || concurrency === null) throw new InvalidArgumentError('orchestratorRuns.concurrency must be an object');
  const limit = concurrency.limit ?? DEFAULT_ORCHESTRATOR_RUNS_CONCURRENCY.limit;
  const maxQueued = concurrency.maxQueued ?? DEFAULT_ORCHESTRATOR_RUNS_CONCURRENCY.maxQueued;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`orchestratorRuns.concurrency.limit must be a positive integer, got ${String(limit)}`);
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new InvalidArgumentError(`orchestratorRuns.concurrency.maxQueued must be a non-negative integer, got ${String(maxQueued)}`);
  return { concurrency: { limit, maxQueued } };
}
