/**
 * The workflows the workflow-service tests register (orchestrators named
 * `<project>.<name>`), and a runtime on a given store behind the handler.
 */
import type http from 'node:http';
import { afterEach } from 'vitest';
import { createRuntime, defineActivity, defineOrchestrator, defineWorkflow } from '@reprise/core';
import type { Runtime, Storage, WorkflowTaskInput } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import type { HttpHandlerOptions } from '@reprise/http';
import { KEY, listen } from './helpers.js';

export const WS = '/api';
export const k = `code=${KEY}`;

/** A promise the test releases: the Gate activity waits on it. */
export const gates = new Map<string, { wait: Promise<void>; open(): void }>();
export function gate(name: string): () => void {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  gates.set(name, { wait, open });
  return open;
}

const step = (name: string) => defineActivity(name, async (arg: WorkflowTaskInput<Record<string, unknown>>) => `${name}:${Object.keys(arg.results).join(',')}`);
const extract = step('Extract');
const transform = step('Transform');
const load = step('Load');
/** Waits for `gates.get(input.gate)`; `fail: true` throws. */
const gated = defineActivity('Gated', async (arg: WorkflowTaskInput<{ gate?: string; fail?: boolean }>) => {
  if (arg.input.gate !== undefined) await gates.get(arg.input.gate)?.wait;
  if (arg.input.fail) throw new Error('gated task failed');
  return 'gated';
});
const plain = defineActivity('Plain', async (n: number) => n + 1);

export const workflows = {
  orchestrators: [
    // The document's example: three tasks in a chain.
    defineWorkflow('example.ETL', { tasks: { EXTRACT: { activity: extract }, TRANSFORM: { activity: transform, after: ['EXTRACT'] }, LOAD: { activity: load, after: ['TRANSFORM'] } } }),
    // Two tasks at once, then one after both: with one activity slot, one of the first two waits (pending).
    defineWorkflow('example.Gated', { tasks: { FIRST: { activity: gated }, SECOND: { activity: gated }, LAST: { activity: gated, after: ['FIRST', 'SECOND'] } } }),
    defineOrchestrator('example.Plain', function* (ctx) {
      const a = yield* ctx.callActivity(plain, 1);
      return yield* ctx.callActivity(plain, a);
    }),
    defineOrchestrator('example.Wait', function* (ctx) {
      return yield* ctx.waitForExternalEvent('Go');
    }),
    defineOrchestrator('example.Fail', function* () {
      throw new Error('boom');
    }),
    // One at a time: a second start waits queued (pending).
    defineOrchestrator('example.Single', function* (ctx) {
      return yield* ctx.waitForExternalEvent('Go');
    }, { concurrency: { group: 'single', limit: 1 } }),
    defineOrchestrator('other.Echo', function* (ctx) {
      return ctx.getInput();
    }),
    // Not workflows: the default namespace, or a name outside its namespace.
    defineOrchestrator('Echo', function* (ctx) {
      return ctx.getInput();
    }),
  ],
  activities: [extract, transform, load, gated, plain],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Gates first: a runtime stops once its running activities have returned.
  for (const g of gates.values()) g.open();
  gates.clear();
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

export interface ServeWorkflows {
  storage?: Storage;
  /** false: the work loops do not run (every workflow stays pending). */
  start?: boolean;
  options?: Partial<HttpHandlerOptions>;
  /** The app's own routes, after the handler. */
  next?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

export async function serveWorkflows(setup: ServeWorkflows = {}): Promise<{ base: string; port: number; runtime: Runtime }> {
  const runtime = createRuntime({ storage: setup.storage ?? memoryStorage(), logger: () => {}, onError: () => {}, maxConcurrentActivities: 1, ...workflows });
  cleanups.push(() => runtime.stop());
  if (setup.start !== false) await runtime.start();
  const handler = createHttpHandler(runtime, { systemKey: KEY, onError: () => {}, ...setup.options });
  const next = setup.next ?? ((_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.statusCode = 299;
    res.end('app');
  });
  // The app reads the body before answering, as a real one would: a kept-alive connection then stays usable.
  const { base, port } = await listen((req, res) => void handler(req, res, () => req.resume().once('end', () => next(req, res))));
  return { base, port, runtime };
}

/** `POST /api/workflows` */
export function create(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}${WS}/workflows?${k}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Every instance of the hub, workflows or not. */
export async function instanceCount(runtime: Runtime): Promise<number> {
  return runtime.client.countInstances();
}

export const SERVICE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
