/**
 * Rewind: a Failed instance gets its failing work back. The terminal
 * ExecutionFailed event and the failures that ended the run (those recorded
 * after the last scheduled action, i.e. not handled by the code) are removed
 * from history; failed activities are dispatched again, failed
 * sub-orchestrations are rewound in turn, and a self-message triggers a
 * replay (which also lets fixed code re-run after a NonDeterminismError).
 */
import type { ExecutionRewoundEvent, HistoryEvent } from '../history.js';
import { SCHEDULING_EVENT_TYPES } from '../history.js';
import type { InstanceRecord, NewActivity, NewMessage } from '../storage/types.js';

const SCHEDULING = SCHEDULING_EVENT_TYPES;

export function rewindHistory(history: HistoryEvent[], rewind: HistoryEvent, instance: InstanceRecord): { history: HistoryEvent[]; activities: NewActivity[]; messages: NewMessage[] } {
  const withoutEnd = history.filter((e) => e.EventType !== 'ExecutionFailed');
  let lastScheduled = -1;
  withoutEnd.forEach((e, i) => {
    if (SCHEDULING.has(e.EventType)) lastScheduled = i;
  });
  const activities: NewActivity[] = [];
  const messages: NewMessage[] = [];
  const kept: HistoryEvent[] = [];
  withoutEnd.forEach((event, index) => {
    if (index > lastScheduled && event.EventType === 'TaskFailed') {
      const scheduled = withoutEnd.find((e) => e.EventType === 'TaskScheduled' && e.EventId === event.TaskScheduledId);
      if (scheduled?.EventType === 'TaskScheduled') {
        activities.push({
          instanceId: instance.instanceId,
          executionId: instance.executionId,
          taskScheduledId: scheduled.EventId,
          name: scheduled.Name,
          ...(scheduled.Input !== undefined && { input: scheduled.Input }),
        });
        return;
      }
    }
    if (index > lastScheduled && event.EventType === 'SubOrchestrationInstanceFailed') {
      const created = withoutEnd.find((e) => e.EventType === 'SubOrchestrationInstanceCreated' && e.EventId === event.TaskScheduledId);
      if (created?.EventType === 'SubOrchestrationInstanceCreated') {
        messages.push({ instanceId: created.InstanceId, event: { ...(rewind as ExecutionRewoundEvent) } });
        return;
      }
    }
    kept.push(event);
  });
  messages.push({ instanceId: instance.instanceId, event: { ...(rewind as ExecutionRewoundEvent) } });
  return { history: kept, activities, messages };
}
