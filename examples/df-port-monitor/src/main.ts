// Runs the ported monitor sample: a job that completes on its third check,
// polled every second; the starter waits for the monitor and answers 200.
import { startApp, httpStart } from './app.js';
import { alerts, jobs } from './functions.js';

jobs.set('job-1', { checks: 0, completeAfter: 3 });
const runtime = await startApp();
try {
  const input = { jobId: 'job-1', machineId: 'machine-7', pollingIntervalSeconds: 1, expiryMinutes: 1 };
  const response = await httpStart(runtime, new Request('http://localhost:7071/api/monitor', { method: 'POST', body: JSON.stringify(input) }), 10_000);
  console.log(response.status, await response.text());
  console.log(alerts);
} finally {
  await runtime.close();
}
