/**
 * Request bodies: streamed with a byte limit, then parsed as JSON.
 * - A declared Content-Length over the limit is refused before reading a byte;
 *   a chunked body is counted as it arrives and reading stops at the limit (413).
 * - The body is judged by its content, not its Content-Type header: fetch and
 *   curl send JSON as text/plain or form-urlencoded unless told otherwise.
 * - JSON.parse makes `__proto__` and `constructor` own data properties; nothing
 *   here merges parsed objects into others, so they stay plain data.
 */
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
    } catch {
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
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`, 'INVALID_JSON');
  }
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
