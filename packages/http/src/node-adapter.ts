/**
 * The Node adapter: `(req, res, next)` for node:http, Express and Connect,
 * over the Web Request/Response core, without patching any global.
 * - A path that belongs to no mounted document goes to `next()` untouched
 *   (its body unread), or is answered 404 when there is no `next`.
 * - Routing reads `req.url`'s path as sent, never a URL parser's resolution
 *   of it: `/instances/%2e` must not become `/instances/` (router.ts).
 * - The request body becomes a lazy stream: nothing is read from the socket
 *   until an operation asks for the body, and reading stops at the limit.
 * - Under Express's `app.use('/x', handler)` the mount path is put back into
 *   management URLs. A body already parsed by a body parser (`req.body`) is used as is.
 * - Nothing a client sends rejects the returned promise or throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '@reprise/core';
import { MAX_PAYLOAD_DEPTH } from '@reprise/core';
import { nestedDeeperThan, tooDeep } from './body.js';
import { createApi, notFoundResponse, reporter } from './dispatch.js';
import type { Api } from './dispatch.js';
import type { HttpHandlerOptions } from './options.js';
import { errorResponse } from './reply.js';

export type NextFunction = (error?: unknown) => void;
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<void>;

// Hop-by-hop headers describe this connection, not the request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);
// Methods a Web Request refuses to carry.
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
// hostname, IPv4, [IPv6], optional port: nothing that could move the URL's path or authority.
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function createHttpHandler(runtime: Runtime | readonly Runtime[], options?: HttpHandlerOptions): NodeHandler {
  const api = createApi(runtime, options);
  return async (req, res, next) => {
    try {
      const target = req.url ?? '/';
      const path = target.startsWith('/') ? target : undefined;
      const pathname = path === undefined ? undefined : path.split('?', 1)[0]!;
      if (pathname === undefined || !api.matches(pathname)) return pass(req, res, next, pathname ?? target);
      const method = (req.method ?? 'GET').toUpperCase();
      if (FORBIDDEN_METHODS.has(method)) return await write(res, errorResponse({ status: 405, code: 'METHOD_NOT_ALLOWED', message: `${method} is not supported`, headers: {} }));
      const origin = originOf(req, api);
      if (origin === undefined) return await write(res, errorResponse({ status: 400, code: 'INVALID_HOST', message: 'the Host header is not a valid host', headers: {} }));
      const response = await api.handle(toRequest(req, `${origin}${path}`, method), { pathname, mountPath: mountPathOf(req) });
      if (!response) return pass(req, res, next, pathname);
      await write(res, response);
    } catch (error) {
      // Not a client's doing (every client error is answered by the core): report, answer if still possible.
      reporter(options?.onError)(error);
      if (!res.headersSent) {
        await write(res, errorResponse({ status: 500, code: 'INTERNAL', message: 'the server could not complete the request', headers: {} })).catch(() => res.destroy());
      } else {
        res.destroy();
      }
    }
  };
}

function pass(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, pathname: string): Promise<void> | void {
  if (next) return next();
  return write(res, notFoundResponse(req.method ?? 'GET', pathname));
}

function originOf(req: IncomingMessage, api: Api): string | undefined {
  const forwardedProto = api.trustProxy ? firstValue(req.headers['x-forwarded-proto']) : undefined;
  const forwardedHost = api.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined;
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const proto = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : encrypted ? 'https' : 'http';
  let host = forwardedHost ?? req.headers.host;
  if (host === undefined || host === '') {
    const address = req.socket.localAddress ?? '127.0.0.1';
    host = `${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort ?? 80}`;
  }
  return HOST.test(host) ? `${proto}://${host}` : undefined;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(',', 1)[0]?.trim() || undefined;
}

function toRequest(req: IncomingMessage, url: string, method: string): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    try {
      headers.append(name, raw[i + 1]!);
    } catch {
      // A header value a Web Request cannot hold is one this API never reads.
    }
  }
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const parsed = alreadyParsed(req);
    if (parsed !== undefined) {
      init.body = parsed;
      if (parsed instanceof ReadableStream) init.duplex = 'half';
      headers.delete('content-length');
    } else {
      init.body = lazyBody(req);
      init.duplex = 'half';
    }
  }
  return new Request(url, init);
}

/**
 * The body a body parser (express.json and the like) consumed before us, as text.
 * One nested too deep for JSON.stringify (which recurses) becomes a body whose
 * reading fails with the same 400 a raw one gets.
 */
function alreadyParsed(req: IncomingMessage): string | Uint8Array | ReadableStream<Uint8Array> | undefined {
  if (!req.readableEnded && (req as { _body?: unknown })._body !== true) return undefined;
  const body = (req as { body?: unknown }).body;
  if (body === undefined) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (nestedDeeperThan(body, MAX_PAYLOAD_DEPTH)) {
    return new ReadableStream<Uint8Array>({ start: (controller) => controller.error(tooDeep()) });
  }
  return JSON.stringify(body);
}

/** A stream that starts reading `req` only when first pulled, one chunk per pull, and stops on cancel. */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let started = false;
  let finished = false;
  const onData = (chunk: Buffer) => {
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  };
  const onEnd = () => {
    if (finished) return;
    finished = true;
    detach();
    controller.close();
  };
  const onFail = (error?: unknown) => {
    if (finished) return;
    finished = true;
    detach();
    controller.error(error instanceof Error ? error : new Error('the request was aborted'));
  };
  const onClose = () => onFail();
  const detach = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onFail);
    req.off('close', onClose);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        if (!started) {
          started = true;
          if (req.readableEnded) return onEnd();
          req.on('data', onData);
          req.once('end', onEnd);
          req.once('error', onFail);
          req.once('close', onClose);
        }
        req.resume();
      },
      cancel() {
        finished = true;
        detach();
        req.pause();
      },
    },
    // 0: pull only when the reader asks, so constructing the Request reads nothing.
    { highWaterMark: 0 },
  );
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  if (body) res.setHeader('content-length', body.byteLength);
  res.end(body);
}

function mountPathOf(req: IncomingMessage): string {
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (typeof original !== 'string' || original === req.url || req.url === undefined) return '';
  const full = original.split('?', 1)[0]!;
  const own = req.url.split('?', 1)[0]!;
  if (own !== '/' && full.endsWith(own)) return full.slice(0, full.length - own.length);
  return '';
}
