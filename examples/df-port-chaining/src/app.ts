// The host the Azure Functions runtime was: the registry, the management API
// of @reprise/http, and the starter route, on one node:http server.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createRuntime } from '@reprise/core';
import type { Runtime } from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { memoryStorage } from '@reprise/memory';
import { hello, helloOrchestrator, httpStart } from './functions.js';

export interface App {
  runtime: Runtime;
  server: Server;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startApp(port = 0): Promise<App> {
  const runtime = createRuntime({
    storage: memoryStorage(),
    orchestrators: { helloOrchestrator },
    activities: { hello },
    logger: () => {},
  });
  await runtime.start();
  // The management URLs of the check-status response are served here, at their default prefix.
  const management = createHttpHandler(runtime, { allowAnonymous: true });
  const server = createServer((req, res) => {
    const route = /^\/api\/orchestrators\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !route) return void management(req, res);
    const request = Object.assign(
      new Request(`http://${req.headers.host}${req.url}`, { method: 'POST', body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } as RequestInit),
      { params: { orchestratorName: decodeURIComponent(route[1]!) } },
    );
    httpStart(request, runtime.client).then(
      ({ plain }) => res.writeHead(plain.status, plain.headers).end(plain.body),
      (error: Error) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    runtime,
    server,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
    },
  };
}

/** What a client of the sample does: start, then follow `Location` until the status is no longer 202. */
export async function startAndPoll(baseUrl: string, orchestrator: string, input: string): Promise<{ started: Record<string, string>; final: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/api/orchestrators/${orchestrator}`, { method: 'POST', body: input });
  if (response.status !== 202) throw new Error(`start answered ${response.status}: ${await response.text()}`);
  const started = (await response.json()) as Record<string, string>;
  for (;;) {
    const status = await fetch(response.headers.get('location')!);
    if (status.status !== 202) return { started, final: (await status.json()) as Record<string, unknown> };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
