// The orchestrator-runs tests' app and server: orchestrators with ids, one runtime over a given store.
import { createRuntime, defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext, Runtime, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import type { HttpHandlerOptions } from '@reprise/http';
import { KEY, serveHandler } from './helpers.js';
import type { Served } from './helpers.js';

export const RUNS = '/datasourcesvc/api/v1/orchrun';
export const IMPORT_ID = 'b07990cf-c64d-4cc4-a0bc-02a4daf0510d';

export const load = defineActivity('Load', (params: unknown, actx) => {
  actx.log.info('loading the file');
  return { rows: Array.isArray(params) ? params.length : 0 };
});

/** One step, logs from the orchestrator and the activity, then completes. */
export const importFile = defineOrchestrator(
  'Import',
  function* (ctx: OrchestrationContext<unknown>): Generator<unknown, unknown, unknown> {
    ctx.log.info('Orch run execution has begun');
    const result = yield ctx.callActivity(load, ctx.getInput());
    ctx.log.info('Orch run is done');
    return result;
  },
  { id: IMPORT_ID, description: 'Test Instant Orch', userType: 'test_instant' },
);

/** Runs until the 'go' event (or a cancel request). */
export const hold = defineOrchestrator('Hold', function* (ctx: OrchestrationContext<unknown>): Generator<unknown, unknown, unknown> {
  return yield ctx.waitForExternalEvent('go');
});

/** Catches its cancellation and keeps running until 'go': a run that took a cancel request and has not ended. */
export const stubborn = defineOrchestrator('Stubborn', function* (ctx: OrchestrationContext<unknown>): Generator<unknown, unknown, unknown> {
  try {
    yield ctx.waitForExternalEvent('never');
  } catch {
    yield ctx.waitForExternalEvent('go');
  }
  return 'done';
});

export const fail = defineOrchestrator('Fail', function* (): Generator<unknown, unknown, unknown> {
  throw new Error('the file is broken');
});

export const runsApp = { orchestrators: [importFile, hold, stubborn, fail], activities: [load] };

const runtimes: Runtime[] = [];
export async function stopRuntimes(): Promise<void> {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
}

export interface RunsServer extends Served {
  runtime: Runtime;
  /** `${base}${RUNS}` */
  runs: string;
  /** fetch with the key, answering status and parsed JSON (undefined for an empty body). */
  call(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: any; contentType: string | null }>;
}

/** A runtime over `storage` (memory by default) behind createHttpHandler; `start: false` keeps runs QUEUED. */
export async function serveRuns(setup: { storage?: Storage; start?: boolean; options?: Partial<HttpHandlerOptions>; taskHub?: string } = {}): Promise<RunsServer> {
  const runtime = createRuntime({ storage: setup.storage ?? memoryStorage(), logger: () => {}, ...runsApp, ...(setup.taskHub && { taskHub: setup.taskHub }) });
  runtimes.push(runtime);
  if (setup.start !== false) await runtime.start();
  const served = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, ...setup.options }));
  const call: RunsServer['call'] = async (method, pathAndQuery, body) => {
    const sep = pathAndQuery.includes('?') ? '&' : '?';
    const res = await fetch(`${served.base}${RUNS}${pathAndQuery}${sep}code=${KEY}`, {
      method,
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), contentType: res.headers.get('content-type') };
  };
  return { ...served, runtime, runs: `${served.base}${RUNS}`, call };
}

export const createBody = (orchestratorId: string, params: Record<string, unknown> = { _fileId: 'f1' }) => ({
  orchestratorId,
  _actualParams: [{ sequence_type_id: '9a616686-571e-4167-8a70-d180dcd585a9', params }],
});
