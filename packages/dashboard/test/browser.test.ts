/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core (which downloads nothing), against a real runtime on
 * SQLite behind a real listener. Screenshots go to test-artifacts/ (ignored by git).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { KEY, XSS, serve } from './fixture.js';
import type { Served } from './fixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

describe('the dashboard in Chromium', { timeout: 90_000 }, () => {
  let context: BrowserContext;
  let profile: string;
  let served: Served;
  let page: Page;
  const alerts: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'reprise-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    served = await serve();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const open = async (hash = '') => {
    await page.goto(`${served.base}?code=${KEY}${hash}`);
    await page.waitForSelector('header.top');
  };
  const instanceRow = (id: string) => page.locator(`tr[data-instance="${id}"]`);

  it('a request without the key gets 401', async () => {
    await context.clearCookies();
    const answer = await page.goto(served.base);
    expect(answer!.status()).toBe(401);
    expect(await page.textContent('body')).toContain('a system key is required');
    const api = await page.evaluate(async (url) => (await fetch(url)).status, `${served.base}/api/session`);
    expect(api).toBe(401);
  });

  it('opens the list, filters by status and orchestrator', async () => {
    const { client } = served.runtime;
    for (let i = 0; i < 3; i++) await client.startNew('Echo', { instanceId: `echo-${i}`, input: { n: i } });
    const failed = await client.startNew('Payment', { instanceId: 'payment-1', input: 42 });
    await client.waitForCompletion(failed, { timeoutMs: 15_000 });
    await open();
    await expect.poll(() => instanceRow('payment-1').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('tr[data-instance]').count(), { timeout: 10_000 }).toBe(4);
    await page.screenshot({ path: join(ARTIFACTS, 'list.png') });

    await page.click('button.count[data-status="Failed"]');
    await expect.poll(() => page.locator('tr[data-instance]').count(), { timeout: 10_000 }).toBe(1);
    expect(page.url()).toContain('status=Failed');
    await expect.poll(() => page.textContent('button.count[data-status="Failed"] .n')).toBe('1');
    await page.click('button.count[data-status="Failed"]');
    await page.fill('input[name="orchestrator"]', 'Echo');
    await page.click('form.filters button[type="submit"]');
    // While the filtered page loads the table is empty: wait for the three Echo rows and nothing else.
    await expect.poll(async () => (await page.locator('tr[data-instance] td:nth-child(2)').allTextContents()).join(','), { timeout: 10_000 }).toBe('Echo,Echo,Echo');
  });

  it('an instance waiting for an event: the explain panel says so; raising the event from the UI completes it without a reload', async () => {
    const id = await served.runtime.client.startNew('Approval', { instanceId: 'approval-1', input: { order: 'A-17' } });
    await open(`#/default/instances/${id}`);
    await expect.poll(() => page.textContent('[data-testid="explain"]'), { timeout: 15_000 }).toContain("event 'Approve'");
    expect(await page.textContent('[data-testid="explain"]')).toContain("waiting for event 'Approve' since");
    await page.screenshot({ path: join(ARTIFACTS, 'instance.png'), fullPage: true });

    await page.getByRole('button', { name: 'Raise event' }).click();
    await page.fill('.dialog input[name="name"]', 'Approve');
    await page.fill('.dialog textarea[name="data"]', '{"by": "ada"}');
    await page.click('.dialog button[type="submit"]');
    await expect.poll(() => page.getAttribute('.instance-head .badge', 'data-status'), { timeout: 15_000 }).toBe('Completed');
    expect(await page.textContent('.panel')).toContain('"by": "ada"');
  });

  it('a failed activity shows its error in the timeline', async () => {
    await open('#/default/instances/payment-1');
    const timeline = page.locator('[data-testid="timeline"]');
    await expect.poll(() => timeline.locator('.terror').count(), { timeout: 10_000 }).toBe(2);
    expect(await timeline.locator('.terror').first().textContent()).toBe('Error: card declined');
    expect(await timeline.locator('.trow[data-status="Failed"]').count()).toBe(2);
    expect(await timeline.textContent()).toContain('Charge (attempt 2)');
    await timeline.screenshot({ path: join(ARTIFACTS, 'timeline.png') });
  });

  it('terminate asks first: cancel leaves it running, confirm terminates it', async () => {
    const id = await served.runtime.client.startNew('Approval', { instanceId: 'approval-2', input: { order: 'B-2' } });
    await open(`#/default/instances/${id}`);
    await expect.poll(() => page.getAttribute('.instance-head .badge', 'data-status'), { timeout: 15_000 }).toBe('Running');
    await page.getByRole('button', { name: 'Terminate' }).click();
    expect(await page.textContent('.dialog')).toContain("Terminate 'approval-2' now?");
    await page.click('.dialog button:has-text("Cancel")');
    expect(await page.locator('.dialog').count()).toBe(0);
    expect((await served.runtime.client.getStatus(id))!.runtimeStatus).toBe('Running');

    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.fill('.dialog input[name="reason"]', 'duplicate order');
    await page.click('.dialog button[type="submit"]');
    await expect.poll(() => page.getAttribute('.instance-head .badge', 'data-status'), { timeout: 15_000 }).toBe('Terminated');
    expect(await page.getByRole('button', { name: 'Terminate' }).isDisabled()).toBe(true);
  });

  it('a payload of <img src=x onerror=alert(1)> renders as text, in the input, the custom status and the history', async () => {
    const id = await served.runtime.client.startNew('Echo', { instanceId: 'xss', input: XSS });
    await served.runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await open('#/default/instances/xss');
    await expect.poll(() => page.locator('pre.json').first().textContent(), { timeout: 10_000 }).toBe(JSON.stringify(XSS));
    await page.getByRole('button', { name: 'History' }).click();
    await expect.poll(() => page.textContent('[data-testid="history"]'), { timeout: 10_000 }).toContain(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('a cross-site POST is refused: the instance is not terminated', async () => {
    const id = await served.runtime.client.startNew('Approval', { instanceId: 'approval-3', input: { order: 'C-3' } });
    await open();
    // Another origin (localhost vs 127.0.0.1) serving a page that posts to the dashboard with the browser's credentials.
    const evil = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>evil</title>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const port = (evil.address() as AddressInfo).port;
      await page.goto(`http://localhost:${port}/`);
      const target = `${served.base}/api/hubs/default/instances/${id}/terminate`;
      // The page posts with the browser's credentials: a fetch (the browser may block it itself, under its
      // private-network rules; if it goes out, the dashboard refuses it), then a classic form POST.
      await page.evaluate(`fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined)`);
      await page.evaluate(`(() => { const form = Object.assign(document.createElement('form'), { method: 'POST', action: ${JSON.stringify(target)} }); document.body.append(form); })()`);
      const [answer] = await Promise.all([page.waitForNavigation(), page.evaluate("document.querySelector('form').submit()")]);
      expect([401, 403]).toContain(answer!.status());
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await served.runtime.client.getStatus(id))!.runtimeStatus).toBe('Running');
    } finally {
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
    }
  });
});
