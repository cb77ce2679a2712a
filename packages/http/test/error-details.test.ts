/**
 * Issue 12, defect 8: a Failed instance's output carried its stack trace, with
 * server file paths, through the HTTP APIs. Over HTTP the `stack` of failure
 * details is left out unless the handler sets `exposeErrorDetails: true`; the
 * core status keeps it.
 */
import { describe, expect, it } from 'vitest';
import { API, DF, KEY, flaky, serveApi } from './helpers.js';

const k = `code=${KEY}`;

interface FailureView {
  name?: string;
  message?: string;
  stack?: string;
}

async function failedInstances(options: { exposeErrorDetails?: boolean }) {
  const served = await serveApi(options);
  flaky.broken = true;
  await served.runtime.client.startNew('Fail', { instanceId: 'f1' });
  await served.runtime.client.startNew('Rewindable', { instanceId: 'f2' }); // its activity throws
  for (const id of ['f1', 'f2']) expect((await served.runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).runtimeStatus).toBe('Failed');
  return served;
}

/** Every failure-details object in an answer: outputs of Failed instances and `Details` of history events. */
function failureViews(body: unknown): FailureView[] {
  const found: FailureView[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (record.runtimeStatus === 'Failed' && record.output) found.push(record.output as FailureView);
    if (record.Details) found.push(record.Details as FailureView);
    Object.values(record).forEach(visit);
  };
  visit(body);
  return found;
}

const urls = (base: string) => [
  `${base}${DF}/instances/f1?${k}&showHistory=true&showHistoryOutput=true`,
  `${base}${DF}/instances/f2?${k}&showHistory=true&showHistoryOutput=true`,
  `${base}${DF}/instances?${k}&showHistory=true&showHistoryOutput=true`,
  `${base}${API}/instances/f2?${k}&showHistory=true&showHistoryOutput=true`,
  `${base}${API}/instances?${k}`,
];

describe('failure details over HTTP', () => {
  it('leave out the stack by default; the core status keeps it', async () => {
    const { base, runtime } = await failedInstances({});
    expect(((await runtime.client.getStatus('f1'))!.output as FailureView).stack).toMatch(/boom/);
    for (const url of urls(base)) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const text = await res.text();
      const views = failureViews(JSON.parse(text));
      expect(views.length, url).toBeGreaterThan(0);
      for (const view of views) {
        expect(view, url).toMatchObject({ name: 'Error', message: expect.any(String) });
        expect(view, url).not.toHaveProperty('stack');
      }
      expect(text, url).not.toMatch(/file:\/\/|\.ts:\d+|node:internal|\bat .*\(/);
    }
  });

  it('include the stack with exposeErrorDetails: true', async () => {
    const { base } = await failedInstances({ exposeErrorDetails: true });
    for (const url of urls(base)) {
      const views = failureViews(await (await fetch(url)).json());
      expect(views.length, url).toBeGreaterThan(0);
      for (const view of views) expect(view.stack, url).toMatch(/^Error: /);
    }
  });
});
