/**
 * The handler for servers that speak Web Request/Response: Hono, Bun, Deno,
 * Next route handlers, or `fetch`-style tests. A path that belongs to no
 * mounted document is answered 404 (there is no next handler to give it to).
 * A Request's URL has its dot segments resolved already (`/instances/%2e`
 * arrives as `/instances/`); the router refuses the empty segment that leaves,
 * so such a request is a 400, never another route.
 */
import type { Runtime } from '@reprise/core';
import { createApi, notFoundResponse } from './dispatch.js';
import type { HttpHandlerOptions } from './options.js';

export type FetchHandler = (request: Request) => Promise<Response>;

export function createFetchHandler(runtime: Runtime | readonly Runtime[], options?: HttpHandlerOptions): FetchHandler {
  const api = createApi(runtime, options);
  return async (request) => (await api.handle(request)) ?? notFoundResponse(request.method, new URL(request.url).pathname);
}
