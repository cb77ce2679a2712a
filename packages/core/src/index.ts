// The whole public surface of @reprise/core.

// Storage contract (for adapter authors)
export type {
  Storage,
  StorageCapabilities,
  StorageNotice,
  SubscribeOptions,
  InstanceKind,
  InstanceRecord,
  NewMessage,
  StoredMessage,
  NewActivity,
  ActivityWorkItem,
  LockedInstance,
  GiveBackOptions,
  LockOptions,
  LockResult,
  LogEntry,
  ActivityProgress,
  ActivityState,
  OrchestrationCommit,
  CommitResult,
  ActivityCompletion,
  CompletionResult,
  InstanceQuery,
  InstancePage,
  PurgeFilter,
  CreateInstanceResult,
  ConcurrencyGroup,
  Admission,
  QueuePosition,
  CountQuery,
  QueuedCancellation,
  PendingMessage,
  RuntimeRegistration,
  RuntimeEntry,
} from './storage/types.js';
export { RUNTIME_RETENTION_MS } from './storage/types.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  compareInstances,
  cursorOf,
  decodeContinuationToken,
  encodeContinuationToken,
  isAfterCursor,
  matchesPage,
  matchesQuery,
  pageOf,
  pageSizeOf,
} from './storage/query.js';
export type { PageCursor } from './storage/query.js';
export { leaseLost } from './storage/lease-lost.js';

// History, statuses, clock
export type {
  HistoryEvent,
  HistoryEventOf,
  EventType,
  Payload,
  ParentInstance,
  ExecutionStartedEvent,
  ExecutionCompletedEvent,
  ExecutionFailedEvent,
  ExecutionTerminatedEvent,
  ExecutionCancelRequestedEvent,
  ExecutionSuspendedEvent,
  ExecutionResumedEvent,
  ExecutionRewoundEvent,
  ContinueAsNewEvent,
  TaskScheduledEvent,
  TaskCompletedEvent,
  ProgressRecord,
  TaskFailedEvent,
  SubOrchestrationInstanceCreatedEvent,
  SubOrchestrationInstanceCompletedEvent,
  SubOrchestrationInstanceFailedEvent,
  TimerCreatedEvent,
  TimerFiredEvent,
  EventRaisedEvent,
  EventWaitStartedEvent,
  WaitsChangedEvent,
  EntityOperationEvent,
  EntityLockEvent,
  EntityRequestSentEvent,
  EntityResponseEvent,
} from './history.js';
export { RUNTIME_STATUSES, isRuntimeStatus, isTerminal } from './status.js';
export type { RuntimeStatus } from './status.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';

// Errors
export {
  RepriseError,
  isRepriseError,
  InvalidArgumentError,
  UnknownOrchestratorError,
  UnknownActivityError,
  UnknownEntityError,
  InstanceNotFoundError,
  InstanceExistsError,
  InstanceCompletedError,
  InvalidStateError,
  NotSerializableError,
  PayloadTooLargeError,
  HistoryTooLongError,
  NonDeterminismError,
  MaxDeliveriesExceededError,
  LeaseLostError,
  TimeoutError,
  LockingRulesError,
  StorageError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  ConcurrencyLimitError,
  QueueFullError,
  CancellationRequestedError,
  VersionMismatchError,
  TaskFailedError,
} from './errors.js';
export type { RepriseErrorCode, RepriseErrorOptions, RepriseErrorsByCode, NonDeterminismDetails, FailureDetails } from './errors.js';
export type { ErrorHandler } from './error-handler.js';

// Runtime, client, programming model
export { createRuntime } from './runtime/runtime.js';
export { compareVersions, matchesVersion, versionAccepts } from './versioning/versions.js';
export type { VersionMatch, VersionMatchStrategy, VersioningOptions } from './versioning/versions.js';
export type { Runtime } from './runtime/runtime.js';
export type { RuntimeOptions } from './runtime/options.js';
// A type only: the runtime builds the client (`runtime.client`); its constructor takes internal dependencies.
export type { OrchestrationClient } from './client/public-client.js';
export type { EntityStateResponse, ListEntitiesFilter, EntityMetadata, StartNewArgs } from './client/client.js';
export type { Step, StepKind, StepStatus, StepProgress } from './client/steps.js';
export type {
  CheckStatusRequest,
  CheckStatusResponse,
  HttpManagementPayload,
  ManagementUrlOptions,
  PlainHttpResponse,
  WaitOrCheckStatusOptions,
} from './client/check-status.js';
export type { Explanation, WaitingFor } from './client/explain.js';
export type { ActivityLogger } from './runtime/activity-reporter.js';
export type { OrchestrationStatus, HistoryEventView, GetStatusOptions, ListInstancesFilter, CountInstancesFilter, StartOptions, MessageOptions, PurgeByFilter } from './status-types.js';

// Observability: lifecycle events, OpenTelemetry traces and metrics (docs/observability.md)
export type {
  RuntimeEvents,
  RuntimeEventMap,
  RuntimeEventName,
  RuntimeEventPayload,
  InstanceStartedEvent,
  InstanceCompletedEvent,
  InstanceFailedEvent,
  InstanceTerminatedEvent,
  InstanceCanceledEvent,
  ActivityStartedEvent,
  ActivityCompletedEvent,
  ActivityFailedEvent,
  ActivityRetryingEvent,
  LeaseLostEvent,
  ScheduleFiredEvent,
  RuntimeErrorEvent,
} from './observability/events.js';
export type { TelemetryOptions, TracerProviderLike, MeterProviderLike, TraceContextCarrier } from './observability/telemetry-options.js';
export { METRIC_NAMES } from './observability/metric-names.js';
export { defineActivity, defineOrchestrator } from './definitions.js';
export { orchestratorIdOf } from './orchestrator-identity.js';
export type { OrchestratorDescription } from './orchestrator-identity.js';
export { defineWorkflow } from './workflows/define-workflow.js';
export type { WorkflowDefinition, WorkflowTask, WorkflowTaskInput, WorkflowOutput } from './workflows/define-workflow.js';
export type {
  ActivityContext,
  ActivityFunction,
  ActivityHandle,
  InstanceId,
  OrchestratorFunction,
  OrchestratorHandle,
  ActivityRegistration,
  OrchestratorRegistration,
  Registry,
  ConcurrencyOptions,
  ConcurrencyResolver,
  OrchestratorOptions,
} from './definitions.js';
export type { OrchestrationContext, ReplaySafeLogger, TaskFactories, EntityLock } from './engine/context.js';
export { Task, TimerTask } from './engine/task.js';
export type { DurableHttpRequest, DurableHttpResponse, TokenSource } from './engine/call-http.js';
export type { RetryOptions } from './engine/task.js';
export { entityId } from './entities/entity-id.js';
export type { EntityId } from './entities/entity-id.js';
export type { EntityContext, EntityFunction, EntityOperations, EntityRegistration } from './entities/entity-context.js';
export { serialize, deserialize, MAX_PAYLOAD_DEPTH } from './serializer.js';
export { validateInstanceId } from './client/validate.js';

// Schedules
export type { ScheduleClient } from './schedules/public-client.js';
export type {
  CreateScheduleOptions,
  UpdateScheduleOptions,
  ListSchedulesFilter,
  ScheduleCalendar,
  ScheduleDescription,
  ScheduleSpecDescription,
  ScheduleRun,
  SkippedScheduleRun,
  ScheduleOverlap,
  ScheduleCatchUp,
} from './schedules/types.js';
