/**
 * InstanceBusyError: a workflow was refused because another one runs on the
 * instance. It is core's ConcurrencyLimitError (code CONCURRENCY_LIMIT, so
 * `isRepriseError(e, 'CONCURRENCY_LIMIT')` and the HTTP mapping's 409 hold)
 * under a name of its own.
 */
import { ConcurrencyLimitError } from '@reprise/core';
import type { RepriseErrorOptions } from '@reprise/core';

export class InstanceBusyError extends ConcurrencyLimitError {
  static {
    // A stable name: bundlers may rename classes.
    Object.defineProperty(this.prototype, 'name', { value: 'InstanceBusyError', writable: true, configurable: true });
    Object.defineProperty(this, 'name', { value: 'InstanceBusyError' });
  }
  readonly instanceId: string;
  constructor(instanceId: string, message: string, options?: RepriseErrorOptions) {
    super(message, options);
    this.instanceId = instanceId;
  }
}
