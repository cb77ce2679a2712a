/**
 * Typed errors. Each class has a stable `name` and `code` so callers (and the
 * HTTP layer, which maps codes to status codes) can branch without string
 * matching.
 *
 * Invariants:
 * - Every RepriseError carries the `Symbol.for('reprise.error')` brand, so
 *   `isRepriseError` recognises errors made by another installed copy of
 *   @reprise/core, where `instanceof` silently answers false. Code in other
 *   packages checks with `isRepriseError(error, code)`, never `instanceof`.
 * - Each class is declared (not built by a factory), so the emitted
 *   declarations name it and need nothing from @types/node.
 */

const BRAND = Symbol.for('reprise.error');

export interface RepriseErrorOptions {
  cause?: unknown;
}

/** The base of every error Reprise throws on purpose; `C` is its stable code. */
export class RepriseError<C extends string = string> extends Error {
  static {
    named(this, 'RepriseError');
    Object.defineProperty(this.prototype, BRAND, { value: true });
  }
  readonly code: C;
  constructor(code: C, message: string, options?: RepriseErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** An argument was missing, malformed or out of range; nothing was stored. */
export class InvalidArgumentError extends RepriseError<'INVALID_ARGUMENT'> {
  static {
    named(this, 'InvalidArgumentError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** No orchestrator of that name is registered. */
export class UnknownOrchestratorError extends RepriseError<'UNKNOWN_ORCHESTRATOR'> {
  static {
    named(this, 'UnknownOrchestratorError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('UNKNOWN_ORCHESTRATOR', message, options);
  }
}

/** No activity of that name is registered. */
export class UnknownActivityError extends RepriseError<'UNKNOWN_ACTIVITY'> {
  static {
    named(this, 'UnknownActivityError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('UNKNOWN_ACTIVITY', message, options);
  }
}

/** No entity of that name is registered. */
export class UnknownEntityError extends RepriseError<'UNKNOWN_ENTITY'> {
  static {
    named(this, 'UnknownEntityError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('UNKNOWN_ENTITY', message, options);
  }
}

/** No orchestration instance has that id. */
export class InstanceNotFoundError extends RepriseError<'INSTANCE_NOT_FOUND'> {
  static {
    named(this, 'InstanceNotFoundError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('INSTANCE_NOT_FOUND', message, options);
  }
}

/** An instance with that id already exists. */
export class InstanceExistsError extends RepriseError<'INSTANCE_EXISTS'> {
  static {
    named(this, 'InstanceExistsError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('INSTANCE_EXISTS', message, options);
  }
}

/** The instance has ended; it takes no more events. */
export class InstanceCompletedError extends RepriseError<'INSTANCE_COMPLETED'> {
  static {
    named(this, 'InstanceCompletedError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('INSTANCE_COMPLETED', message, options);
  }
}

/** The instance is not in a status that allows the operation. */
export class InvalidStateError extends RepriseError<'INVALID_STATE'> {
  static {
    named(this, 'InvalidStateError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('INVALID_STATE', message, options);
  }
}

/** A value cannot be stored (a function, a symbol, a cycle...). */
export class NotSerializableError extends RepriseError<'NOT_SERIALIZABLE'> {
  static {
    named(this, 'NotSerializableError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('NOT_SERIALIZABLE', message, options);
  }
}

/** A serialized value is larger than `maxPayloadBytes`. */
export class PayloadTooLargeError extends RepriseError<'PAYLOAD_TOO_LARGE'> {
  static {
    named(this, 'PayloadTooLargeError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('PAYLOAD_TOO_LARGE', message, options);
  }
}

/** An instance's history reached `maxHistoryEvents`. */
export class HistoryTooLongError extends RepriseError<'HISTORY_TOO_LONG'> {
  static {
    named(this, 'HistoryTooLongError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('HISTORY_TOO_LONG', message, options);
  }
}

/** Where a replay parted from recorded history: the first action that differs. */
export interface NonDeterminismDetails {
  /** What the history recorded, e.g. `callActivity('Charge') #2`. */
  expected: string;
  /** What the code produced instead, e.g. `createTimer #2`, or `no action`. */
  actual: string;
  /** The sequence number (EventId) of the action that differs. */
  sequence: number;
}

/** Orchestrator code produced different actions than its recorded history. */
export class NonDeterminismError extends RepriseError<'NONDETERMINISM'> {
  static {
    named(this, 'NonDeterminismError');
  }
  readonly expected: string;
  readonly actual: string;
  readonly sequence: number;
  constructor(message: string, details: NonDeterminismDetails, options?: RepriseErrorOptions) {
    super('NONDETERMINISM', message, options);
    this.expected = details.expected;
    this.actual = details.actual;
    this.sequence = details.sequence;
  }
}

/** A work item was delivered `maxDeliveries` times without completing (a poison message). */
export class MaxDeliveriesExceededError extends RepriseError<'MAX_DELIVERIES'> {
  static {
    named(this, 'MaxDeliveriesExceededError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('MAX_DELIVERIES', message, options);
  }
}

/** Another worker took over the instance or work item this worker was holding. */
export class LeaseLostError extends RepriseError<'LEASE_LOST'> {
  static {
    named(this, 'LeaseLostError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('LEASE_LOST', message, options);
  }
}

/** A wait (such as `waitForCompletion`) ran out of time. */
export class TimeoutError extends RepriseError<'TIMEOUT'> {
  static {
    named(this, 'TimeoutError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('TIMEOUT', message, options);
  }
}

/** An orchestration broke the critical-section rules for entities. */
export class LockingRulesError extends RepriseError<'LOCKING_RULES'> {
  static {
    named(this, 'LockingRulesError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('LOCKING_RULES', message, options);
  }
}

/** The store failed or is unreachable: the server's fault, not the caller's. */
export class StorageError extends RepriseError<'STORAGE'> {
  static {
    named(this, 'StorageError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('STORAGE', message, options);
  }
}

/** A schedule with that id already exists. */
export class ScheduleExistsError extends RepriseError<'SCHEDULE_EXISTS'> {
  static {
    named(this, 'ScheduleExistsError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('SCHEDULE_EXISTS', message, options);
  }
}

/** No schedule has that id. */
export class ScheduleNotFoundError extends RepriseError<'SCHEDULE_NOT_FOUND'> {
  static {
    named(this, 'ScheduleNotFoundError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('SCHEDULE_NOT_FOUND', message, options);
  }
}

/** A start found every slot of its concurrency group taken and asked not to queue (`onFull: 'reject'`); nothing was stored. */
export class ConcurrencyLimitError extends RepriseError<'CONCURRENCY_LIMIT'> {
  static {
    named(this, 'ConcurrencyLimitError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('CONCURRENCY_LIMIT', message, options);
  }
}

/** A start found its concurrency group's queue at `maxQueued`; nothing was stored. */
export class QueueFullError extends RepriseError<'QUEUE_FULL'> {
  static {
    named(this, 'QueueFullError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('QUEUE_FULL', message, options);
  }
}

/**
 * What the tasks an orchestrator waits on reject with once cancellation was
 * requested (`client.requestCancel`). Catch it to clean up; left uncaught, it
 * ends the instance Canceled with the request's reason as output.
 */
export class CancellationRequestedError extends RepriseError<'CANCELLATION_REQUESTED'> {
  static {
    named(this, 'CancellationRequestedError');
  }
  /** The reason given to `requestCancel`, if any. */
  readonly reason: unknown;
  constructor(message: string, reason?: unknown, options?: RepriseErrorOptions) {
    super('CANCELLATION_REQUESTED', message, options);
    this.reason = reason;
  }
}

/**
 * A runtime with `versioning: { onMismatch: 'fail' }` met an instance of a
 * version it must not run, or `client.migrate` was refused.
 */
export class VersionMismatchError extends RepriseError<'VERSION_MISMATCH'> {
  static {
    named(this, 'VersionMismatchError');
  }
  constructor(message: string, options?: RepriseErrorOptions) {
    super('VERSION_MISMATCH', message, options);
  }
}

/** Each core error class by its code. */
export interface RepriseErrorsByCode {
  INVALID_ARGUMENT: InvalidArgumentError;
  UNKNOWN_ORCHESTRATOR: UnknownOrchestratorError;
  UNKNOWN_ACTIVITY: UnknownActivityError;
  UNKNOWN_ENTITY: UnknownEntityError;
  INSTANCE_NOT_FOUND: InstanceNotFoundError;
  INSTANCE_EXISTS: InstanceExistsError;
  INSTANCE_COMPLETED: InstanceCompletedError;
  INVALID_STATE: InvalidStateError;
  NOT_SERIALIZABLE: NotSerializableError;
  PAYLOAD_TOO_LARGE: PayloadTooLargeError;
  HISTORY_TOO_LONG: HistoryTooLongError;
  NONDETERMINISM: NonDeterminismError;
  MAX_DELIVERIES: MaxDeliveriesExceededError;
  LEASE_LOST: LeaseLostError;
  TIMEOUT: TimeoutError;
  LOCKING_RULES: LockingRulesError;
  STORAGE: StorageError;
  SCHEDULE_EXISTS: ScheduleExistsError;
  SCHEDULE_NOT_FOUND: ScheduleNotFoundError;
  CONCURRENCY_LIMIT: ConcurrencyLimitError;
  QUEUE_FULL: QueueFullError;
  CANCELLATION_REQUESTED: CancellationRequestedError;
  VERSION_MISMATCH: VersionMismatchError;
}

/** The codes of @reprise/core's errors. Other packages may add their own (a RepriseError's code is any string). */
export type RepriseErrorCode = keyof RepriseErrorsByCode;

/**
 * True for an error Reprise threw on purpose, from any installed copy of
 * @reprise/core (by its brand, not `instanceof`); with `code`, only for that code.
 */
export function isRepriseError<C extends RepriseErrorCode>(error: unknown, code: C): error is RepriseErrorsByCode[C];
export function isRepriseError<C extends string>(error: unknown, code: C): error is RepriseError<C>;
export function isRepriseError(error: unknown): error is RepriseError;
export function isRepriseError(error: unknown, code?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown } & Record<symbol, unknown>;
  return candidate[BRAND] === true && typeof candidate.code === 'string' && (code === undefined || candidate.code === code);
}

/** A stable name for the class and its instances: bundlers may rename classes, the name must not change. */
function named(Class: abstract new (...args: never) => unknown, name: string): void {
  Object.defineProperty(Class.prototype, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(Class, 'name', { value: name });
}
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
