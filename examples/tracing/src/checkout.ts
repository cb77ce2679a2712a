/**
 * The example's workflow and its tracing setup. `checkout` reserves stock for
 * each line in parallel, charges the card (retried once: the first attempt
 * fails), and ships through a sub-orchestration. The SDK setup is what an
 * application does once: a context manager (so activities' own spans nest),
 * and a tracer provider handed to the runtime (Reprise registers nothing).
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defineActivity, defineOrchestrator } from '@reprise/core';

export function tracingSetup() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // The application's own code traces through the global API; Reprise is handed the provider (or finds this global one).
  trace.setGlobalTracerProvider(tracerProvider);
  return { tracerProvider, exporter };
}

let charges = 0;
export const reserve = defineActivity('Reserve', async (sku: string) => {
  // The application's own instrumentation: this span nests under the activity's.
  return trace.getTracer('shop').startActiveSpan(`db.update stock ${sku}`, async (span) => {
    span.end();
    return `${sku}:reserved`;
  });
});
export const charge = defineActivity('Charge', async (amount: number) => {
  charges += 1;
  if (charges === 1) throw new Error('card gateway timeout');
  return `charged ${amount}`;
});
export const ship = defineActivity('Ship', async (items: string[]) => `shipped ${items.length} items`);

export const shipping = defineOrchestrator('Shipping', function* (ctx) {
  return yield* ctx.callActivity(ship, ctx.getInput() as string[]);
});

export const checkout = defineOrchestrator('Checkout', function* (ctx) {
  const skus = ctx.getInput() as string[];
  const reserved: string[] = yield ctx.all(skus.map((sku) => ctx.callActivity(reserve, sku)));
  const paid: string = yield ctx.callActivityWithRetry(charge, { firstRetryIntervalInMilliseconds: 50, maxNumberOfAttempts: 3 }, 42);
  const shipped: string = yield ctx.callSubOrchestrator(shipping, reserved);
  return { paid, shipped };
});

export const registry = { orchestrators: [checkout, shipping], activities: [reserve, charge, ship] };

/** The spans as an indented tree, children in start order, with durations. */
export function formatTrace(spans: readonly ReadableSpan[]): string {
  const byStart = [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const ids = new Set(byStart.map((s) => s.spanContext().spanId));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of byStart) {
      const parentId = span.parentSpanContext?.spanId;
      if ((parent === undefined ? parentId !== undefined && ids.has(parentId) : parentId !== parent)) continue;
      const ms = span.duration[0] * 1e3 + span.duration[1] / 1e6;
      const error = span.status.code === 2 ? `  ERROR ${span.status.message ?? ''}` : '';
      lines.push(`${'  '.repeat(depth)}${span.name.padEnd(34 - 2 * depth)} ${ms.toFixed(1).padStart(7)} ms${error}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
