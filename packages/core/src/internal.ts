/**
 * internal: for sibling packages, no stability promise.
 *
 * Engine pieces that `@reprise/testing` drives directly (the pure replay
 * engine, action <-> history helpers, history rendering). Not part of the
 * public API: names and shapes here change without notice.
 */
export { OrchestrationExecutor } from './engine/executor.js';
export type { ExecutionOutcome, ExecutorOptions } from './engine/executor.js';
export { scheduledEvent, describeAction, describeScheduledEvent, sameAction } from './engine/actions.js';
export type { Action, ActionKind } from './engine/actions.js';
export { jsonSafeValue, renderHistory } from './client/render.js';
export { toRegistryMap } from './definitions.js';
export { toFailureDetails } from './errors.js';
export { executeEntityOperation } from './entities/entity-operation.js';
export type { EntityOperationOutcome, EntityOperationRequest } from './entities/entity-operation.js';
export { episodeHistory } from './runtime/plan-episode.js';
export { isFireAndForget } from './runtime/effects.js';
export { executionStartedEvent, executionCompletedEvent, executionFailedEvent, pendingOrchestrationRecord } from './events.js';
export { replayRecorded, checkReplay, recordedEnd } from './versioning/check-replay.js';
export type { ReplayDivergence, ReplayRun, RecordedEnd } from './versioning/check-replay.js';
export { matchesVersion } from './versioning/versions.js';
