/**
 * The one mapping from errors to HTTP status codes. Core errors carry a
 * stable `code`; the HTTP layer's own refusals are HttpErrors with a status.
 * Anything else is a fault of ours or of the store, never of the client:
 * 503 for the store, 500 otherwise, with a message that leaks nothing.
 */
import { isRepriseError } from '@reprise/core';
import type { RepriseErrorCode } from '@reprise/core';

/** A refusal decided by the HTTP layer itself (bad query, bad body, auth, routing). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string, code = 'INVALID_ARGUMENT') => new HttpError(400, code, message);

/**
 * What an operation is, where one core code means different things:
 * INVALID_STATE is 410 Gone for rewind (the Durable Functions documentation's "completed or
 * terminated") and 409 Conflict elsewhere (purging an instance that is still running).
 */
export type ErrorContext = 'rewind' | 'default';

const STATUS_BY_CODE: Record<RepriseErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  // Durable Functions HTTP API: "HTTP 400 (Bad request): The specified orchestrator function doesn't exist"; the facade follows it.
  UNKNOWN_ORCHESTRATOR: 400,
  UNKNOWN_ACTIVITY: 400,
  // Durable Functions HTTP API, signal entity: "HTTP 404 (Not Found): The specified entityName was not found."
  UNKNOWN_ENTITY: 404,
  INSTANCE_NOT_FOUND: 404,
  INSTANCE_EXISTS: 409,
  SCHEDULE_EXISTS: 409,
  SCHEDULE_NOT_FOUND: 404,
  INSTANCE_COMPLETED: 410,
  INVALID_STATE: 409,
  NOT_SERIALIZABLE: 400,
  PAYLOAD_TOO_LARGE: 413,
  HISTORY_TOO_LONG: 409,
  LOCKING_RULES: 409,
  TIMEOUT: 504,
  LEASE_LOST: 503,
  STORAGE: 503,
  NONDETERMINISM: 500,
  MAX_DELIVERIES: 500,
  // A group of limit 1 and onFull 'reject' is "one workflow at a time": 409 to a second start.
  CONCURRENCY_LIMIT: 409,
  QUEUE_FULL: 429,
  CANCELLATION_REQUESTED: 409,
  VERSION_MISMATCH: 409,
};

export interface ErrorReply {
  status: number;
  code: string;
  message: string;
  headers: Readonly<Record<string, string>>;
}

/** The status, error code and client-safe message for anything an operation threw. */
export function toErrorReply(error: unknown, context: ErrorContext = 'default'): ErrorReply {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, headers: error.headers };
  // By brand and code, not instanceof: the error may come from another installed copy of @reprise/core.
  if (isRepriseError(error)) {
    const status = error.code === 'INVALID_STATE' && context === 'rewind' ? 410 : statusOf(error.code);
    return { status, code: error.code, message: status >= 500 ? 'the server could not complete the request' : error.message, headers: {} };
  }
  return { status: 500, code: 'INTERNAL', message: 'the server could not complete the request', headers: {} };
}

/** A code this copy does not know (a newer core's, another package's) is a 500. */
function statusOf(code: string): number {
  return Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as RepriseErrorCode] : 500;
}
