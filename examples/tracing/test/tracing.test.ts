// The example's run on a real SQLite file: the trace tree it prints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { checkout, formatTrace, registry, tracingSetup } from '../src/checkout.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-tracing-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('prints one trace: the request, the start, the orchestration with its episodes, activities (a failed attempt), timer and sub-orchestration', async () => {
  const { tracerProvider, exporter } = tracingSetup();
  const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'shop.db') }), ...registry, logger: () => {}, telemetry: { tracerProvider } });
  await runtime.start();
  try {
    const id = await trace.getTracer('shop').startActiveSpan('POST /checkout', async (span) => {
      const started = await runtime.client.startNew(checkout, { input: ['book', 'lamp'] });
      span.end();
      return started;
    });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
    expect(status.output).toEqual({ paid: 'charged 42', shipped: 'shipped 2 items' });
  } finally {
    await runtime.close();
  }
  const spans = exporter.getFinishedSpans();
  expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  // Names only (durations vary), as formatTrace indents them.
  const shape = formatTrace(spans)
    .split('\n')
    .map((line) => line.replace(/\s+[\d.]+ ms.*$/, '').trimEnd());
  expect(shape.slice(0, 3)).toEqual(['POST /checkout', '  start Checkout', '    orchestration Checkout']);
  const under = shape.filter((line) => line.startsWith('      ') && !line.startsWith('        ')).map((l) => l.trim());
  expect(under.filter((n) => n === 'activity Reserve')).toHaveLength(2);
  expect(under.filter((n) => n === 'activity Charge')).toHaveLength(2);
  expect(under).toContain('timer');
  expect(under).toContain('orchestration Shipping');
  expect(shape.filter((l) => l.trim().startsWith('db.update stock'))).toHaveLength(2);
  expect(formatTrace(spans)).toMatch(/activity Charge.*ERROR card gateway timeout/);
});
