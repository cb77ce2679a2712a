/**
 * The built-in activity behind `ctx.callHttp`: sends one request and gives
 * back status, headers and body. Any status is an answer (a 500 is returned,
 * not thrown, as in Durable Functions); only a request that gets no answer
 * (refused connection, timeout) fails the activity.
 */
import type { ActivityContext, ActivityFunction } from '../definitions.js';
import { InvalidStateError, TimeoutError } from '../errors.js';
import { HTTP_ACTIVITY, tokenSourceFor } from '../engine/call-http.js';
import type { DurableHttpResponse, HttpActivityInput } from '../engine/call-http.js';

async function sendHttp(input: HttpActivityInput, actx: ActivityContext): Promise<DurableHttpResponse> {
  const headers = new Headers(input.headers);
  if (input.tokenSource !== undefined) {
    const source = tokenSourceFor(actx.instanceId, input.tokenSource);
    if (!source) {
      throw new InvalidStateError(
        `callHttp: the token source of this request is not in this process (it ran the orchestrator code elsewhere, or restarted since); the request was not sent`,
      );
    }
    headers.set('authorization', `Bearer ${await source.getToken()}`);
  }
  const timeout = AbortSignal.timeout(input.timeoutMs);
  try {
    const response = await fetch(input.url, {
      method: input.method,
      headers,
      ...(input.body !== undefined && { body: input.body }),
      signal: AbortSignal.any([actx.signal, timeout]),
    });
    const answer: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      answer[name] = value;
    });
    return { statusCode: response.status, headers: answer, content: await response.text() };
  } catch (error) {
    // The runtime stopping is not a timeout: rethrown as is, so the item is handed back.
    if (timeout.aborted && !actx.signal.aborted) throw new TimeoutError(`callHttp: ${input.method} ${input.url} got no answer within ${input.timeoutMs} ms`);
    throw error;
  }
}

/** Adds the built-in HTTP activity to a runtime's registry. */
export function registerHttpActivity(activities: Map<string, ActivityFunction>): void {
  activities.set(HTTP_ACTIVITY, sendHttp as ActivityFunction);
}
