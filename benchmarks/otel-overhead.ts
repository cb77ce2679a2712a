/**
 * The OpenTelemetry instrumentation's overhead on W1 (N = 1,000) and W3,
 * measured in one process by alternating runs without telemetry and with an
 * SDK handed to the runtime (a batch span processor into an exporter that
 * drops the spans, and a metric reader), so machine load hits both alike.
 * Reports wall time and the process's CPU time (user + system), medians.
 *
 *   node --import tsx --conditions=@reprise/source otel-overhead.ts --only memory,sqlite --runs 5 [--workloads W1|W3]
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createRuntime } from '@reprise/core';
import type { RuntimeOptions } from '@reprise/core';
import { availableAdapters } from './adapters.js';
import type { Adapter, Workload } from './harness.js';
import { chain } from './workloads/w1-chain.js';
import { throughput } from './workloads/w3-throughput.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(option('runs') ?? 5);
let spans = 0;
const dropping: SpanExporter = {
  export(batch, done) {
    spans += batch.length;
    done({ code: 0 });
  },
  shutdown: async () => {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const telemetry = {
  tracerProvider: new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] }),
  meterProvider: new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 10_000 })] }),
};

async function once(adapter: Adapter, workload: Workload, withOtel: boolean, hub: string): Promise<{ wallMs: number; cpuMs: number }> {
  const storage = await adapter.create();
  const options: RuntimeOptions = { storage, ...workload.definitions, logger: () => {}, taskHub: hub, ...(withOtel && { telemetry }) };
  const runtime = createRuntime(options);
  await runtime.start();
  try {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await workload.run({ client: runtime.client });
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await runtime.stop();
    await storage.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const adapters = await availableAdapters(option('only')?.split(','));
for (const adapter of adapters) {
  for (const workload of option('workloads') === 'W1' ? [chain(1000)] : option('workloads') === 'W3' ? [throughput] : [chain(1000), throughput]) {
    await once(adapter, workload, false, 'warm0');
    await once(adapter, workload, true, 'warm1');
    const plain: { wallMs: number; cpuMs: number }[] = [];
    const traced: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
      plain.push(await once(adapter, workload, false, `p${i}`));
      traced.push(await once(adapter, workload, true, `t${i}`));
    }
    const row = (xs: { wallMs: number; cpuMs: number }[]) => ({ wall: median(xs.map((x) => x.wallMs)), cpu: median(xs.map((x) => x.cpuMs)) });
    const p = row(plain);
    const t = row(traced);
    const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)}%`;
    console.log(
      `${adapter.name.padEnd(7)} ${workload.name.padEnd(22)} wall ${p.wall.toFixed(0)} → ${t.wall.toFixed(0)} ms (${pct(p.wall, t.wall)})   cpu ${p.cpu.toFixed(0)} → ${t.cpu.toFixed(0)} ms (${pct(p.cpu, t.cpu)})`,
    );
  }
  await adapter.dispose?.();
}
await telemetry.tracerProvider.shutdown();
await telemetry.meterProvider.shutdown();
console.log(`(${spans} spans exported and dropped)`);
