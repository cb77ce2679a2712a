// Run a traced checkout on an SQLite file and print its trace as a tree.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { checkout, formatTrace, registry, tracingSetup } from './checkout.js';

const { tracerProvider, exporter } = tracingSetup();
const dir = mkdtempSync(join(tmpdir(), 'reprise-tracing-'));
const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'shop.db') }), ...registry, logger: () => {}, telemetry: { tracerProvider } });
await runtime.start();
try {
  // The caller's span: an API request handler, say. The whole run joins its trace.
  const id = await trace.getTracer('shop').startActiveSpan('POST /checkout', async (span) => {
    try {
      return await runtime.client.startNew(checkout, { input: ['book', 'lamp'] });
    } finally {
      span.end();
    }
  });
  const status = await runtime.client.waitForCompletion(id, { timeoutMs: 30_000 });
  console.log(`${id}: ${status.runtimeStatus}`, status.output);
  await tracerProvider.forceFlush();
  console.log(formatTrace(exporter.getFinishedSpans()));
} finally {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
}
