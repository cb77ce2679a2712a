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
import { TRACED_OUTPUT, shipped, tracedWorkflow } from './fixtures/traced-workflow.js';
import type { ShippedSpan } from './fixtures/traced-workflow.js';

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

    const spans = [...exporter.getFinishedSpans().map(shipped), ...remote];
    const byName = (name: string) => spans.filter((s) => s.name === name);
    // Both processes contributed.
    expect(new Set(spans.map((s) => s.pid)).size).toBe(2);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([caller.spanContext().traceId]));
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
    // Every parent is a span of the trace, the caller's span the only root.
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual(['request']);

    const traced = byName('orchestration Traced');
    expect(traced).toHaveLength(1);
    expect(traced[0]!.pid).toBe(process.pid);
    const orchestration = traced[0]!.spanId;
    expect(byName('start Traced')[0]!.parentSpanId).toBe(byName('request')[0]!.spanId);
    expect(traced[0]!.parentSpanId).toBe(byName('start Traced')[0]!.spanId);
    const child = byName('orchestration Child');
    expect(child).toHaveLength(1);
    expect(child[0]!.parentSpanId).toBe(orchestration);
    // No duplicates: each step once (the Child's under the Child), the retried one twice, the killed attempt never exported.
    const steps = byName('activity Step');
    expect(steps).toHaveLength(4);
    expect(steps.filter((s) => s.parentSpanId === child[0]!.spanId)).toHaveLength(1);
    expect(byName('activity Flaky').map((s) => s.status === 2)).toEqual([true, false]);
    const hang = byName('activity Hang');
    expect(hang).toHaveLength(1);
    expect(hang[0]!.pid).toBe(process.pid);
    expect(hang[0]!.attributes['reprise.activity.attempt']).toBe(2);
    // Under the Child: its episodes and its one step; everything else of the run sits right under the orchestration.
    expect(spans.filter((s) => s.parentSpanId === child[0]!.spanId).map((s) => s.name).sort()).toEqual(['activity Step', 'episode', 'episode']);
    expect(new Set(spans.filter((s) => s.parentSpanId === orchestration).map((s) => s.name))).toEqual(new Set(['episode', 'activity Step', 'activity Flaky', 'activity Hang', 'timer', 'orchestration Child']));
    // The resuming process replayed (cold cache): its episodes say so.
    const resumed = byName('episode').filter((s) => s.pid === process.pid && s.parentSpanId === orchestration);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((s) => s.attributes['reprise.episode.cache_hit'] === false && Number(s.attributes['reprise.episode.replayed_events']) > 0)).toBe(true);
  });
});
