import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { eventually, startRuntime } from '../helpers.js';
import { installContextManager } from './otel-setup.js';

/** A real OTLP/HTTP receiver: records each POST to /v1/traces as its JSON body. */
async function otlpReceiver() {
  const posts: { path: string; contentType: string | undefined; body: unknown }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, posts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

function spansOf(posts: { body: unknown }[]): OtlpSpan[] {
  return posts.flatMap((post) => (post.body as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}

describe('OTLP/HTTP export', () => {
  it('the spans of a run arrive at a real OTLP receiver, one trace with the orchestration as parent', async () => {
    installContextManager();
    const receiver = await otlpReceiver();
    try {
      const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }), { scheduledDelayMillis: 50 })] });
      const runtime = await startRuntime({
        telemetry: { tracerProvider: provider },
        orchestrators: {
          Hello: function* (ctx) {
            return yield ctx.callActivity('Greet', 'Tokyo');
          },
        },
        activities: { Greet: async (name: string) => `Hello ${name}` },
      });
      const id = await runtime.client.startNew('Hello');
      await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      await eventually(() => spansOf(receiver.posts).some((s) => s.name === 'orchestration Hello'));
      await provider.forceFlush();
      const spans = spansOf(receiver.posts);
      expect(receiver.posts.every((p) => p.path === '/v1/traces' && p.contentType?.startsWith('application/json'))).toBe(true);
      expect(spans.map((s) => s.name).sort()).toEqual(['activity Greet', 'episode', 'episode', 'orchestration Hello', 'start Hello']);
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      const orchestration = spans.find((s) => s.name === 'orchestration Hello')!;
      for (const span of spans.filter((s) => s.name === 'episode' || s.name === 'activity Greet')) expect(span.parentSpanId).toBe(orchestration.spanId);
      await provider.shutdown();
    } finally {
      await receiver.close();
    }
  });
});
