/**
 * ctx.callHttp through a real runtime on the store under test, against a
 * real loopback listener: the 202/Location polling pattern on durable timers
 * ends with the first non-202 answer, each request sent once, and the
 * DF-shaped `ctx.log(...)` writes its line once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DurableHttpResponse, LogEntry, OrchestrationContext } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { cacheModes, runtimeStarter } from './runtime-helpers.js';

export function describeRuntimeCallHttp(ctx: ConformanceContext): void {
  describe.each(cacheModes)('runtime: callHttp ($label)', ({ cacheSize }) => {
    const start = runtimeStarter(ctx);

    it('polls a 202 with Location until a 200; every request is sent once; ctx.log(...) lines are written once', async () => {
      const seen: string[] = [];
      const server = createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        req.resume();
        req.on('end', () => {
          const polls = seen.filter((s) => s.startsWith('GET')).length;
          if (req.method === 'POST' || polls < 2) return res.writeHead(202, { location: '/status', 'retry-after': '0' }).end();
          res.writeHead(200).end('finished');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const lines: string[] = [];
      try {
        const runtime = await start({
          cacheSize,
          logger: (entry: LogEntry) => lines.push(entry.message),
          orchestrators: {
            Poll: function* (ctx: OrchestrationContext<string>) {
              const response = (yield ctx.callHttp({ method: 'POST', url: `${ctx.getInput()}/start` })) as DurableHttpResponse;
              ctx.log('answered', response.statusCode);
              return response;
            },
          },
        });
        const id = await runtime.client.startNew('Poll', { input: url });
        const status = await runtime.client.waitForCompletion(id, { timeoutMs: 20_000 });
        expect(status.output).toMatchObject({ statusCode: 200, content: 'finished' });
        expect(seen).toEqual(['POST /start', 'GET /status', 'GET /status']);
        expect(lines).toEqual(['answered 200']);
        expect((await runtime.client.getLogs(id)).map((l) => [l.level, l.message])).toEqual([['info', 'answered 200']]);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
}
