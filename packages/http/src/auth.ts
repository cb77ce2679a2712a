/**
 * The system key check. The key comes as the `code` query parameter (as in
 * the management URLs) or the `x-functions-key` header. Both sides are
 * hashed first so the comparison takes the same time whatever the lengths,
 * and every configured key is compared (no early exit on a match). Either
 * place may hold a valid key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';

export type KeyCheck = (code: string | undefined, header: string | null) => void;

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

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'FunctionsKey' });
}
