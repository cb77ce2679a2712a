/**
 * Dashboard options and their checks. Like `@reprise/http`, a dashboard is
 * never exposed by accident: without a `systemKey` or an `authenticate`, it
 * needs an explicit `allowAnonymous: true`, otherwise creation throws.
 */
import { InvalidArgumentError } from '@reprise/core';
import type { Runtime } from '@reprise/core';

/** Who is using the dashboard. */
export interface Principal {
  id: string;
  /** True for a caller that presented a system key. */
  system?: boolean;
  /** True when the dashboard serves without credentials (`allowAnonymous`) and none were given. */
  anonymous?: boolean;
}

/**
 * The host app's own identity check (its session cookie, a proxy's header...).
 * Return the user, or `undefined` to fall back to the system key.
 */
export type Authenticate = (request: Request) => Principal | undefined | Promise<Principal | undefined>;

export interface DashboardOptions {
  /**
   * Where the dashboard lives: the page at `basePath` (and `basePath/`), its
   * assets and JSON API below it. Everything else goes to `next()`. The full
   * path as the browser sees it (under Express, including the mount path).
   * @default '/reprise'
   */
  basePath?: string;
  /**
   * The host app's identity check, tried first on every request. A user it
   * returns is the caller; `undefined` falls back to the session cookie and the key.
   */
  authenticate?: Authenticate;
  /**
   * Key(s) that open the dashboard: open `basePath?code=<key>` once (the key
   * is then kept in an HttpOnly session cookie and removed from the address
   * bar), or send it as the `x-functions-key` header. Compared in constant time.
   */
  systemKey?: string | readonly string[];
  /** Serve without credentials. Must be said explicitly. @default false */
  allowAnonymous?: boolean;
  /** Show everything, change nothing: every action is refused (403) and its button disabled. @default false */
  readOnly?: boolean;
  /**
   * Signs session cookies. Give the same secret to every process behind one
   * address, so a session opened on one is valid on all.
   * @default a random secret per dashboard (sessions end with the process)
   */
  sessionSecret?: string;
  /** How long a session lasts. @default 43200000 (12 h) */
  sessionTtlMs?: number;
  /** Receives errors that are not the client's (a store failure...). @default console.error */
  onError?: (error: unknown) => void;
}

export interface ResolvedOptions {
  basePath: string;
  authenticate: Authenticate | undefined;
  keys: readonly string[];
  allowAnonymous: boolean;
  readOnly: boolean;
  sessionSecret: string | undefined;
  sessionTtlMs: number;
  onError: (error: unknown) => void;
  /** Runtimes by task hub; the first is the default hub. */
  hubs: ReadonlyMap<string, Runtime>;
}

export function resolveOptions(runtime: Runtime | readonly Runtime[], options: DashboardOptions = {}): ResolvedOptions {
  const runtimes = Array.isArray(runtime) ? (runtime as readonly Runtime[]) : [runtime as Runtime];
  if (runtimes.length === 0 || runtimes.some((r) => !r || typeof r !== 'object' || !r.client)) throw new InvalidArgumentError('createDashboard needs a runtime or a non-empty array of runtimes');
  const hubs = new Map<string, Runtime>();
  for (const r of runtimes) {
    if (hubs.has(r.taskHub)) throw new InvalidArgumentError(`task hub '${r.taskHub}' is given twice`);
    hubs.set(r.taskHub, r);
  }
  const basePath = options.basePath ?? '/reprise';
  if (typeof basePath !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new InvalidArgumentError(`basePath must look like '/reprise' (segments of letters, digits, '.', '_', '~' or '-'), got ${JSON.stringify(basePath)}`);
  }
  const keys = options.systemKey === undefined ? [] : typeof options.systemKey === 'string' ? [options.systemKey] : [...options.systemKey];
  if (keys.some((k) => typeof k !== 'string' || k.length === 0)) throw new InvalidArgumentError('systemKey must be a non-empty string or an array of them');
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') throw new InvalidArgumentError('authenticate must be a function');
  if (keys.length === 0 && options.authenticate === undefined && options.allowAnonymous !== true) {
    throw new InvalidArgumentError('createDashboard needs a systemKey, an authenticate function, or allowAnonymous: true to serve without credentials');
  }
  if (options.sessionSecret !== undefined && (typeof options.sessionSecret !== 'string' || options.sessionSecret.length < 16)) {
    throw new InvalidArgumentError('sessionSecret must be a string of at least 16 characters');
  }
  const sessionTtlMs = options.sessionTtlMs ?? 12 * 60 * 60 * 1000;
  if (!Number.isFinite(sessionTtlMs) || sessionTtlMs <= 0) throw new InvalidArgumentError('sessionTtlMs must be a positive number');
  return {
    basePath,
    authenticate: options.authenticate,
    keys,
    allowAnonymous: options.allowAnonymous === true,
    readOnly: options.readOnly === true,
    sessionSecret: options.sessionSecret,
    sessionTtlMs,
    onError: options.onError ?? ((error) => console.error('[reprise/dashboard]', error)),
    hubs,
  };
}
