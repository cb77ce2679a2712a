// ctx.callHttp survives a crash between two polls: a real worker process on a
// SQLite file is SIGKILLed while it waits between polls of a 202; another
// runtime on the file resumes the poll, and the server sees the first request
// once (a replay never re-sends one).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { DurableHttpResponse, OrchestrationContext } from '@reprise/core';
import { eventually } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';
import { exitOf, forkFixture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a worker killed between two polls: the poll resumes elsewhere, the POST is sent once', async () => {
  const seen: string[] = [];
  let gets = 0;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') return res.writeHead(202, { location: '/jobs/1', 'retry-after': '0' }).end();
      gets += 1;
      // The first poll asks for a long wait: the worker dies in it.
      if (gets === 1) return res.writeHead(202, { location: '/jobs/1', 'retry-after': '2' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"state":"done"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = join(dir, 'poll.db');
  const hub = 'httpcrash';
  const storage = sqliteStorage({ path });
  await storage.open();
  const worker = forkFixture('http-poll-worker.ts', [path, hub]);
  try {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    worker.send({ start: url });
    // Between the polls: the first GET was answered 202 and the wait for the next one is committed.
    await eventually(
      async () => {
        const history = await storage.getHistory(hub, 'poll-1');
        return history.filter((e) => e.EventType === 'TaskCompleted').length === 2 && history.filter((e) => e.EventType === 'TimerCreated').length === 2;
      },
      { timeoutMs: 20_000, what: 'the wait between the two polls' },
    );
    worker.kill('SIGKILL');
    await exitOf(worker);
    expect(seen).toEqual(['POST /jobs', 'GET /jobs/1']);

    const runtime = createRuntime({
      storage: sqliteStorage({ path }),
      taskHub: hub,
      logger: () => {},
      orchestrators: {
        Poll: function* (ctx: OrchestrationContext<string>) {
          return yield ctx.callHttp({ method: 'POST', url: `${ctx.getInput()}/jobs`, body: { job: 1 } });
        },
      },
    });
    await runtime.start();
    try {
      const status = await runtime.client.waitForCompletion('poll-1', { timeoutMs: 20_000 });
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output as DurableHttpResponse).toMatchObject({ statusCode: 200, content: '{"state":"done"}' });
    } finally {
      await runtime.close();
    }
    expect(seen).toEqual(['POST /jobs', 'GET /jobs/1', 'GET /jobs/1']);
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await storage.close();
    server.closeAllConnections();
    server.close();
  }
});
