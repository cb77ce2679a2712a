/**
 * A real OpenTelemetry SDK (2.x) for the tests: an in-memory span exporter
 * behind a simple processor, handed to the runtime (nothing global but the
 * context manager, which the application owns and tests must install).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { formatSpanTree, spanTrees } from '@reprise/testing';

let contextManager: AsyncLocalStorageContextManager | undefined;

/** Installs async-hooks context propagation once per test process (what an application's SDK setup does). */
export function installContextManager(): void {
  if (contextManager) return;
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
}

export function tracingSdk() {
  installContextManager();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    provider,
    exporter,
    tracer: provider.getTracer('test'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The exported spans of one trace as an indented tree. */
    tree: (): string => formatSpanTree(spanTrees(exporter.getFinishedSpans())),
  };
}

export function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}
