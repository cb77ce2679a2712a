/**
 * Route tables: method + path pattern → operation, matched segment by
 * segment. Literal segments and mount prefixes compare case-insensitively
 * (the Durable Functions documentation spells `durabletask` and `durableTask`); parameters are kept
 * raw here and percent-decoded by the dispatcher, where a bad escape is a 400.
 * A path that matches a pattern under another method is a 405, not a miss.
 *
 * Invariants (issue 12: `DELETE …/instances/%2e` was routed to purge-by-filter):
 * - the path is the one the client sent, parsed once here; routing and
 *   parameter extraction read the same raw segments, and nothing resolves
 *   dot segments before routing;
 * - a path under a mount prefix with a dot segment (`.`, `..`, `%2e`, `.%2E`…)
 *   or an empty segment (a doubled or trailing slash: what a URL parser leaves
 *   of a dot segment it resolved) is `invalid`: answered 400, never routed and
 *   never handed on to the app. So is a path whose dot segments resolve into a
 *   mount prefix (`/x/../runtime/webhooks/durabletask/instances`).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route<C> {
  method: Method;
  /** e.g. `/instances/:instanceId/raiseEvent/:eventName` */
  path: string;
  operation: (context: C) => Promise<Response>;
  /** How INVALID_STATE reads for this operation (see errors.ts). */
  errors?: 'rewind';
}

export type DocumentName = 'durable-functions' | 'orchestration-api' | 'workflow-service' | 'orchestrator-runs' | 'application-instances';

export interface Mount<C> {
  /** As configured, e.g. `/runtime/webhooks/durabletask`. */
  prefix: string;
  document: DocumentName;
  routes: readonly Route<C>[];
  /**
   * Which paths under the prefix belong to the document. `all` (a prefix of
   * its own, such as `/runtime/webhooks/durabletask`): every path, so a bad one
   * is answered 400 here. `routes` (a prefix the host app shares, such as
   * `/api`): only paths whose first segment starts one of the document's
   * routes; the app's own `/api/users/` goes on to the app untouched.
   * @default 'all'
   */
  claims?: 'all' | 'routes';
}

type Segment = { literal: string } | { param: string };

interface CompiledRoute<C> {
  route: Route<C>;
  segments: readonly Segment[];
}

export interface Candidate<C> {
  route: Route<C>;
  /** Raw (still percent-encoded) parameter values by name. */
  rawParams: ReadonlyMap<string, string>;
}

export interface RouteMatch<C> {
  mount: Mount<C>;
  /** The path after the prefix, raw, without a trailing slash. */
  rest: string;
  candidates: readonly Candidate<C>[];
}

/** A path under a mount prefix that no route may see (see the invariants above). */
export interface InvalidPath {
  invalid: string;
}

export interface Router<C> {
  /** @param pathname the raw path as sent (still percent-encoded), without the query. */
  match(pathname: string): RouteMatch<C> | InvalidPath | undefined;
}

export function createRouter<C>(mounts: readonly Mount<C>[]): Router<C> {
  // Longest prefix first, so a prefix nested in another still gets its own routes.
  const compiled = [...mounts]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((mount) => {
      const routes = mount.routes.map(compile);
      const firsts = new Set(routes.map((r) => r.segments[0]).map((s) => (s === undefined || 'param' in s ? '' : s.literal)));
      // A route that starts with a parameter claims every first segment.
      const claimsFirst = (segment: string) => mount.claims !== 'routes' || firsts.has('') || firsts.has(segment.toLowerCase());
      return { mount, lower: mount.prefix.toLowerCase(), routes, claimsFirst };
    });

  const mountOf = (path: string) => {
    const lowerPath = path.toLowerCase();
    for (const entry of compiled) {
      if (!lowerPath.startsWith(entry.lower)) continue;
      const rest = path.slice(entry.lower.length);
      if (!(rest === '' || rest.startsWith('/'))) continue;
      if (entry.mount.claims === 'routes' && !entry.claimsFirst(rest.slice(1).split(/[/\\]/, 1)[0]!)) continue;
      return { entry, rest };
    }
    return undefined;
  };

  return {
    match(pathname) {
      // A backslash counts as a separator here: URL parsers treat it as one in http(s) URLs.
      const hasDots = pathname.split(/[/\\]/).some(isDotSegment);
      const found = mountOf(pathname);
      if (!found) {
        // Not ours as sent; but a client may mean ours once its dot segments are resolved.
        if (hasDots && mountOf(resolveDotSegments(pathname))) return { invalid: DOT_SEGMENT_MESSAGE };
        return undefined;
      }
      const { entry, rest } = found;
      if (hasDots) return { invalid: DOT_SEGMENT_MESSAGE };
      if (rest === '') return undefined; // the prefix itself: no route lives there
      const parts = rest.slice(1).split('/');
      if (parts.includes('')) return { invalid: 'the path has an empty segment (a doubled or trailing slash); ids and names cannot be empty' };
      const candidates: Candidate<C>[] = [];
      for (const { route, segments } of entry.routes) {
        const rawParams = matchSegments(segments, parts);
        if (rawParams) candidates.push({ route, rawParams });
      }
      return candidates.length > 0 ? { mount: entry.mount, rest, candidates } : undefined;
    },
  };
}

const DOT_SEGMENT_MESSAGE = "the path has a '.' or '..' segment (in some encoding); ids, names and keys cannot be '.' or '..'";

/** `.` or `..`, however percent-encoded: the segments a URL parser resolves (WHATWG URL's "single/double-dot segment"). */
export function isDotSegment(segment: string): boolean {
  return /^(?:\.|%2e){1,2}$/i.test(segment);
}

/** The path a URL parser would make of `path`, for deciding only whether it lands under a mount prefix. */
function resolveDotSegments(path: string): string {
  const out: string[] = [];
  const parts = path.split(/[/\\]/).slice(1);
  parts.forEach((part, i) => {
    if (!isDotSegment(part)) return void out.push(part);
    if (/^(?:\.|%2e){2}$/i.test(part)) out.pop();
    if (i === parts.length - 1) out.push(''); // a trailing dot segment leaves a trailing slash
  });
  return `/${out.join('/')}`;
}

function compile<C>(route: Route<C>): CompiledRoute<C> {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((s): Segment => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s.toLowerCase() }));
  return { route, segments };
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Map<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (part.toLowerCase() !== segment.literal) return undefined;
    } else {
      params.set(segment.param, part);
    }
  }
  return params;
}
