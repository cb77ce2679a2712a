// The host: the runtime with the sample's functions, and a starter that
// answers with waitForCompletionOrCreateCheckStatusResponse (200 with the
// output when the monitor ends within the wait, else the check-status 202).
import { createRuntime } from '@reprise/core';
import type { CheckStatusResponse, Runtime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { getJobStatus, monitorOrchestrator, sendAlert } from './functions.js';
import type { MonitorInput } from './functions.js';

export async function startApp(): Promise<Runtime> {
  const runtime = createRuntime({
    storage: memoryStorage(),
    orchestrators: { monitorOrchestrator },
    activities: { getJobStatus, sendAlert },
    logger: () => {},
  });
  await runtime.start();
  return runtime;
}

/** The sample's HTTP starter, called with a web Request. */
export async function httpStart(runtime: Runtime, request: Request, timeoutInMilliseconds: number): Promise<CheckStatusResponse> {
  const input = (await request.json()) as MonitorInput;
  const instanceId = await runtime.client.startNew('monitorOrchestrator', { input });
  return runtime.client.waitForCompletionOrCreateCheckStatusResponse(request, instanceId, { timeoutInMilliseconds, retryIntervalInMilliseconds: 100 });
}
