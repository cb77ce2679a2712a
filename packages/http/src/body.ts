/**
 * Request bodies: streamed with a byte limit, then parsed as JSON.
 * - A declared Content-Length over the limit is refused before reading a byte;
 *   a chunked body is counted as it arrives and reading stops at the limit (413).
 * - The body is judged by its content, not its Content-Type header: fetch and
 *   curl send JSON as text/plain or form-urlencoded unless told otherwise.
 * - JSON.parse makes `__proto__` and `constructor` own data properties; nothing
 *   here merges parsed objects into others, so they stay plain data.
 * - A body nested deeper than MAX_PAYLOAD_DEPTH is a 400 before any client
 *   call (issue 12: a 100,000-deep `[[…]]` was a 500, a 2,500-deep one was
 *   stored and then broke every read). V8's JSON.parse is iterative, so it
 *   parses such a body; the check below walks the result without recursion.
 */
import { MAX_PAYLOAD_DEPTH } from '@reprise/core';
import { HttpError, badRequest } from './errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is over the ${limit}-byte limit`, { connection: 'close' });
}

export async function readText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) {
    void request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  const body = request.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw badRequest('the request body could not be read', 'BAD_BODY');
    }
    if (step.done) break;
    total += step.value.byteLength;
    if (total > limit) {
      void reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(step.value);
  }
  const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, total);
  try {
    return decoder.decode(bytes);
  } catch {
    throw badRequest('the request body is not valid UTF-8', 'INVALID_JSON');
  }
}

/** The JSON body, or `undefined` for an empty one. */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const text = (await readText(request, limit)).replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`, 'INVALID_JSON');
  }
  if (nestedDeeperThan(value, MAX_PAYLOAD_DEPTH)) throw tooDeep();
  return value;
}

export function tooDeep(): HttpError {
  return badRequest(`the request body is nested more than ${MAX_PAYLOAD_DEPTH} levels deep (MAX_PAYLOAD_DEPTH)`, 'PAYLOAD_TOO_DEEP');
}

/** Whether arrays and objects nest more than `limit` levels (a scalar is level 0). Iterative. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
