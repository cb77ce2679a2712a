/**
 * durable-functions' `RetryOptions` class, for ports: `new RetryOptions(first,
 * max)` then set the optional fields. Reprise's own API takes the same fields
 * as a plain object; an instance of this class is one.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RetryOptions as RetryPolicy } from '../engine/task.js';

export class RetryOptions implements RetryPolicy {
  /** Multiplies the wait after each failed attempt. @default 1 */
  backoffCoefficient = 1;
  /** Longest wait between attempts. @default no cap */
  maxRetryIntervalInMilliseconds?: number;
  /** Give up once this long has passed since the first attempt. @default no limit */
  retryTimeoutInMilliseconds?: number;
  /** Return false to stop retrying for this error (not in durable-functions). @default retry every error */
  handle?: (error: Error) => boolean;

  constructor(
    readonly firstRetryIntervalInMilliseconds: number,
    readonly maxNumberOfAttempts: number,
  ) {
    if (!(firstRetryIntervalInMilliseconds > 0) || !Number.isFinite(firstRetryIntervalInMilliseconds)) {
      throw new InvalidArgumentError('firstRetryIntervalInMilliseconds must be a number greater than 0');
    }
    if (!Number.isInteger(maxNumberOfAttempts) || maxNumberOfAttempts < 1) throw new InvalidArgumentError('maxNumberOfAttempts must be a positive integer');
  }
}
