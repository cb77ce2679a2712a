// The start and event endpoints join the caller's W3C trace (`traceparent`), over a real listener.
import { describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import { API, DF, KEY, eventually, serveHandler, testApp } from './helpers.js';

const k = `code=${KEY}`;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER = '00f067aa0ba902b7';

async function tracedApi() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const runtime = createRuntime({ storage: memoryStorage(), logger: () => {}, ...testApp(), telemetry: { tracerProvider: provider } });
  await runtime.start();
  const served = await serveHandler(createHttpHandler(runtime, { systemKey: KEY }));
  return { ...served, runtime, spans: () => exporter.getFinishedSpans(), stop: () => runtime.stop() };
}

describe('traceparent on the HTTP API', () => {
  it('a start joins the caller trace: start span under the caller, the instance under it', async () => {
    const api = await tracedApi();
    try {
      const res = await fetch(`${api.base}${DF}/orchestrators/Hello?${k}`, {
        method: 'POST',
        body: JSON.stringify('Tokyo'),
        headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-${CALLER}-01`, tracestate: 'vendor=x' },
      });
      expect(res.status).toBe(202);
      await eventually(() => api.spans().some((s) => s.name === 'orchestration Hello'));
      const spans = api.spans();
      expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([TRACE]));
      const start = spans.find((s) => s.name === 'start Hello')!;
      expect(start.parentSpanContext?.spanId).toBe(CALLER);
      expect(spans.find((s) => s.name === 'orchestration Hello')!.parentSpanContext?.spanId).toBe(start.spanContext().spanId);
      expect(start.spanContext().traceState?.get('vendor')).toBe('x');
    } finally {
      await api.stop();
    }
  });

  it('an event raised over HTTP carries the caller context to the instance; a malformed traceparent is ignored', async () => {
    const api = await tracedApi();
    try {
      const start = await fetch(`${api.base}${API}/instances/startNew?orchestratorFunctionName=Wait&${k}`, { method: 'POST', headers: { traceparent: 'garbage' } });
      expect(start.status).toBe(200);
      const { instanceId } = (await start.json()) as { instanceId: string };
      await eventually(async () => (await api.runtime.client.getStatus(instanceId))?.runtimeStatus === 'Running');
      const raised = await fetch(`${api.base}${API}/instances/${instanceId}/raiseEvent?eventName=Go&${k}`, {
        method: 'POST',
        body: JSON.stringify(1),
        headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-${CALLER}-01` },
      });
      expect(raised.status).toBeLessThan(300);
      await eventually(() => api.spans().some((s) => s.name === 'event Go'));
      const spans = api.spans();
      const raise = spans.find((s) => s.name === 'raiseEvent Go')!;
      expect(raise.spanContext().traceId).toBe(TRACE);
      expect(raise.parentSpanContext?.spanId).toBe(CALLER);
      const event = spans.find((s) => s.name === 'event Go')!;
      expect(event.links.map((l) => l.context.spanId)).toEqual([raise.spanContext().spanId]);
      // The start had no valid traceparent: its trace is its own.
      expect(event.spanContext().traceId).not.toBe(TRACE);
    } finally {
      await api.stop();
    }
  });
});
