/**
 * Durable HTTP (`ctx.callHttp`), the Durable Functions pattern: each request
 * runs as the built-in activity `BuiltIn::HttpActivity` (recorded, redelivered
 * after a crash like any activity), and a `202 Accepted` with a `Location`
 * header is polled with GETs separated by durable timers until the answer is
 * not 202.
 *
 * Invariants:
 * - Every request and every wait is an action with its own sequence number,
 *   created while the executor processes the previous one's completion, so a
 *   replay recreates the same ones and never sends a request again.
 * - The wait honours `Retry-After` (seconds or an HTTP date) and is 30 s
 *   without one, as in Durable Functions.
 * - A token source is code, not data: it stays in the process that ran the
 *   orchestrator code (keyed by instance and the call's index, which replay
 *   reproduces) and only that index goes into history, so no token or secret
 *   is ever stored.
 */
import { InvalidArgumentError } from '../errors.js';
import { CompositeTask, Task } from './task.js';

/** The name of the built-in activity that sends one request. */
export const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';
/** The wait between polls when a 202 carries no `Retry-After`, as in Durable Functions. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
/** One request's timeout unless `timeoutInMilliseconds` says otherwise (the .NET HttpClient default that Durable Functions inherits). */
export const DEFAULT_HTTP_TIMEOUT_MS = 100_000;

/** Gives the bearer token a request carries (`Authorization: Bearer <token>`); called in the activity, never in orchestrator code. */
export interface TokenSource {
  getToken(): Promise<string>;
}

export interface DurableHttpRequest {
  /** GET, POST, ... (upper-cased). */
  method: string;
  /** Absolute http(s) URL. */
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (with `content-type: application/json` unless a header says otherwise). */
  body?: unknown;
  tokenSource?: TokenSource;
  /** Poll a 202 with a `Location` header until it is done. @default true */
  asynchronousPatternEnabled?: boolean;
  /** The durable-functions v3 name of `asynchronousPatternEnabled`. */
  enablePolling?: boolean;
  /** Each request's own timeout; a request that takes longer fails the task with a TimeoutError. @default 100000 */
  timeoutInMilliseconds?: number;
}

export interface DurableHttpResponse {
  statusCode: number;
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body as text ('' when empty). */
  content: string;
}

/** What the built-in activity receives: plain data, stored in history. */
export interface HttpActivityInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A token source was given: the index of the callHttp call that registered it (see rememberTokenSource). */
  tokenSource?: number;
}

/** Check a request and turn it into the activity's stored input; `callIndex` names its token source, if any. */
export function httpActivityInput(request: DurableHttpRequest, callIndex: number): HttpActivityInput {
  if (!request || typeof request !== 'object') throw new InvalidArgumentError('callHttp needs { method, url }');
  const { method, url, headers = {}, body, tokenSource, timeoutInMilliseconds = DEFAULT_HTTP_TIMEOUT_MS } = request;
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw new InvalidArgumentError(`callHttp: method must be an HTTP method name, got ${String(method)}`);
  if (!isHttpUrl(url)) throw new InvalidArgumentError(`callHttp: url must be an absolute http(s) URL, got ${String(url)}`);
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string')) {
    throw new InvalidArgumentError('callHttp: headers must map names to strings');
  }
  if (tokenSource !== undefined && typeof tokenSource?.getToken !== 'function') throw new InvalidArgumentError('callHttp: tokenSource must have a getToken() method');
  if (!(timeoutInMilliseconds > 0) || !Number.isFinite(timeoutInMilliseconds)) throw new InvalidArgumentError('callHttp: timeoutInMilliseconds must be a positive number');
  const named = { ...headers };
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body !== undefined) {
    text = JSON.stringify(body);
    if (!Object.keys(named).some((h) => h.toLowerCase() === 'content-type')) named['content-type'] = 'application/json';
  }
  return {
    method: method.toUpperCase(),
    url,
    headers: named,
    ...(text !== undefined && { body: text }),
    timeoutMs: timeoutInMilliseconds,
    ...(tokenSource !== undefined && { tokenSource: callIndex }),
  };
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Milliseconds to wait before the next poll, from `Retry-After` (delta seconds or an HTTP date) at time `now`. */
export function pollDelay(headers: Record<string, string>, now: number): number {
  const value = headers['retry-after']?.trim();
  if (value === undefined || value === '') return DEFAULT_POLL_INTERVAL_MS;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_POLL_INTERVAL_MS : Math.max(0, date - now);
}

// Token sources live in the process that ran the orchestrator code; bounded so an item run elsewhere never leaks one.
const MAX_TOKEN_SOURCES = 10_000;
const tokenSources = new Map<string, TokenSource>();
const tokenKey = (instanceId: string, callIndex: number) => `${instanceId}\u0000${callIndex}`;

export function rememberTokenSource(instanceId: string, callIndex: number, source: TokenSource): void {
  const key = tokenKey(instanceId, callIndex);
  tokenSources.delete(key);
  tokenSources.set(key, source);
  if (tokenSources.size > MAX_TOKEN_SOURCES) tokenSources.delete(tokenSources.keys().next().value!);
}

export function tokenSourceFor(instanceId: string, callIndex: number): TokenSource | undefined {
  return tokenSources.get(tokenKey(instanceId, callIndex));
}

/** What the polling task needs from the context: schedule a request, schedule a wait, read the time. */
export interface HttpTaskHooks {
  now(): number;
  send(input: HttpActivityInput, after: Task<unknown>): Task<DurableHttpResponse>;
  wait(fireAt: number, after: Task<unknown>): Task<unknown>;
}

/** A request and, with the asynchronous pattern, its polls: completes with the first answer that is not a 202 to poll. */
export class HttpTask extends CompositeTask<DurableHttpResponse> {
  #current: Task<unknown>;
  #waiting = false;
  #location = '';
  /** The URL that gave the answer being looked at: a relative Location is resolved against it. */
  #url: string;
  constructor(
    first: Task<DurableHttpResponse>,
    private readonly request: HttpActivityInput,
    private readonly polling: boolean,
    private readonly hooks: HttpTaskHooks,
  ) {
    super([first]);
    this.#current = first;
    this.#url = request.url;
    if (first.isCompleted) this.onChildSettled(first);
  }

  override onChildSettled(child: Task<unknown>): void {
    if (this.isCompleted || child !== this.#current) return;
    if (child.isFaulted) return this.fail(child.error!);
    if (this.#waiting) {
      this.#waiting = false;
      // The poll is a GET of the Location with the first request's headers and token (no body), as Durable Functions sends it.
      const { body: _body, ...rest } = this.request;
      this.#url = this.#location;
      return this.#follow(this.hooks.send({ ...rest, method: 'GET', url: this.#location }, child));
    }
    const response = child.result as DurableHttpResponse;
    const location = response.headers.location;
    if (!this.polling || response.statusCode !== 202 || location === undefined) return this.complete(response);
    this.#location = new URL(location, this.#url).toString();
    this.#waiting = true;
    const now = this.hooks.now();
    this.#follow(this.hooks.wait(now + pollDelay(response.headers, now), child));
  }

  /** The request or wait that settled it. */
  override steps(): number[] {
    return this.#current.steps();
  }

  #follow(task: Task<unknown>): void {
    this.#current = task;
    task.addParent(this as CompositeTask<unknown>);
    if (task.isCompleted) this.onChildSettled(task);
  }
}
