/**
 * `createDashboard`: the dashboard as a Node handler `(req, res, next)` with
 * the same dashboard as a fetch handler on its `fetch` property, so it mounts
 * on node:http, Express and Connect as on Hono, Bun or Deno.
 */
import type { Runtime } from '@reprise/core';
import { createCoreHandler } from './handler.js';
import { toNodeHandler } from './node-adapter.js';
import type { NodeHandler } from './node-adapter.js';
import { resolveOptions } from './options.js';
import type { DashboardOptions } from './options.js';

export type FetchHandler = (request: Request) => Promise<Response>;

/** A Node handler; `.fetch` is the same dashboard for servers that speak Request/Response (404 outside `basePath`). */
export type DashboardHandler = NodeHandler & { readonly fetch: FetchHandler };

export function createDashboard(runtime: Runtime | readonly Runtime[], options?: DashboardOptions): DashboardHandler {
  const resolved = resolveOptions(runtime, options);
  const core = createCoreHandler(resolved);
  const node = toNodeHandler(core, resolved.basePath, resolved.onError);
  const fetch: FetchHandler = async (request) =>
    (await core(request)) ?? new Response('{"error":{"code":"NOT_FOUND","message":"not found"}}', { status: 404, headers: { 'content-type': 'application/json; charset=utf-8' } });
  return Object.assign(node, { fetch });
}
