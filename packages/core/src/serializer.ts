/**
 * Payload (de)serialization with superjson, so Date, Map, Set, BigInt and
 * undefined survive a round trip through any store.
 */
import superjson from 'superjson';
import { NotSerializableError, PayloadTooLargeError } from './errors.js';
import type { Payload } from './history.js';

/** Serialize a user value. `undefined` stays `undefined` (no payload). */
export function serialize(value: unknown, what: string, maxBytes = Infinity): Payload {
  if (value === undefined) return undefined;
  assertSerializable(value, what);
  let text: string;
  try {
    text = superjson.stringify(value);
  } catch (cause) {
    throw new NotSerializableError(`${what} is not serializable: ${(cause as Error).message}`, { cause });
  }
  if (text.length > maxBytes / 4 && Buffer.byteLength(text) > maxBytes) {
    throw new PayloadTooLargeError(`${what} is ${Buffer.byteLength(text)} bytes, over the ${maxBytes}-byte limit (maxPayloadBytes)`);
  }
  return text;
}

export function deserialize<T = unknown>(payload: Payload): T {
  if (payload === undefined) return undefined as T;
  return superjson.parse<T>(payload);
}

/** Reject values superjson would silently mangle (functions, symbols, cycles, class instances with behaviour). */
function assertSerializable(value: unknown, what: string): void {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    switch (typeof v) {
      case 'function':
      case 'symbol':
        throw new NotSerializableError(`${what} is not serializable: ${typeof v} at ${path}`);
      case 'object': {
        if (v === null) return;
        if (seen.has(v)) throw new NotSerializableError(`${what} is not serializable: circular reference at ${path}`);
        seen.add(v);
        if (v instanceof Map) {
          for (const [k, val] of v) {
            visit(k, `${path}<key>`);
            visit(val, `${path}.${String(k)}`);
          }
        } else if (v instanceof Set) {
          for (const val of v) visit(val, `${path}[]`);
        } else if (Array.isArray(v)) {
          v.forEach((val, i) => visit(val, `${path}[${i}]`));
        } else if (!(v instanceof Date || v instanceof RegExp || v instanceof Error || ArrayBuffer.isView(v))) {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            throw new NotSerializableError(`${what} is not serializable: instance of ${proto?.constructor?.name ?? 'unknown class'} at ${path}`);
          }
          for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], `${path}.${key}`);
        }
        seen.delete(v);
        return;
      }
      default:
        return;
    }
  };
  visit(value, '$');
}
