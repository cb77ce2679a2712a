/**
 * The one mapping from errors to HTTP answers. Core errors carry a stable
 * `code`; the dashboard's own refusals are DashboardErrors with a status.
 * Anything else is ours or the store's fault: 503 for the store, 500
 * otherwise, with a message that leaks nothing.
 */
import { isRepriseError } from '@reprise/core';

export class DashboardError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'DashboardError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  UNKNOWN_ORCHESTRATOR: 400,
  NOT_SERIALIZABLE: 400,
  INSTANCE_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  UNKNOWN_ENTITY: 404,
  INSTANCE_EXISTS: 409,
  INSTANCE_COMPLETED: 409,
  INVALID_STATE: 409,
  CONCURRENCY_LIMIT: 409,
  QUEUE_FULL: 429,
  PAYLOAD_TOO_LARGE: 413,
  STORAGE: 503,
  LEASE_LOST: 503,
  TIMEOUT: 504,
};

export interface ErrorReply {
  status: number;
  code: string;
  message: string;
  headers: Readonly<Record<string, string>>;
}

export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof DashboardError) return { status: error.status, code: error.code, message: error.message, headers: error.headers };
  if (isRepriseError(error)) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    return { status, code: error.code, message: status >= 500 ? 'the server could not complete the request' : error.message, headers: {} };
  }
  return { status: 500, code: 'INTERNAL', message: 'the server could not complete the request', headers: {} };
}
