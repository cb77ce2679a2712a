/**
 * Typed errors. Each has a stable `name` and `code` so callers (and the HTTP
 * layer, which maps codes to status codes) can branch without string matching.
 */

export type RepriseErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_ORCHESTRATOR'
  | 'UNKNOWN_ACTIVITY'
  | 'UNKNOWN_ENTITY'
  | 'INSTANCE_NOT_FOUND'
  | 'INSTANCE_EXISTS'
  | 'INSTANCE_COMPLETED'
  | 'INVALID_STATE'
  | 'NOT_SERIALIZABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'HISTORY_TOO_LONG'
  | 'NONDETERMINISM'
  | 'TASK_FAILED'
  | 'MAX_DELIVERIES'
  | 'LEASE_LOST'
  | 'TIMEOUT'
  | 'LOCKING_RULES'
  | 'STORAGE';

export class RepriseError extends Error {
  readonly code: RepriseErrorCode;
  constructor(code: RepriseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

function define<C extends RepriseErrorCode>(code: C, name: string) {
  const Class = class extends RepriseError {
    declare readonly code: C;
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
  Object.defineProperty(Class.prototype, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(Class, 'name', { value: name });
  return Class;
}

export const InvalidArgumentError = define('INVALID_ARGUMENT', 'InvalidArgumentError');
export const UnknownOrchestratorError = define('UNKNOWN_ORCHESTRATOR', 'UnknownOrchestratorError');
export const UnknownActivityError = define('UNKNOWN_ACTIVITY', 'UnknownActivityError');
export const UnknownEntityError = define('UNKNOWN_ENTITY', 'UnknownEntityError');
export const InstanceNotFoundError = define('INSTANCE_NOT_FOUND', 'InstanceNotFoundError');
export const InstanceExistsError = define('INSTANCE_EXISTS', 'InstanceExistsError');
export const InstanceCompletedError = define('INSTANCE_COMPLETED', 'InstanceCompletedError');
export const InvalidStateError = define('INVALID_STATE', 'InvalidStateError');
export const NotSerializableError = define('NOT_SERIALIZABLE', 'NotSerializableError');
export const PayloadTooLargeError = define('PAYLOAD_TOO_LARGE', 'PayloadTooLargeError');
export const HistoryTooLongError = define('HISTORY_TOO_LONG', 'HistoryTooLongError');
export const NonDeterminismError = define('NONDETERMINISM', 'NonDeterminismError');
export const MaxDeliveriesExceededError = define('MAX_DELIVERIES', 'MaxDeliveriesExceededError');
export const LeaseLostError = define('LEASE_LOST', 'LeaseLostError');
export const TimeoutError = define('TIMEOUT', 'TimeoutError');
export const LockingRulesError = define('LOCKING_RULES', 'LockingRulesError');
export const StorageError = define('STORAGE', 'StorageError');

export type InvalidArgumentError = InstanceType<typeof InvalidArgumentError>;
export type UnknownOrchestratorError = InstanceType<typeof UnknownOrchestratorError>;
export type UnknownActivityError = InstanceType<typeof UnknownActivityError>;
export type UnknownEntityError = InstanceType<typeof UnknownEntityError>;
export type InstanceNotFoundError = InstanceType<typeof InstanceNotFoundError>;
export type InstanceExistsError = InstanceType<typeof InstanceExistsError>;
export type InstanceCompletedError = InstanceType<typeof InstanceCompletedError>;
export type InvalidStateError = InstanceType<typeof InvalidStateError>;
export type NotSerializableError = InstanceType<typeof NotSerializableError>;
export type PayloadTooLargeError = InstanceType<typeof PayloadTooLargeError>;
export type HistoryTooLongError = InstanceType<typeof HistoryTooLongError>;
export type NonDeterminismError = InstanceType<typeof NonDeterminismError>;
export type MaxDeliveriesExceededError = InstanceType<typeof MaxDeliveriesExceededError>;
export type LeaseLostError = InstanceType<typeof LeaseLostError>;
export type TimeoutError = InstanceType<typeof TimeoutError>;
export type LockingRulesError = InstanceType<typeof LockingRulesError>;
export type StorageError = InstanceType<typeof StorageError>;

/** What a failed task or instance records: enough to rebuild a catchable Error. */
export interface FailureDetails {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * A failed activity, sub-orchestration or entity operation, as the
 * orchestrator catches it. `name`, `message` and `stack` are the original
 * error's; `details` keeps them as data.
 */
export class TaskFailedError extends Error {
  readonly details: FailureDetails;
  readonly code?: string;
  constructor(details: FailureDetails) {
    super(details.message);
    this.details = details;
    this.name = details.name;
    if (details.code !== undefined) this.code = details.code;
    if (details.stack !== undefined) this.stack = details.stack;
  }
}

export function toFailureDetails(error: unknown): FailureDetails {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack !== undefined && { stack: error.stack }),
      ...(typeof code === 'string' && { code }),
    };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
