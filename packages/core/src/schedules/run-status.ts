/**
 * How a schedule's run shows in statuses: `scheduleId` from the tag the
 * firing set, the tag itself kept out of the user's `tags`.
 */
import type { OrchestrationStatus } from '../status-types.js';
import { SCHEDULE_TAG } from './ids.js';

export function withScheduleId<S extends OrchestrationStatus<unknown, unknown>>(status: S): S {
  const scheduleId = status.tags?.[SCHEDULE_TAG];
  if (scheduleId === undefined) return status;
  const { [SCHEDULE_TAG]: _, ...tags } = status.tags!;
  const { tags: __, ...rest } = status;
  return { ...rest, ...(Object.keys(tags).length > 0 && { tags }), scheduleId } as S;
}
