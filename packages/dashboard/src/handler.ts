/**
 * The dashboard as a Web Request → Response function. Paths outside
 * `basePath` are not ours (undefined: the Node adapter calls `next()`).
 *
 * Security, in the order it is checked:
 * - who: the host app's `authenticate`, the session cookie, the system key,
 *   or anonymous when allowed; 401 otherwise (see session.ts);
 * - a state-changing request (anything but GET/HEAD) must come from this
 *   origin (its `Origin` header, or `Sec-Fetch-Site: same-origin`), carry
 *   the session's CSRF token, and is refused when the dashboard is read-only.
 */
import { isStateChanging, runApi } from './api.js';
import { SECURITY_HEADERS, assetResponse, errorPage, pageResponse } from './assets.js';
import { DashboardError, toErrorReply } from './errors.js';
import { jsonResponse } from './json.js';
import type { ResolvedOptions } from './options.js';
import { createSessions, csrfValid } from './session.js';

export type CoreHandler = (request: Request) => Promise<Response | undefined>;

export function createCoreHandler(options: ResolvedOptions): CoreHandler {
  const sessions = createSessions(options);
  const base = options.basePath;

  return async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return undefined;
    const rest = path.slice(base.length);
    const method = request.method.toUpperCase();
    const isApi = rest.startsWith('/api/');
    try {
      if (rest.startsWith('/assets/')) {
        if (method !== 'GET' && method !== 'HEAD') throw new DashboardError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here`);
        return assetResponse(rest.slice('/assets/'.length), method);
      }
      if (rest === '' || rest === '/') {
        if (method !== 'GET' && method !== 'HEAD') throw new DashboardError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here`);
        const code = url.searchParams.get('code') ?? undefined;
        const session = await sessions.open(request, code);
        const cookie: Record<string, string> = session.setCookie ? { 'set-cookie': session.setCookie } : {};
        if (code !== undefined) {
          // The key is in the cookie now: take it out of the address bar and the history.
          url.searchParams.delete('code');
          return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location: `${url.pathname}${url.search}`, 'cache-control': 'no-store', ...cookie } });
        }
        return pageResponse(base, session.csrfToken, cookie);
      }
      if (!isApi) throw new DashboardError(404, 'NOT_FOUND', 'no such page');
      const segments = decodeSegments(rest.slice('/api/'.length));
      const session = await sessions.open(request, undefined);
      if (isStateChanging(method)) {
        if (!sameOrigin(request, url)) throw new DashboardError(403, 'CROSS_SITE', 'state-changing requests must come from the dashboard itself (same origin)');
        if (!csrfValid(request, session)) throw new DashboardError(403, 'CSRF_TOKEN', 'the x-csrf-token header is missing or does not match this session');
        if (options.readOnly) throw new DashboardError(403, 'READ_ONLY', 'this dashboard is read-only');
      }
      const value = await runApi(options, request, segments, session);
      return jsonResponse(value, 200, { ...SECURITY_HEADERS, ...(session.setCookie && { 'set-cookie': session.setCookie }) });
    } catch (error) {
      const reply = toErrorReply(error);
      if (reply.status >= 500) options.onError(error);
      if (!isApi && (rest === '' || rest === '/')) return errorPage(reply.status, reply.message, reply.headers);
      return jsonResponse({ error: { code: reply.code, message: reply.message } }, reply.status, { ...SECURITY_HEADERS, ...reply.headers });
    }
  };
}

/** The path's segments, each percent-decoded; empty, `.`, `..` and malformed segments are refused. */
function decodeSegments(text: string): string[] {
  return text.split('/').map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new DashboardError(400, 'INVALID_PATH', 'the path has a malformed percent-encoding');
    }
    if (decoded === '' || decoded === '.' || decoded === '..') throw new DashboardError(400, 'INVALID_PATH', 'the path has an empty or dot segment');
    return decoded;
  });
}

/**
 * Browsers send `Origin` on every cross-origin request and on same-origin
 * POSTs; `Sec-Fetch-Site` where they support it. A request with neither
 * (not from a browser, or a very old one) is refused too.
 */
function sameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return origin === url.origin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}
