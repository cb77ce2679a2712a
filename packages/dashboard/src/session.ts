/**
 * Who is calling, and the per-session CSRF token.
 *
 * A session is a signed cookie (HMAC-SHA256 over the principal, a nonce and
 * an expiry), HttpOnly and SameSite=Strict, scoped to the dashboard's path,
 * so no store is needed. The CSRF token is an HMAC of the session's nonce:
 * the page receives it in a meta tag and sends it back as `x-csrf-token` on
 * every state-changing request. Keys and signatures are compared in
 * constant time (both sides hashed first, so lengths leak nothing).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal, ResolvedOptions } from './options.js';
import { DashboardError } from './errors.js';

export const COOKIE = 'reprise_dashboard';

export interface Session {
  principal: Principal;
  csrfToken: string;
  /** Set-Cookie value when the session is new. */
  setCookie?: string;
}

interface Payload {
  p: Principal;
  n: string;
  e: number;
}

export interface Sessions {
  /** The caller of `request`, with their session (a new one when the request had none); 401 without credentials. */
  open(request: Request, code: string | undefined): Promise<Session>;
}

export function createSessions(options: ResolvedOptions): Sessions {
  const secret = options.sessionSecret ?? randomBytes(32).toString('base64url');
  const keyDigests = options.keys.map(digest);
  const sign = (text: string) => createHmac('sha256', secret).update(text).digest('base64url');
  const csrfOf = (nonce: string) => sign(`csrf.${nonce}`);

  const read = (request: Request): Payload | undefined => {
    const value = cookieValue(request.headers.get('cookie'), COOKIE);
    if (value === undefined) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    if (!same(sign(body), value.slice(dot + 1))) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
      if (typeof payload.e !== 'number' || payload.e <= Date.now() || typeof payload.n !== 'string' || typeof payload.p?.id !== 'string') return undefined;
      return payload;
    } catch {
      return undefined;
    }
  };

  const issue = (principal: Principal, request: Request): Session => {
    const payload: Payload = { p: principalOf(principal), n: randomBytes(16).toString('base64url'), e: Date.now() + options.sessionTtlMs };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    const secure = new URL(request.url).protocol === 'https:' ? '; Secure' : '';
    const maxAge = Math.floor(options.sessionTtlMs / 1000);
    const setCookie = `${COOKIE}=${body}.${sign(body)}; Path=${options.basePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
    return { principal: payload.p, csrfToken: csrfOf(payload.n), setCookie };
  };

  const keyValid = (given: string[]): boolean => {
    let ok = false;
    // Every key against every value: no early exit on a match.
    for (const value of given) for (const expected of keyDigests) ok = timingSafeEqual(digest(value), expected) || ok;
    return ok;
  };

  return {
    async open(request, code) {
      const existing = read(request);
      if (options.authenticate) {
        const principal = await options.authenticate(request);
        if (principal !== undefined && principal !== null) {
          if (typeof principal !== 'object' || typeof principal.id !== 'string' || principal.id === '') throw new TypeError('authenticate must return a principal with a non-empty string id, or undefined');
          // The host app decides who it is; the cookie only carries the CSRF nonce for that user.
          if (existing && existing.p.id === principal.id) return { principal: existing.p, csrfToken: csrfOf(existing.n) };
          return issue(principal, request);
        }
      }
      if (existing) return { principal: existing.p, csrfToken: csrfOf(existing.n) };
      const given = [request.headers.get('x-functions-key'), code].filter((v): v is string => typeof v === 'string' && v !== '');
      if (keyDigests.length > 0 && given.length > 0) {
        if (!keyValid(given)) throw unauthorized('the system key is not valid');
        return issue({ id: 'system', system: true }, request);
      }
      if (options.allowAnonymous) return issue({ id: 'anonymous', anonymous: true }, request);
      throw unauthorized(keyDigests.length > 0 ? 'a system key is required: open the dashboard with ?code=<key> or send the x-functions-key header' : 'the request carries no credentials this dashboard accepts');
    },
  };
}

/** Whether the request's CSRF header matches its session's token (constant time). */
export function csrfValid(request: Request, session: Session): boolean {
  const given = request.headers.get('x-csrf-token');
  return given !== null && same(given, session.csrfToken);
}

function principalOf(p: Principal): Principal {
  return { id: p.id, ...(p.system === true && { system: true }), ...(p.anonymous === true && { anonymous: true }) };
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function unauthorized(message: string): DashboardError {
  return new DashboardError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'FunctionsKey' });
}
