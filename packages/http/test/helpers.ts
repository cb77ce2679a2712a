import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext, Runtime, RuntimeOptions } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import type { HttpHandlerOptions, NodeHandler } from '@reprise/http';

export { eventually } from '@reprise/testing/conformance';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

export const KEY = 'test-system-key';
export const DF = '/runtime/webhooks/durabletask';
export const DF1 = '/admin/extensions/DurableTaskExtension';
export const API = '/api/orchestration';

/** Flipped by tests that rewind: while true the Flaky activity throws. */
export const flaky = { broken: true };

/** The orchestrators, activities and entities every test app registers. */
export function testApp(): Pick<RuntimeOptions, 'orchestrators' | 'activities' | 'entities'> {
  return {
    activities: {
      SayHello: (name: string) => `Hello ${name}!`,
      Flaky: (x: string) => {
        if (flaky.broken) throw new Error('flaky is broken');
        return `ok ${x}`;
      },
    },
    orchestrators: {
      Hello: function* (ctx: OrchestrationContext<string>) {
        const a: string = yield ctx.callActivity('SayHello', ctx.getInput() ?? 'Tokyo');
        return a;
      },
      Echo: function* (ctx: OrchestrationContext) {
        return ctx.getInput();
      },
      Wait: function* (ctx: OrchestrationContext) {
        ctx.setCustomStatus({ waiting: 'Go' });
        const value: unknown = yield ctx.waitForExternalEvent('Go');
        return { got: value };
      },
      Fail: function* () {
        throw new Error('boom');
      },
      Rewindable: function* (ctx: OrchestrationContext) {
        const r: string = yield ctx.callActivity('Flaky', 'x');
        return r;
      },
    },
    entities: {
      Counter: {
        add: (ctx, n: number) => ctx.setState((ctx.getState(() => 0) as number) + n),
        reset: (ctx) => ctx.setState(0),
        get: (ctx) => ctx.getState(() => 0),
      },
    },
  };
}

export interface RuntimeSetup {
  taskHub?: string;
  /** false: do not start the work loops (instances stay Pending). */
  start?: boolean;
}

export async function makeRuntime(setup: RuntimeSetup = {}): Promise<Runtime> {
  const runtime = createRuntime({ storage: memoryStorage(), logger: () => {}, ...testApp(), ...(setup.taskHub && { taskHub: setup.taskHub }) });
  cleanups.push(() => runtime.stop());
  if (setup.start !== false) await runtime.start();
  return runtime;
}

export interface Served {
  base: string;
  port: number;
  server: http.Server;
}

/** A real node:http server on 127.0.0.1, port 0, closed after the test. */
export async function listen(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, port, server };
}

export async function serveHandler(handler: NodeHandler): Promise<Served> {
  return listen((req, res) => void handler(req, res));
}

/** One runtime behind createHttpHandler with the test key. */
export async function serveApi(options: Partial<HttpHandlerOptions> = {}, setup: RuntimeSetup = {}): Promise<Served & { runtime: Runtime }> {
  const runtime = await makeRuntime(setup);
  const served = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, ...options }));
  return { ...served, runtime };
}

export async function statusOf(runtime: Runtime, id: string): Promise<string | undefined> {
  return (await runtime.client.getStatus(id))?.runtimeStatus;
}

/** A raw HTTP/1.1 exchange: what a client that writes anything it likes would send. Resolves with all the server wrote. */
export function rawRequest(port: number, text: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => {});
    socket.write(text);
  });
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request with its path sent exactly as given: fetch() (like every URL
 * parser) resolves `.`, `..` and `%2e` segments before sending, a hostile client does not.
 */
export function sendRaw(port: number, method: string, path: string, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
