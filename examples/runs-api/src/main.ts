/**
 * One node:http server over SQLite that serves every management document
 * `@reprise/http` mounts by default: the Durable Functions API, the
 * /api/orchestration facade, the workflow service (/api/workflows, /api/ping)
 * and the orchestrator-runs document (/datasourcesvc/api/v1/orchrun).
 *
 *   REPRISE_KEY=secret DB=runs.db node --conditions=@reprise/source --import tsx src/main.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createRuntime, defineActivity, defineOrchestrator, defineWorkflow } from '@reprise/core';
import type { OrchestrationContext, Runtime } from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { sqliteStorage } from '@reprise/sqlite';

/** Reads the file the run names; reports progress and logs as it goes. */
export const importFile = defineActivity('ImportFile', async (params: { fileId?: string } | undefined, actx) => {
  actx.log.info(`importing ${params?.fileId ?? 'nothing'}`);
  await actx.reportProgress(50, 'half way');
  return { fileId: params?.fileId ?? null, rows: 3 };
});

/** One step per actual parameter set. Its id is fixed so clients can keep it. */
export const fileImport = defineOrchestrator(
  'FileImport',
  function* (ctx: OrchestrationContext<Array<{ sequence_type_id: string; params: { fileId?: string } }>>): Generator<unknown, unknown, unknown> {
    ctx.log.info('Orch run execution has begun');
    const results: unknown[] = [];
    for (const item of ctx.getInput() ?? []) results.push(yield ctx.callActivity(importFile, item.params));
    return results;
  },
  { id: 'b07990cf-c64d-4cc4-a0bc-02a4daf0510d', description: 'Imports files', userType: 'file_import' },
);

/** Greets three cities: the Durable Functions samples' hello sequence. */
export const helloSequence = defineOrchestrator('HelloSequence', function* (ctx: OrchestrationContext): Generator<unknown, string[], string> {
  const out: string[] = [];
  for (const city of ['Tokyo', 'Seattle', 'London']) out.push(yield ctx.callActivity('SayHello', city));
  return out;
});

/** Waits for the 'go' event: something to cancel. */
export const waitForGo = defineOrchestrator('WaitForGo', function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
  return yield ctx.waitForExternalEvent('go');
});

/** A workflow of the project `demo` (the workflow service's `fullname` is `demo.Report`): a three-task DAG. */
const extract = defineActivity('Extract', async ({ input }: { input: { day?: string } }) => ({ day: input.day ?? 'today', rows: 3 }));
const count = defineActivity('Count', async ({ results }: { results: Record<string, { rows: number }> }) => results.EXTRACT!.rows);
const publish = defineActivity('Publish', async ({ results }: { results: Record<string, number> }) => `published ${results.COUNT} rows`);
export const report = defineWorkflow('demo.Report', {
  tasks: {
    EXTRACT: { activity: extract },
    COUNT: { activity: count, after: ['EXTRACT'] },
    PUBLISH: { activity: publish, after: ['COUNT'] },
  },
});

export function createRunsRuntime(dbPath: string): Runtime {
  return createRuntime({
    storage: sqliteStorage({ path: dbPath }),
    logger: () => {},
    orchestrators: [fileImport, helloSequence, waitForGo, report],
    activities: { ImportFile: importFile.fn, SayHello: (name: string) => `Hello ${name}!`, Extract: extract.fn, Count: count.fn, Publish: publish.fn },
  });
}

/** The server: the handler answers the documents' paths, everything else is a JSON 404. */
export async function startServer(options: { dbPath: string; systemKey: string; port?: number; host?: string }): Promise<{ url: string; runtime: Runtime; close(): Promise<void> }> {
  const runtime = createRunsRuntime(options.dbPath);
  await runtime.start();
  const api = createHttpHandler(runtime, { systemKey: options.systemKey });
  const server = http.createServer((req, res) => {
    void api(req, res, () => {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'NOT_FOUND', message: `no route for ${req.method} ${req.url?.split('?')[0]}` }));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    runtime,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const systemKey = process.env.REPRISE_KEY;
  if (!systemKey) {
    console.error('set REPRISE_KEY: the management API is served only with a key');
    process.exit(1);
  }
  startServer({ dbPath: process.env.DB ?? 'runs.db', systemKey, port: Number(process.env.PORT ?? 3000), ...(process.env.HOST && { host: process.env.HOST }) }).then(
    ({ url, close }) => {
      console.log(`listening on ${url}`);
      const stop = () => void close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
