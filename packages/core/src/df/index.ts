/**
 * @reprise/core/df: the durable-functions shapes a port needs beside the
 * core API, so an app moves by changing imports and `context.df.` to `ctx.`
 * (see docs/porting-from-durable-functions.md). Everything here is thin: the
 * classes build the plain values the core takes.
 */
export { RetryOptions } from './retry-options.js';
export { EntityId } from './entity-id.js';
export type { DurableHttpRequest, DurableHttpResponse, TokenSource } from '../engine/call-http.js';
export type {
  CheckStatusRequest,
  CheckStatusResponse,
  HttpManagementPayload,
  ManagementUrlOptions,
  PlainHttpResponse,
  WaitOrCheckStatusOptions,
} from '../client/check-status.js';
export type { OrchestrationContext as DurableOrchestrationContext, ReplaySafeLogger } from '../engine/context.js';
export type { OrchestrationClient as DurableClient } from '../client/public-client.js';
export type { OrchestrationStatus as DurableOrchestrationStatus } from '../status-types.js';
