/**
 * `(req, res, next)` for node:http, Express and Connect over the Web
 * Request/Response core, without patching any global. Paths outside the
 * dashboard go to `next()` untouched (or 404 without one). Under Express the
 * full path (`originalUrl`) is matched, so `basePath` is the path the
 * browser sees. A body already parsed by a body parser is used as is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './body.js';
import type { CoreHandler } from './handler.js';

export type NextFunction = (error?: unknown) => void;
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<void>;

// hostname, IPv4, [IPv6], optional port: nothing that could move the URL's path or authority.
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);

export function toNodeHandler(core: CoreHandler, basePath: string, onError: (error: unknown) => void): NodeHandler {
  return async (req, res, next) => {
    try {
      const original = (req as { originalUrl?: unknown }).originalUrl;
      const target = typeof original === 'string' ? original : (req.url ?? '/');
      const pathname = target.split('?', 1)[0]!;
      if (!target.startsWith('/') || (pathname !== basePath && !pathname.startsWith(`${basePath}/`))) return pass(res, next);
      const host = req.headers.host;
      if (host === undefined || !HOST.test(host)) return await write(res, new Response('{"error":{"code":"INVALID_HOST","message":"the Host header is not a valid host"}}', { status: 400, headers: { 'content-type': 'application/json' } }));
      const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
      const request = await toRequest(req, `${encrypted ? 'https' : 'http'}://${host}${target}`);
      const response = await core(request);
      if (!response) return pass(res, next);
      await write(res, response);
    } catch (error) {
      onError(error);
      if (!res.headersSent) {
        res.statusCode = error instanceof BodyTooLarge ? 413 : 500;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ error: error instanceof BodyTooLarge ? { code: 'PAYLOAD_TOO_LARGE', message: error.message } : { code: 'INTERNAL', message: 'the server could not complete the request' } }));
      } else {
        res.destroy();
      }
    }
  };
}

function pass(res: ServerResponse, next: NextFunction | undefined): void {
  if (next) return next();
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end('{"error":{"code":"NOT_FOUND","message":"not found"}}');
}

class BodyTooLarge extends Error {}

async function toRequest(req: IncomingMessage, url: string): Promise<Request> {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (HOP_BY_HOP.has(raw[i]!.toLowerCase())) continue;
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value a Web Request cannot hold is one the dashboard never reads.
    }
  }
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  headers.delete('content-length');
  const parsed = (req as { body?: unknown }).body;
  if (req.readableEnded && parsed !== undefined) {
    const body = typeof parsed === 'string' || parsed instanceof Uint8Array ? parsed : JSON.stringify(parsed);
    return new Request(url, { method, headers, body });
  }
  return new Request(url, { method, headers, body: await readBody(req) });
}

/** The whole body, refusing more than the API accepts (it is small JSON). */
async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  if (body) res.setHeader('content-length', body.byteLength);
  res.end(body);
}
