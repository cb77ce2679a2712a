/**
 * `--otel`: registers an OpenTelemetry SDK globally, as an application
 * would, so the workloads run with tracing and metrics on. Spans go through
 * a batch processor to an exporter that only counts them (the cost measured
 * is Reprise's instrumentation and the SDK's, not a network), metrics to a
 * periodic reader. Without the flag nothing is registered: the no-op path.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

export const exported = { spans: 0 };

const countingExporter: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    exported.spans += spans.length;
    done({ code: 0 });
  },
  shutdown: async () => {},
};

export function registerOtel(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(countingExporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] }));
  metrics.setGlobalMeterProvider(
    new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 10_000 })] }),
  );
}
