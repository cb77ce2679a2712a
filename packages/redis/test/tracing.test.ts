/**
 * One trace across two OS processes sharing a Redis, through a crash:
 * this process starts the instance (in its own span), a worker process runs
 * it until a step hangs and is SIGKILLed there, and this process resumes it
 * (cold cache: every episode replays). Every span is in the caller's trace,
 * under the right parent, and nothing is traced twice.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRuntime } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';
// One workload and one set of expectations for both stores' cross-process tests.
import { TRACED_OUTPUT, shipped, tracedWorkflow } from '../../core/test/observability/traced-workflow.js';
import { expectOneResumedTrace } from '../../core/test/observability/traced-expectations.js';
import type { ShippedSpan } from '../../core/test/observability/traced-workflow.js';

const binary = inject('redisServerBinary');
let server: RedisServer | undefined;
beforeAll(async () => {
  if (binary) server = await startRedisServer({ binary });
});
afterAll(async () => {
  await server?.stop();
});

const LEASE_MS = 1_000;

describe.skipIf(!binary)('tracing across processes (Redis)', () => {
  it('one trace, correct parents, no duplicates after a worker is killed and the instance resumes elsewhere', { timeout: 60_000 }, async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const local = createRuntime({ storage: redisStorage({ url: server!.url }), taskHub: 'traced', leaseMs: LEASE_MS, cacheSize: 0, logger: () => {}, telemetry: { tracerProvider }, ...tracedWorkflow({ hang: false }) });

    const remote: ShippedSpan[] = [];
    const worker = fork(fileURLToPath(new URL('./fixtures/traced-worker.ts', import.meta.url)), [], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      execArgv: ['--conditions=@reprise/source', '--import', 'tsx'],
      env: { ...process.env, REDIS_URL: server!.url, TASK_HUB: 'traced', LEASE_MS: String(LEASE_MS) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
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
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;

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
