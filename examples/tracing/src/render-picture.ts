// Renders docs/observability-trace.svg from a real run of the checkout (run: node --conditions=@reprise/source --import tsx src/render-picture.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { checkout, registry, tracingSetup } from './checkout.js';
import { waterfallSvg } from './waterfall-svg.js';

const { tracerProvider, exporter } = tracingSetup();
const dir = mkdtempSync(join(tmpdir(), 'reprise-picture-'));
const runtime = createRuntime({ storage: sqliteStorage({ path: join(dir, 'shop.db') }), ...registry, logger: () => {}, telemetry: { tracerProvider } });
await runtime.start();
try {
  const id = await trace.getTracer('shop').startActiveSpan('POST /checkout', async (span) => {
    const started = await runtime.client.startNew(checkout, { input: ['book', 'lamp'] });
    span.end();
    return started;
  });
  await runtime.client.waitForCompletion(id, { timeoutMs: 30_000 });
} finally {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
}
const target = fileURLToPath(new URL('../../../docs/observability-trace.svg', import.meta.url));
writeFileSync(target, waterfallSvg(exporter.getFinishedSpans()));
console.log(`wrote ${target}`);
