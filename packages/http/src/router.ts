/**
 * Route tables: method + path pattern → operation, matched segment by
 * segment. Literal segments and mount prefixes compare case-insensitively
 * (the Durable Functions documentation spells `durabletask` and `durableTask`); parameters are kept
 * raw here and percent-decoded by the dispatcher, where a bad escape is a 400.
 * A path that matches a pattern under another method is a 405, not a miss.
 */

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route<C> {
  method: Method;
  /** e.g. `/instances/:instanceId/raiseEvent/:eventName` */
  path: string;
  operation: (context: C) => Promise<Response>;
  /** How INVALID_STATE reads for this operation (see errors.ts). */
  errors?: 'rewind';
}

export interface Mount<C> {
  /** As configured, e.g. `/runtime/webhooks/durabletask`. */
  prefix: string;
  document: 'durable-functions' | 'orchestration-api';
  routes: readonly Route<C>[];
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

export interface Router<C> {
  match(pathname: string): RouteMatch<C> | undefined;
}

export function createRouter<C>(mounts: readonly Mount<C>[]): Router<C> {
  // Longest prefix first, so a prefix nested in another still gets its own routes.
  const compiled = [...mounts]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((mount) => ({ mount, lower: mount.prefix.toLowerCase(), routes: mount.routes.map(compile) }));

  return {
    match(pathname) {
      const lowerPath = pathname.toLowerCase();
      for (const { mount, lower, routes } of compiled) {
        if (!lowerPath.startsWith(lower)) continue;
        let rest = pathname.slice(lower.length);
        if (rest !== '' && !rest.startsWith('/')) continue;
        if (rest.length > 1 && rest.endsWith('/')) rest = rest.slice(0, -1);
        if (rest === '/') rest = '';
        const parts = rest === '' ? [] : rest.slice(1).split('/');
        const candidates: Candidate<C>[] = [];
        for (const { route, segments } of routes) {
          const rawParams = matchSegments(segments, parts);
          if (rawParams) candidates.push({ route, rawParams });
        }
        if (candidates.length > 0) return { mount, rest, candidates };
      }
      return undefined;
    },
  };
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
    if (part === '') return undefined;
    if ('literal' in segment) {
      if (part.toLowerCase() !== segment.literal) return undefined;
    } else {
      params.set(segment.param, part);
    }
  }
  return params;
}
