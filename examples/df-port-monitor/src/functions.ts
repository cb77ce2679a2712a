// The Durable Functions "monitor" sample (JavaScript), ported: an orchestrator
// that checks a job's status on a durable timer until the job completes or
// the monitor expires, then sends an alert. The bodies are the sample's: the
// imports changed (`durable-functions` → `@reprise/core/df` for RetryOptions)
// and `context.df.` became `ctx.`. The sample's `moment` arithmetic is plain
// Date arithmetic here. The registrations became the runtime's registry (app.ts).
import type { ActivityContext, OrchestrationContext } from '@reprise/core';
import * as df from '@reprise/core/df';

export interface MonitorInput {
  jobId: string;
  machineId: string;
  pollingIntervalSeconds: number;
  expiryMinutes: number;
}

export function* monitorOrchestrator(ctx: OrchestrationContext<MonitorInput>): Generator<unknown, string, string> {
  const { jobId, machineId, pollingIntervalSeconds, expiryMinutes } = ctx.getInput();
  const expiryTime = new Date(ctx.currentUtcDateTime.getTime() + expiryMinutes * 60_000);
  // A status check that fails is retried twice, a second apart, before the monitor gives up.
  const retry = new df.RetryOptions(1000, 3);

  while (ctx.currentUtcDateTime < expiryTime) {
    const jobStatus = yield ctx.callActivityWithRetry('getJobStatus', retry, jobId);
    if (jobStatus === 'Completed') {
      // Replay-safe: written once, however often this code replays.
      ctx.log.info(`Job ${jobId} completed; alerting ${machineId}.`);
      yield ctx.callActivity('sendAlert', machineId);
      return 'alerted';
    }
    ctx.log(`Job ${jobId} is ${jobStatus}; next check in ${pollingIntervalSeconds} s.`);
    const nextCheck = new Date(ctx.currentUtcDateTime.getTime() + pollingIntervalSeconds * 1000);
    yield ctx.createTimer(nextCheck);
  }
  return 'expired';
}

/** The job table the activities read (a real app would call the job's service). */
export const jobs = new Map<string, { checks: number; completeAfter: number }>();
export const alerts: string[] = [];

export function getJobStatus(jobId: string, context: ActivityContext): string {
  const job = jobs.get(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  job.checks += 1;
  context.log(`check ${job.checks} of job ${jobId}`);
  return job.checks >= job.completeAfter ? 'Completed' : 'Running';
}

export function sendAlert(machineId: string): void {
  alerts.push(`Job done on ${machineId}`);
}
