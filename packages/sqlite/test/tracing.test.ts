/**
 * One trace across two OS processes sharing a SQLite file, through a crash:
 * this process starts the instance (in its own span), a worker process runs
 * it until a step hangs and is SIGKILLed there, and this process resumes it
 * (cold cache: every episode replays). Every span is in the caller's trace,
 * under the right parent, and nothing is traced twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { exitOf, forkFixture } from './helpers.js';
// One workload and one set of expectations for both stores' cross-process tests.
import { TRACED_OUTPUT, shipped, tracedWorkflow } from '../../core/test/observability/traced-workflow.js';
import { expectOneResumedTrace } from '../../core/test/observability/traced-expectations.js';
import type { ShippedSpan } from '../../core/test/observability/traced-workflow.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-trace-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LEASE_MS = 1_000;

describe('tracing across processes (SQLite)', () => {
  it('one trace, correct parents, no duplicates after a worker is killed and the instance resumes elsewhere', { timeout: 60_000 }, async () => {
    const path = join(dir, 'traced.db');
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const local = createRuntime({ storage: sqliteStorage({ path }), taskHub: 'traced', leaseMs: LEASE_MS, cacheSize: 0, logger: () => {}, telemetry: { tracerProvider }, ...tracedWorkflow({ hang: false }) });

    const remote: ShippedSpan[] = [];
    const worker = forkFixture('traced-worker.ts', [path, 'traced', String(LEASE_MS)]);
    let hanging!: () => void;
    const hung = new Promise<void>((resolve) => (hanging = resolve));
    worker.on('message', (message: unknown) => {
      if (message === 'hanging') hanging();
      else if (typeof message === 'object' && message !== null && 'span' in message) remote.push((message as { span: ShippedSpan }).span);
    });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));

    // The caller: a span of its own, around a start from a client that runs no work.
    const tracer = tracerProvider.getTracer('caller');
    const caller = tracer.startSpan('request');
    const id = await local.client.startNew('Traced', { traceContext: { traceparent: `00-${caller.spanContext().traceId}-${caller.spanContext().spanId}-01` } });
    caller.end();

    await hung;
    worker.kill('SIGKILL');
    await exitOf(worker);

    await local.start();
    try {
      const status = await local.client.waitForCompletion(id, { timeoutMs: 30_000 });
      expect(status.output).toBe(TRACED_OUTPUT);
    } finally {
      await local.close();
    }

    expectOneResumedTrace([...exporter.getFinishedSpans().map(shipped), ...remote], caller.spanContext().traceId);
  });
});
