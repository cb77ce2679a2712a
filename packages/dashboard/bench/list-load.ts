/**
 * The instance list with 100,000 instances on SQLite: fill a file through a
 * real runtime (completed, failed and waiting runs), then measure the JSON
 * API (first page, counts by status, a page deep in the keyset, a filtered
 * page) and the page load in Chromium, from navigation to a rendered list
 * with its counts.
 *
 *   node --conditions=@reprise/source --import tsx bench/list-load.ts [instances=100000] [file]
 *
 * A file from an earlier run is reused when it holds enough instances.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { createDashboard } from '@reprise/dashboard';
import { buildUi } from '../scripts/build-ui.mjs';

const total = Number(process.argv[2] ?? 100_000);
const file = process.argv[3] ?? join(tmpdir(), `reprise-dashboard-bench-${total}.db`);
const KEY = 'bench-key';

const runtime = createRuntime({
  storage: sqliteStorage({ path: file }),
  logger: () => {},
  maxConcurrentOrchestrations: 200,
  maxConcurrentActivities: 200,
  activities: { Work: (n: number) => n * 2, Fail: () => { throw new Error('declined'); } },
  orchestrators: {
    Order: function* (ctx: OrchestrationContext<number>) {
      return yield ctx.callActivity('Work', ctx.getInput());
    },
    Payment: function* (ctx: OrchestrationContext<number>) {
      return yield ctx.callActivity('Fail', ctx.getInput());
    },
    Approval: function* (ctx: OrchestrationContext) {
      return yield ctx.waitForExternalEvent('Approve');
    },
  },
});

async function fill(): Promise<void> {
  const existing = await runtime.client.countInstances();
  if (existing >= total) return console.log(`reusing ${file} (${existing} instances)`);
  const started = performance.now();
  const batch = 500;
  for (let i = existing; i < total; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, total - i) }, (_, k) => {
        const n = i + k;
        const name = n % 20 === 0 ? 'Approval' : n % 20 === 1 ? 'Payment' : 'Order';
        return runtime.client.startNew(name, { instanceId: `order-${String(n).padStart(6, '0')}`, input: n, namespace: n % 2 === 0 ? 'eu' : 'us' });
      }),
    );
    if ((i / batch) % 20 === 0) console.log(`started ${i + batch}`);
  }
  for (;;) {
    const [pending, running] = await Promise.all([runtime.client.countInstances({ runtimeStatus: ['Pending'] }), runtime.client.countInstances({ runtimeStatus: ['Running'] })]);
    if (pending === 0 && running <= total / 20) break;
    console.log(`waiting: ${pending} pending, ${running} running`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  console.log(`filled ${total} instances in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function timed<T>(label: string, run: () => Promise<T>, times = 5): Promise<T> {
  let value: T | undefined;
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    value = await run();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label}: median ${samples[Math.floor(samples.length / 2)]!.toFixed(1)} ms (min ${samples[0]!.toFixed(1)}, max ${samples[samples.length - 1]!.toFixed(1)})`);
  return value!;
}

const built = await buildUi();
console.log(`bundle: ${built.script} ${built.scriptBytes} B, ${built.scriptGzipBytes} B gzipped; ${built.styles} ${built.stylesGzipBytes} B gzipped`);
await runtime.start();
await fill();

const dashboard = createDashboard(runtime, { systemKey: KEY });
const server = http.createServer((req, res) => dashboard(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reprise`;
const headers = { 'x-functions-key': KEY };
const get = async (path: string) => {
  const response = await fetch(`${base}/api/hubs/default/${path}`, { headers });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<{ instances?: unknown[]; continuationToken?: string }>;
};

console.log(`counts: ${JSON.stringify(await get('counts'))}`);
await timed('GET instances (first page of 50)', () => get('instances'));
await timed('GET counts (8 statuses)', () => get('counts'));
await timed('GET counts, namespace eu', () => get('counts?namespace=eu'));
await timed('GET instances?status=Failed', () => get('instances?status=Failed'));
await timed('GET instances?orchestrator=Approval&namespace=eu', () => get('instances?orchestrator=Approval&namespace=eu'));
let token: string | undefined;
for (let page = 0; page < 500; page++) token = (await get(`instances?pageSize=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`)).continuationToken;
await timed('GET instances, page 501 of 1,000 (keyset token)', () => get(`instances?continuationToken=${encodeURIComponent(token!)}`));

const profile = mkdtempSync(join(tmpdir(), 'reprise-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await context.newPage();
await page.goto(`${base}?code=${KEY}`);
await page.waitForSelector('tr[data-instance]');
const loads: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await page.goto(`${base}/`);
  await page.waitForSelector('tr[data-instance]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="counts"]')?.textContent?.includes('…'));
  loads.push(performance.now() - t);
}
loads.sort((a, b) => a - b);
console.log(`page load in Chromium (navigation to a rendered list of 50 with counts): median ${loads[2]!.toFixed(0)} ms (min ${loads[0]!.toFixed(0)}, max ${loads[4]!.toFixed(0)})`);
await context.close();
rmSync(profile, { recursive: true, force: true });
server.closeAllConnections();
server.close();
await runtime.close();
if (!existsSync(file)) console.log('(the file is gone)');
