// The whole public surface of @reprise/core.

// Storage contract (for adapter authors)
export type * from './storage/types.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  compareInstances,
  decodeContinuationToken,
  encodeContinuationToken,
  isAfterCursor,
  matchesQuery,
  pageSizeOf,
} from './storage/query.js';
export type { PageCursor } from './storage/query.js';

// History, statuses, clock
export type * from './history.js';
export { RUNTIME_STATUSES, isRuntimeStatus, isTerminal } from './status.js';
export type { RuntimeStatus } from './status.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';

// Errors
export {
  RepriseError,
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
  TaskFailedError,
} from './errors.js';
export type { RepriseErrorCode, FailureDetails } from './errors.js';
