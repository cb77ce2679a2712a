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
  let plain = true;
  const ancestors = new Set<object>();
  // Containers still to visit. A frame is pushed back once entered, so popping it again means "leave".
  const stack: Frame[] = [];
  // Leaves are judged here and never stacked: most nodes are leaves.
  const visit = (v: unknown, parent: Frame | undefined, key: Key, depth: number): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v) || Object.is(v, -0)) plain = false;
        return;
      case 'undefined':
      case 'bigint':
        plain = false;
        return;
      case 'function':
      case 'symbol':
        throw new NotSerializableError(`${what} is not serializable: ${typeof v} at ${pathOf({ value: v, depth, parent, key, entered: false })}`);
      default:
        if (v !== null) stack.push({ value: v, depth, parent, key, entered: false });
    }
  };
  visit(value, undefined, 0, 0);
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const obj = frame.value as object;
    if (frame.entered) {
      ancestors.delete(obj);
      continue;
    }
    if (ancestors.has(obj)) throw new NotSerializableError(`${what} is not serializable: circular reference at ${pathOf(frame)}`);
    if (obj instanceof Date || obj instanceof RegExp || obj instanceof Error || ArrayBuffer.isView(obj)) {
      plain = false;
      continue;
    }
    const depth = frame.depth + 1;
    if (depth > MAX_PAYLOAD_DEPTH) {
      throw new NotSerializableError(`${what} is not serializable: nested more than ${MAX_PAYLOAD_DEPTH} levels deep at ${pathOf(frame)} (MAX_PAYLOAD_DEPTH)`);
    }
    ancestors.add(obj);
    frame.entered = true;
    stack.push(frame);
    // Children pushed in reverse, so nested containers are visited in document order.
    if (Array.isArray(obj)) {
      for (let i = obj.length - 1; i >= 0; i--) visit(obj[i], frame, i, depth);
    } else if (obj instanceof Map) {
      const entries = [...obj];
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, val] = entries[i]!;
        visit(val, frame, String(k), depth);
        visit(k, frame, MAP_KEY, depth);
      }
      plain = false;
    } else if (obj instanceof Set) {
      const values = [...obj];
      for (let i = values.length - 1; i >= 0; i--) visit(values[i], frame, SET_ITEM, depth);
      plain = false;
    } else {
      const proto: unknown = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'unknown class';
        throw new NotSerializableError(`${what} is not serializable: instance of ${name} at ${pathOf(frame)}`);
      }
      // An own "__proto__" key stays plain data: JSON.stringify writes it and JSON.parse
      // reads it back as an own property, polluting nothing.
      const keys = Object.keys(obj);
      for (let i = keys.length - 1; i >= 0; i--) visit((obj as Record<string, unknown>)[keys[i]!], frame, keys[i]!, depth);
    }
  }
  return plain;
}

const MAP_KEY = Symbol('map key');
const SET_ITEM = Symbol('set item');
/** Where a value sits in its parent; the path string is built only for an error message. */
type Key = string | number | typeof MAP_KEY | typeof SET_ITEM;

interface Frame {
  value: unknown;
  /** How many containers enclose this value. */
  depth: number;
  parent: Frame | undefined;
  key: Key;
  /** Its children are on the stack; popping it again leaves it. */
  entered: boolean;
}

function segmentOf(key: Key): string {
  if (key === MAP_KEY) return '<key>';
  if (key === SET_ITEM) return '[]';
  return typeof key === 'number' ? `[${key}]` : `.${key}`;
}

/** `$.a[0].b`, built only for an error message (paths of deep values would cost on every call). */
function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(segmentOf(f.key));
  const path = `$${keys.reverse().join('')}`;
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
