/**
 * Which concurrency group an instance starts in: the start's own option, or
 * its orchestrator's definition (an object, or a function of the input).
 * Both the client (startNew) and the episode shell (sub-orchestrations) ask
 * here, so a group is validated the same way wherever it comes from.
 */
import { InvalidArgumentError, isRepriseError } from '../errors.js';
import type { ConcurrencyOptions, ConcurrencyResolver } from '../definitions.js';
import type { ConcurrencyGroup } from '../storage/types.js';
import { validateConcurrency } from './validate.js';

export type ConcurrencyDefinition = ConcurrencyOptions | ConcurrencyResolver<any>;

export function resolveConcurrency(
  name: string,
  explicit: unknown,
  definition: ConcurrencyDefinition | undefined,
  input: unknown,
  meta: { namespace: string; instanceId: string },
): ConcurrencyOptions | undefined {
  if (explicit !== undefined) return validateConcurrency(explicit, `startNew('${name}')`);
  if (definition === undefined) return undefined;
  let chosen: unknown = definition;
  if (typeof definition === 'function') {
    try {
      chosen = definition(input, meta);
    } catch (error) {
      if (isRepriseError(error)) throw error;
      throw new InvalidArgumentError(`the concurrency function of orchestrator '${name}' threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (chosen === undefined) return undefined;
  }
  return validateConcurrency(chosen, `orchestrator '${name}'`);
}

/** What an instance records of its group (onFull is a property of the start, not of the member). */
export function groupOf(options: ConcurrencyOptions): ConcurrencyGroup {
  return { group: options.group, limit: options.limit, ...(options.maxQueued !== undefined && { maxQueued: options.maxQueued }) };
}
