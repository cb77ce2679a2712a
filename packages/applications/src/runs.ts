/** Reading an instance's runs and schedules through the core client. */
import { isTerminal } from '@reprise/core';
import type { OrchestrationClient, OrchestrationStatus, ScheduleDescription } from '@reprise/core';
import { APP_TAG, runsPrefix } from './ids.js';

/** Every run of the instance (workflows and scheduled runs), oldest first. */
export async function listRuns(client: OrchestrationClient, instanceId: string, options: { activeOnly?: boolean } = {}): Promise<OrchestrationStatus[]> {
  const runs: OrchestrationStatus[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.listInstances({
      instanceIdPrefix: runsPrefix(instanceId),
      ...(options.activeOnly && { runtimeStatus: ['Pending', 'Running', 'Suspended'] }),
      pageSize: 500,
      ...(continuationToken !== undefined && { continuationToken }),
    });
    runs.push(...page.instances);
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return runs.sort((a, b) => a.createdTime.getTime() - b.createdTime.getTime() || (a.instanceId < b.instanceId ? -1 : 1));
}

export const isActive = (run: OrchestrationStatus): boolean => !isTerminal(run.runtimeStatus);

/**
 * The instance's schedules (tagged with its id), ended ones included. Core
 * lists schedules a page at a time over the whole hub; a hub with very many
 * schedules makes this slower, never wrong.
 */
export async function instanceSchedules(client: OrchestrationClient, instanceId: string): Promise<ScheduleDescription[]> {
  const found: ScheduleDescription[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.schedules.list({ pageSize: 500, ...(continuationToken !== undefined && { continuationToken }) });
    found.push(...page.schedules.filter((s) => s.tags[APP_TAG] === instanceId));
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return found;
}
