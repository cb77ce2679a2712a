/**
 * Launch an application instance on SQLite, run a workflow while printing
 * its progress, schedule another run, and print the instance as JSON.
 * Run: pnpm --filter @reprise/example-app-instances start
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';
import { applicationsClient } from '@reprise/applications';
import type { ApplicationsClient, AppInstanceStatus } from '@reprise/applications';
import { registrations } from './site.js';

async function until(apps: ApplicationsClient, id: string, done: (s: AppInstanceStatus) => boolean, onChange?: (s: AppInstanceStatus) => void): Promise<AppInstanceStatus> {
  for (;;) {
    const status = (await apps.get(id))!;
    onChange?.(status);
    if (done(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function main(log: (line: string) => void = console.log, dir = mkdtempSync(join(tmpdir(), 'reprise-apps-'))): Promise<AppInstanceStatus> {
  const runtime = createRuntime({ ...registrations, storage: sqliteStorage({ path: join(dir, 'apps.db') }), logger: () => {} });
  await runtime.start();
  try {
    const apps = applicationsClient(runtime);
    const id = await apps.launch('PublicSite', { instanceId: 'site-1', name: 'Public site', parameters: { 'web.domain': 'example.org' }, environmentId: 'prod', ownerId: 'alice' });
    await until(apps, id, (s) => s.status === 'Running');
    log(`launched ${id}`);

    // Parameters as the HTTP document sends them: every value a string.
    await apps.runWorkflow(id, 'deploy', { release: 'v1.2.0', files: '4', delayMs: '100' }, { ownerId: 'bob' });
    let last = '';
    await until(
      apps,
      id,
      (s) => s.status === 'Running',
      (s) => {
        const step = s.workflowHistory.at(-1)?.steps[0];
        const line = step ? `${s.status}: ${step.name} ${step.status} ${step.percentComplete}%` : s.status;
        if (line !== last) log((last = line));
      },
    );

    const { scheduleId } = await apps.scheduleWorkflow(id, 'deploy', { interval: 300, parameters: { release: 'v1.3.0', files: '2', delayMs: '10' } });
    log(`scheduled ${scheduleId} at ${new Date((await apps.listSchedules(id))[0]!.timestamp).toISOString()}`);
    const final = await until(apps, id, (s) => s.status === 'Running' && s.workflowHistory.length === 3 && s.workflowHistory.every((j) => j.status === 'Succeeded'));
    log(JSON.stringify(final, null, 2));
    return final;
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
