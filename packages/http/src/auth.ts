/**
 * The system key check. The key comes as the `code` query parameter (as in
 * the management URLs) or the `x-functions-key` header. Both sides are
 * hashed first so the comparison takes the same time whatever the lengths,
 * and every configured key is compared (no early exit on a match). Either
 * place may hold a valid key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';
import type { Authenticate, Principal } from './options.js';

export type KeyCheck = (code: string | undefined, header: string | null) => void;

/** The caller of a request that presented a valid system key. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ id: 'system', system: true });
/** The caller of a request to a handler serving with `allowAnonymous` and no credentials. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ id: 'anonymous', anonymous: true });

export function createKeyCheck(keys: readonly string[]): KeyCheck {
  if (keys.length === 0) return () => {};
  const digests = keys.map(digest);
  return (code, header) => {
    const given = [header, code].filter((v): v is string => typeof v === 'string' && v !== '');
    if (given.length === 0) throw unauthorized('a system key is required: pass it as the `code` query parameter or the `x-functions-key` header');
    let ok = false;
    for (const value of given) {
      const candidate = digest(value);
      for (const expected of digests) ok = timingSafeEqual(candidate, expected) || ok;
    }
    if (!ok) throw unauthorized('the system key is not valid');
  };
}

export type Authenticator = (request: Request, code: string | undefined) => Promise<Principal>;

/**
 * Who is calling: the host app's `authenticate` first; when it returns
 * nothing, the system key (a system principal); with neither a key nor a
 * principal, anonymous when allowed, else 401. A throwing `authenticate` is
 * the server's fault (500), not the client's.
 */
export function createAuthenticator(options: { keys: readonly string[]; authenticate: Authenticate | undefined; allowAnonymous: boolean }): Authenticator {
  const checkKey = createKeyCheck(options.keys);
  return async (request, code) => {
    if (options.authenticate) {
      const principal = await options.authenticate(request);
      if (principal !== undefined && principal !== null) {
        if (typeof principal !== 'object' || typeof principal.id !== 'string' || principal.id === '') throw new TypeError('authenticate must return a principal with a non-empty string id, or undefined');
        return principal;
      }
      if (options.keys.length === 0 && !options.allowAnonymous) throw unauthorized('the request carries no credentials this server accepts');
    }
    if (options.keys.length === 0) return ANONYMOUS_PRINCIPAL;
    checkKey(code, request.headers.get('x-functions-key'));
    return SYSTEM_PRINCIPAL;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'FunctionsKey' });
}
