/**
 * Check-status responses, as durable-functions' client builds them: a `202`
 * whose body is the HTTP management payload (the instance's webhook URLs)
 * with `Location` (the status URL) and `Retry-After: 10`. The URLs are
 * `{origin}{prefix}/instances/{id}...?taskHub={hub}[&connection=..][&code=..]`,
 * the shapes of the Durable Functions HTTP API that `@reprise/http` serves;
 * the origin is the request's unless `baseUrl` says otherwise.
 *
 * Core never imports @reprise/http: it only needs to know where that API is
 * mounted (`prefix`) and under which public URL (`baseUrl`).
 */
import { InvalidArgumentError } from '../errors.js';
import { isTerminal } from '../status.js';
import type { OrchestrationStatus } from '../status-types.js';
import { validateName } from './validate.js';

/** Where the Durable Functions HTTP API is reachable; a runtime option (`managementUrls`) and a per-call override. */
export interface ManagementUrlOptions {
  /**
   * Scheme and host (and any path before the prefix) to build on, e.g.
   * `https://api.example.com`. @default the request's origin
   */
  baseUrl?: string;
  /** Where the API is mounted. @default '/runtime/webhooks/durabletask' */
  prefix?: string;
  /** The key the API asks for (its `systemKey`), carried as `code=`. @default none */
  code?: string;
  /** Carried as `connection=`, as Durable Functions does. @default none */
  connection?: string;
}

/** A web `Request`, durable-functions' `HttpRequest`, or Node's `IncomingMessage` (relative `url`, `host` header). */
export interface CheckStatusRequest {
  url?: string | undefined;
  headers?: { get(name: string): string | null } | Record<string, string | string[] | undefined>;
}

/** The instance's management URLs, as durable-functions' `createHttpManagementPayload` gives them. */
export interface HttpManagementPayload {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
}

/** The response as plain data, for handlers that write it themselves (`res.writeHead(status, headers).end(body)`). */
export interface PlainHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A web `Response`, with the same response as plain data in `plain`. */
export type CheckStatusResponse = Response & { readonly plain: PlainHttpResponse };

export interface WaitOrCheckStatusOptions extends ManagementUrlOptions {
  /** How long to wait for the instance to end before answering 202. @default 10000 */
  timeoutInMilliseconds?: number;
  /**
   * Accepted for durable-functions compatibility and checked (at most the
   * timeout); the wait is driven by store notices, so nothing polls. @default 1000
   */
  retryIntervalInMilliseconds?: number;
}

export const DEFAULT_MANAGEMENT_PREFIX = '/runtime/webhooks/durabletask';
/** Durable Functions' `Retry-After` on check-status responses. */
const RETRY_AFTER_SECONDS = '10';

export function managementPayload(taskHub: string, defaults: ManagementUrlOptions | undefined, request: CheckStatusRequest, instanceId: string, urls?: ManagementUrlOptions): HttpManagementPayload {
  validateName(instanceId, 'instanceId');
  // A field left undefined in the call keeps the runtime's setting.
  const options: ManagementUrlOptions = { ...defaults, ...Object.fromEntries(Object.entries(urls ?? {}).filter(([, v]) => v !== undefined)) };
  const prefix = (options.prefix ?? DEFAULT_MANAGEMENT_PREFIX).replace(/\/+$/, '');
  if (prefix !== '' && !prefix.startsWith('/')) throw new InvalidArgumentError(`prefix '${prefix}' must start with '/'`);
  const root = `${baseOf(options.baseUrl, request)}${prefix}`;
  const query = [`taskHub=${encodeURIComponent(taskHub)}`];
  if (options.connection !== undefined) query.push(`connection=${encodeURIComponent(options.connection)}`);
  if (options.code !== undefined) query.push(`code=${encodeURIComponent(options.code)}`);
  const common = query.join('&');
  const instance = `${root}/instances/${encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${common}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
    purgeHistoryDeleteUri: `${instance}?${common}`,
  };
}

export function checkStatusResponse(payload: HttpManagementPayload): CheckStatusResponse {
  return respond(202, JSON.stringify(payload), { location: payload.statusQueryGetUri, 'retry-after': RETRY_AFTER_SECONDS });
}

/** 200 with the output of a Completed instance, 200 with the status of one that Failed, was Terminated or Canceled; otherwise the check-status 202. */
export function completionResponse(status: OrchestrationStatus | undefined, payload: () => HttpManagementPayload): CheckStatusResponse {
  if (!status || !isTerminal(status.runtimeStatus)) return checkStatusResponse(payload());
  if (status.runtimeStatus === 'Completed') return respond(200, JSON.stringify(status.output ?? null));
  return respond(200, JSON.stringify(status));
}

/** The timeout and interval of a wait, checked as durable-functions checks them. */
export function waitTimes(options: WaitOrCheckStatusOptions): { timeoutMs: number } {
  const { timeoutInMilliseconds: timeoutMs = 10_000, retryIntervalInMilliseconds: interval = 1_000 } = options;
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new InvalidArgumentError('timeoutInMilliseconds must be a non-negative number');
  if (!(interval > 0) || !Number.isFinite(interval)) throw new InvalidArgumentError('retryIntervalInMilliseconds must be a positive number');
  if (interval > timeoutMs) throw new InvalidArgumentError(`retryIntervalInMilliseconds (${interval}) must not be greater than timeoutInMilliseconds (${timeoutMs})`);
  return { timeoutMs };
}

function respond(status: number, body: string, extra: Record<string, string> = {}): CheckStatusResponse {
  const headers = { 'content-type': 'application/json', ...extra };
  const response = new Response(body, { status, headers }) as CheckStatusResponse;
  Object.defineProperty(response, 'plain', { value: Object.freeze({ status, headers, body }), enumerable: true });
  return response;
}

function baseOf(baseUrl: string | undefined, request: CheckStatusRequest): string {
  if (baseUrl !== undefined) return absolute(baseUrl, 'baseUrl').replace(/\/+$/, '');
  if (!request || typeof request !== 'object') throw new InvalidArgumentError('a check-status response needs the request (its url) or a baseUrl');
  if (typeof request.url === 'string' && /^https?:\/\//i.test(request.url)) return new URL(request.url).origin;
  // Node's IncomingMessage: the url is a path, the host is a header.
  const host = headerOf(request, 'host');
  if (!host) throw new InvalidArgumentError('the request has a relative url and no host header: give a baseUrl');
  return absolute(`http://${host}`, 'host header');
}

function headerOf(request: CheckStatusRequest, name: string): string | undefined {
  const { headers } = request;
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

function absolute(value: string, what: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    throw new InvalidArgumentError(`${what} '${value}' is not an absolute http(s) URL`);
  }
}
