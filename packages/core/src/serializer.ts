/**
 * Payload (de)serialization with superjson, so Date, Map, Set, BigInt and
 * undefined survive a round trip through any store.
 *
 * Hot path: most payloads are plain JSON. One walk both rejects what cannot
 * be stored and tells whether superjson has anything to add; when it has
 * not, the superjson envelope `{"json":...}` is written with JSON directly.
 */
import superjson from 'superjson';
import { NotSerializableError, PayloadTooLargeError } from './errors.js';
import type { Payload } from './history.js';

/** Serialize a user value. `undefined` stays `undefined` (no payload). */
export function serialize(value: unknown, what: string, maxBytes = Infinity): Payload {
  if (value === undefined) return undefined;
  let text: string;
  if (typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0))) {
    text = `{"json":${JSON.stringify(value)}}`;
  } else if (inspect(value, what)) {
    text = `{"json":${JSON.stringify(value)}}`;
  } else {
    try {
      text = superjson.stringify(value);
    } catch (cause) {
      throw new NotSerializableError(`${what} is not serializable: ${(cause as Error).message}`, { cause });
    }
  }
  if (text.length > maxBytes / 4 && Buffer.byteLength(text) > maxBytes) {
    throw new PayloadTooLargeError(`${what} is ${Buffer.byteLength(text)} bytes, over the ${maxBytes}-byte limit (maxPayloadBytes)`);
  }
  return text;
}

export function deserialize<T = unknown>(payload: Payload): T {
  if (payload === undefined) return undefined as T;
  const parsed = JSON.parse(payload) as { json: unknown; meta?: unknown };
  if (parsed === null || typeof parsed !== 'object' || !('json' in parsed)) return parsed as T;
  return (parsed.meta === undefined ? parsed.json : superjson.deserialize(parsed as never)) as T;
}

/**
 * Throws for values superjson would silently mangle (functions, symbols,
 * cycles, class instances with behaviour). Returns true when the value is
 * plain JSON (nothing for superjson to annotate).
 */
function inspect(value: unknown, what: string): boolean {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): boolean => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0);
      case 'undefined':
      case 'bigint':
        return false;
      case 'function':
      case 'symbol':
        throw new NotSerializableError(`${what} is not serializable: ${typeof v} at ${path}`);
      default: {
        if (v === null) return true;
        const obj = v as object;
        if (seen.has(obj)) throw new NotSerializableError(`${what} is not serializable: circular reference at ${path}`);
        seen.add(obj);
        let plain: boolean;
        if (Array.isArray(obj)) {
          plain = true;
          for (let i = 0; i < obj.length; i++) plain = visit(obj[i], `${path}[${i}]`) && plain;
        } else if (obj instanceof Map) {
          for (const [k, val] of obj) {
            visit(k, `${path}<key>`);
            visit(val, `${path}.${String(k)}`);
          }
          plain = false;
        } else if (obj instanceof Set) {
          for (const val of obj) visit(val, `${path}[]`);
          plain = false;
        } else if (obj instanceof Date || obj instanceof RegExp || obj instanceof Error || ArrayBuffer.isView(obj)) {
          plain = false;
        } else {
          const proto = Object.getPrototypeOf(obj);
          if (proto !== Object.prototype && proto !== null) {
            throw new NotSerializableError(`${what} is not serializable: instance of ${proto?.constructor?.name ?? 'unknown class'} at ${path}`);
          }
          plain = true;
          for (const key of Object.keys(obj)) plain = visit((obj as Record<string, unknown>)[key], `${path}.${key}`) && plain;
          // An own "__proto__" key stays plain data: JSON.stringify writes it and JSON.parse
          // reads it back as an own property, polluting nothing.
        }
        seen.delete(obj);
        return plain;
      }
    }
  };
  return visit(value, '$');
}
