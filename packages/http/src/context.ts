/** What an operation of a route table receives. */
import type { OrchestrationClient, Runtime, TraceContextCarrier } from '@reprise/core';
import type { Principal, ResolvedHttpOptions } from './options.js';
import type { Query } from './query.js';
import type { UrlParams } from './urls.js';

export interface OperationContext {
  request: Request;
  /** Who is calling (see auth.ts): the host app's principal, the system key's, or the anonymous one. */
  principal: Principal;
  query: Query;
  /** Percent-decoded path parameters. */
  params: ReadonlyMap<string, string>;
  /** The task hub the request picked (`taskHub`, or the orchestration REST facade's `taskHubName`), else the first. */
  runtime: Runtime;
  client: OrchestrationClient;
  /** Finds a mounted hub by name; an unknown hub is a 404. */
  hub(name: string): Runtime;
  options: ResolvedHttpOptions;
  /** Absolute URL of the mount this request came in on, e.g. `http://host/runtime/webhooks/durabletask`. */
  mountRoot: string;
  /** Absolute URL of the Durable Functions API mount (the orchestration REST facade's managementWebhookUrls point there). */
  durableFunctionsRoot: string;
  /** This request's own URL, rebuilt on the public base (the Location of a 202 status). */
  selfUrl: string;
  /** The `taskHub`, `connection` and `code` to carry into management URLs. */
  urlParams: UrlParams;
  /** The JSON body (undefined when empty), read once with the byte limit. */
  body(): Promise<unknown>;
}

export function param(context: OperationContext, name: string): string {
  const value = context.params.get(name);
  if (value === undefined) throw new Error(`route table bug: no parameter '${name}'`);
  return value;
}

/**
 * The caller's W3C trace context (`traceparent`, `tracestate` headers), so
 * the instance it starts or the event it raises joins the caller's trace. A
 * malformed header is ignored, as the W3C recommendation says.
 */
export function traceContextOf(context: OperationContext): { traceContext?: TraceContextCarrier } {
  const traceparent = context.request.headers.get('traceparent');
  if (traceparent === null || !/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent.trim())) return {};
  const tracestate = context.request.headers.get('tracestate');
  return { traceContext: { traceparent: traceparent.trim(), ...(tracestate !== null && { tracestate }) } };
}
