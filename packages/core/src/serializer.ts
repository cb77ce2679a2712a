/**
 * Payload (de)serialization with superjson, so Date, Map, Set, BigInt and
 * undefined survive a round trip through any store.
 *
 * Hot path: most payloads are plain JSON. One walk both rejects what cannot
 * be stored and tells whether superjson has anything to add; when it has
 * not, the superjson envelope `{"json":...}` is written with JSON directly.
 * Every payload path (client calls, activity and orchestrator outputs, custom
 * status, failure details) goes through `serialize`, so every one gets the
 * nesting limit.
 */
import superjson from 'superjson';
import { NotSerializableError, PayloadTooLargeError } from './errors.js';
import type { Payload } from './history.js';

/**
 * How deeply a payload may nest (arrays, objects, Maps and Sets each count one
 * level). Deeper values are refused before anything is stored: JSON tools,
 * superjson and every reader of a stored value recurse, and a value that can
 * be written must stay readable.
 */
export const MAX_PAYLOAD_DEPTH = 512;

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
 * cycles, class instances with behaviour) and for values nested deeper than
 * MAX_PAYLOAD_DEPTH. Returns true when the value is plain JSON (nothing for
 * superjson to annotate). Iterative, with an explicit stack: a hostile value
 * nested 100,000 deep must get a typed error, not a RangeError from recursion.
 */
function inspect(value: unknown, what: string): boolean {
  const ancestors = new Set<object>();
  const stack: Array<Frame | { leave: object }> = [{ value, depth: 0, parent: undefined, key: '' }];
  let plain = true;
  while (stack.length > 0) {
    const top = stack.pop()!;
    if ('leave' in top) {
      ancestors.delete(top.leave);
      continue;
    }
    const v = top.value;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(v) || Object.is(v, -0)) plain = false;
        continue;
      case 'undefined':
      case 'bigint':
        plain = false;
        continue;
      case 'function':
      case 'symbol':
        throw new NotSerializableError(`${what} is not serializable: ${typeof v} at ${pathOf(top)}`);
      default: {
        if (v === null) continue;
        const obj = v as object;
        if (ancestors.has(obj)) throw new NotSerializableError(`${what} is not serializable: circular reference at ${pathOf(top)}`);
        if (obj instanceof Date || obj instanceof RegExp || obj instanceof Error || ArrayBuffer.isView(obj)) {
          plain = false;
          continue;
        }
        const depth = top.depth + 1;
        if (depth > MAX_PAYLOAD_DEPTH) {
          throw new NotSerializableError(`${what} is not serializable: nested more than ${MAX_PAYLOAD_DEPTH} levels deep at ${pathOf(top)} (MAX_PAYLOAD_DEPTH)`);
        }
        const children: Frame[] = [];
        const child = (c: unknown, key: string | number) => children.push({ value: c, depth, parent: top, key });
        if (Array.isArray(obj)) {
          for (let i = 0; i < obj.length; i++) child(obj[i], i);
        } else if (obj instanceof Map) {
          for (const [k, val] of obj) {
            child(k, '<key>');
            child(val, `.${String(k)}`);
          }
          plain = false;
        } else if (obj instanceof Set) {
          for (const val of obj) child(val, '[]');
          plain = false;
        } else {
          const proto: unknown = Object.getPrototypeOf(obj);
          if (proto !== Object.prototype && proto !== null) {
            const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'unknown class';
            throw new NotSerializableError(`${what} is not serializable: instance of ${name} at ${pathOf(top)}`);
          }
          // An own "__proto__" key stays plain data: JSON.stringify writes it and JSON.parse
          // reads it back as an own property, polluting nothing.
          for (const key of Object.keys(obj)) child((obj as Record<string, unknown>)[key], `.${key}`);
        }
        ancestors.add(obj);
        stack.push({ leave: obj });
        // Reversed, so children are visited in order and the first offending path is reported.
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      }
    }
  }
  return plain;
}

interface Frame {
  value: unknown;
  /** How many containers enclose this value. */
  depth: number;
  parent: Frame | undefined;
  /** A number is an array index. */
  key: string | number;
}

/** `$.a[0].b`, built only for an error message (paths of deep values would cost on every call). */
function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(typeof f.key === 'number' ? `[${f.key}]` : f.key);
  const path = `$${keys.reverse().join('')}`;
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
