/** A real runtime on a SQLite file and the dashboard on a real listener (port 0), for the server and browser tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { ActivityContext, OrchestrationContext, OrchestratorFunction, Runtime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { createDashboard } from '@reprise/dashboard';
import type { DashboardOptions } from '@reprise/dashboard';

export const KEY = 'test-key-0123456789';
export const XSS = '<img src=x onerror=alert(1)>';

export const orchestrators = {
  Approval: function* (ctx: OrchestrationContext<{ order: string }>) {
    const reserved = yield ctx.callActivity('Reserve', ctx.getInput());
    const approval = yield ctx.waitForExternalEvent('Approve');
    return { reserved, approval };
  },
  Payment: function* (ctx: OrchestrationContext<number>) {
    yield ctx.callActivity('Reserve', ctx.getInput());
    yield ctx.callActivityWithRetry('Charge', { firstRetryIntervalInMilliseconds: 50, maxNumberOfAttempts: 2 }, ctx.getInput());
    return 'paid';
  },
  Echo: function* (ctx: OrchestrationContext<unknown>) {
    ctx.setCustomStatus(ctx.getInput());
    return ctx.getInput();
  },
} satisfies Record<string, OrchestratorFunction>;

export const activities = {
  Reserve: async (_input: unknown, actx: ActivityContext) => {
    await actx.reportProgress(100, 'reserved');
    return 'ok';
  },
  Charge: async () => {
    throw new Error('card declined');
  },
};

export interface Served {
  runtime: Runtime;
  base: string;
  url: string;
  close(): Promise<void>;
}

/** A runtime on a fresh SQLite file, and a node:http server with the dashboard (and a fallback route). */
export async function serve(options: DashboardOptions = { systemKey: KEY }, runtimeOptions: { taskHub?: string } = {}): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-dashboard-'));
  const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'reprise.db') }), orchestrators, activities, logger: () => {}, leaseMs: 2000, ...runtimeOptions });
  await runtime.start();
  const dashboard = createDashboard(runtime, options);
  const server = http.createServer((req, res) =>
    dashboard(req, res, () => {
      res.statusCode = 200;
      res.setHeader('content-type', 'text/plain');
      res.end('the app');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const served: Served = {
    runtime,
    url,
    base: `${url}${options.basePath ?? '/reprise'}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  afterAll(() => served.close());
  return served;
}

/** A session cookie and CSRF token, as the page gets them. */
export async function login(base: string): Promise<{ cookie: string; csrf: string }> {
  const redirect = await fetch(`${base}?code=${KEY}`, { redirect: 'manual' });
  const cookie = redirect.headers.getSetCookie()[0]!.split(';', 1)[0]!;
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
  return { cookie, csrf };
}

/** A JSON answer as the tests read it (any shape: the assertions say what it must be). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function json(response: Response | Promise<Response>): Promise<Json> {
  return (await response).json();
}
