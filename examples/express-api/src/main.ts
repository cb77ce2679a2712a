/**
 * An existing Express app that mounts the durable-orchestration management
 * API beside its own routes.
 *
 *   REPRISE_KEY=secret node --conditions=@reprise/source --import tsx src/main.ts
 *
 * Own routes: GET /, GET /health, POST /orders (starts an order workflow).
 * Mounted: /runtime/webhooks/durabletask/... (and the 1.x prefix) and /api/orchestration/...,
 * and the dashboard at /reprise (open /reprise?code=<key>).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext, Runtime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import { createDashboard } from '@reprise/dashboard';

export interface Order {
  item: string;
  quantity: number;
}

export function createOrderRuntime(): Runtime {
  return createRuntime({
    storage: memoryStorage(),
    logger: () => {},
    activities: {
      SayHello: (name: string) => `Hello ${name}!`,
      Reserve: (order: Order) => `reserved ${order.quantity} x ${order.item}`,
      Ship: (order: Order) => `shipped ${order.item}`,
    },
    orchestrators: {
      HelloSequence: function* (ctx: OrchestrationContext) {
        const out: string[] = [];
        for (const city of ['Tokyo', 'Seattle', 'London']) out.push(yield ctx.callActivity('SayHello', city));
        return out;
      },
      ProcessOrder: function* (ctx: OrchestrationContext<Order>) {
        const order = ctx.getInput();
        const reserved: string = yield ctx.callActivity('Reserve', order);
        ctx.setCustomStatus({ step: 'waiting for approval' });
        const approval = (yield ctx.waitForExternalEvent('Approval')) as { approved?: boolean } | undefined;
        if (!approval?.approved) return { reserved, shipped: false };
        const shipped: string = yield ctx.callActivity('Ship', order);
        return { reserved, shipped };
      },
    },
    entities: {
      Counter: {
        add: (ctx, amount: number) => ctx.setState((ctx.getState(() => 0) as number) + amount),
        reset: (ctx) => ctx.setState(0),
      },
    },
  });
}

export function createApp(runtime: Runtime, systemKey: string): express.Express {
  const app = express();

  // The app's own routes.
  app.get('/', (_req, res) => {
    res.json({ app: 'express-api example', api: ['/runtime/webhooks/durabletask', '/api/orchestration'] });
  });
  app.get('/health', (_req, res) => {
    res.json({ ok: true, taskHub: runtime.taskHub });
  });
  app.post('/orders', express.json(), async (req, res) => {
    const order = req.body as Partial<Order> | undefined;
    if (!order || typeof order.item !== 'string' || typeof order.quantity !== 'number') {
      res.status(400).json({ error: 'INVALID_ORDER', message: 'send { "item": string, "quantity": number }' });
      return;
    }
    const instanceId = await runtime.client.startNew('ProcessOrder', { input: { item: order.item, quantity: order.quantity } });
    res.status(202).json({ instanceId });
  });

  // The management API, beside them: requests outside its paths fall through to next().
  app.use(createHttpHandler(runtime, { systemKey }));
  // The dashboard at /reprise: open /reprise?code=<key> once in a browser.
  app.use(createDashboard(runtime, { systemKey }));

  return app;
}

export async function main(): Promise<{ server: Server; runtime: Runtime; url: string }> {
  const systemKey = process.env.REPRISE_KEY;
  if (!systemKey) throw new Error('set REPRISE_KEY: the management API is served only with a key');
  const runtime = createOrderRuntime();
  await runtime.start();
  const app = createApp(runtime, systemKey);
  const host = process.env.HOST ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(Number(process.env.PORT ?? 3000), host, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  const stop = () => {
    server.close();
    void runtime.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { server, runtime, url };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    ({ url }) => console.log(`listening on ${url}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
