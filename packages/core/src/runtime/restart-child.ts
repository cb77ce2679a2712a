/**
 * A finished sub-orchestration started again by its own parent (the next
 * attempt of `callSubOrchestratorWithRetry`, or a later call with the same
 * instance id) restarts in place, as in the Durable Task Framework: the
 * previous execution's history is replaced (purged) in the child's own fenced
 * commit, the row becomes a fresh Pending one, and the start is delivered
 * again to begin the new execution. The parent's history keeps every attempt.
 *
 * Its log lines stay (as with continue-as-new), and it does not rejoin a
 * concurrency group (as with rewind).
 */
import { pendingOrchestrationRecord } from '../events.js';
import type { ExecutionStartedEvent, HistoryEvent } from '../history.js';
import { isTerminal } from '../status.js';
import type { InstanceRecord, NewMessage } from '../storage/types.js';

/** True when `event` is a start the terminal `instance` accepts as a restart: it comes from the parent that created it. */
export function isChildRestart(instance: InstanceRecord, event: ExecutionStartedEvent): boolean {
  return isTerminal(instance.status) && instance.parentInstanceId !== undefined && event.ParentInstance?.InstanceId === instance.parentInstanceId;
}

/** The commit that clears the finished execution and delivers the start (and what arrived after it) again. */
export function restartCommit(instance: InstanceRecord, started: ExecutionStartedEvent, later: readonly HistoryEvent[], now: number) {
  const row = pendingOrchestrationRecord({
    instanceId: instance.instanceId,
    name: started.Name,
    executionId: started.ExecutionId,
    input: started.Input,
    now,
    parentInstanceId: instance.parentInstanceId,
    tags: instance.tags,
    namespace: instance.namespace,
    ...(instance.version !== undefined && { version: instance.version }),
  });
  const messages: NewMessage[] = [started, ...later].map((event) => ({ instanceId: instance.instanceId, event }));
  return { instance: row, history: { replace: [] }, messages, activities: [], logs: [] };
}
