/** Request bodies of the JSON API: JSON only, at most MAX_BODY_BYTES, an object. */
import { DashboardError } from './errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export async function readJsonBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  const text = await readText(request);
  if (text.trim() === '') return {};
  if (!/^application\/json\b/i.test(type)) throw new DashboardError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DashboardError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DashboardError(400, 'INVALID_ARGUMENT', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

async function readText(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new DashboardError(400, 'INVALID_JSON', 'the body is not valid UTF-8');
  }
}

const tooLarge = () => new DashboardError(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
