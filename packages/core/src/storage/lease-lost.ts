/**
 * The refusal every adapter raises for a fenced call (a commit or completion
 * whose lease is no longer held), worded once so all stores report it alike.
 */
import { LeaseLostError } from '../errors.js';

export function leaseLost(what: 'instance' | 'activity', id: string): LeaseLostError {
  return what === 'instance'
    ? new LeaseLostError(`the lease on instance '${id}' is no longer held; the commit was refused`)
    : new LeaseLostError(`the lease on activity work item '${id}' is no longer held; the result was refused`);
}
