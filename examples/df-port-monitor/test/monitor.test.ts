// The ported monitor sample: checks on durable timers until the job
// completes, then one alert; a monitor that expires first sends none, and a
// starter that waits less than the monitor answers with the check-status 202.
import { beforeEach, expect, it } from 'vitest';
import { httpStart, startApp } from '../src/app.js';
import { alerts, jobs } from '../src/functions.js';

beforeEach(() => {
  jobs.clear();
  alerts.length = 0;
});

const start = (input: object) => new Request('http://localhost:7071/api/monitor', { method: 'POST', body: JSON.stringify(input) });

it('checks until the job completes, alerts once, and the starter answers 200 with the output', async () => {
  jobs.set('j1', { checks: 0, completeAfter: 3 });
  const runtime = await startApp();
  try {
    const response = await httpStart(runtime, start({ jobId: 'j1', machineId: 'm1', pollingIntervalSeconds: 0.2, expiryMinutes: 1 }), 20_000);
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('alerted');
    expect(jobs.get('j1')!.checks).toBe(3);
    expect(alerts).toEqual(['Job done on m1']);
  } finally {
    await runtime.close();
  }
});

it('answers 202 with the management URLs while the monitor still runs, and expires without an alert', async () => {
  jobs.set('j2', { checks: 0, completeAfter: 1000 });
  const runtime = await startApp();
  try {
    const response = await httpStart(runtime, start({ jobId: 'j2', machineId: 'm2', pollingIntervalSeconds: 0.2, expiryMinutes: 0.01 }), 100);
    expect(response.status).toBe(202);
    const payload = (await response.json()) as { id: string; statusQueryGetUri: string };
    expect(response.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri).toBe(`http://localhost:7071/runtime/webhooks/durabletask/instances/${payload.id}?taskHub=default`);
    const status = await runtime.client.waitForCompletion(payload.id, { timeoutMs: 20_000 });
    expect(status.output).toBe('expired');
    expect(alerts).toEqual([]);
    const logs = (await runtime.client.getLogs(payload.id)).filter((l) => l.message.startsWith('Job j2 is Running'));
    expect(logs.length).toBe(jobs.get('j2')!.checks);
  } finally {
    await runtime.close();
  }
});
