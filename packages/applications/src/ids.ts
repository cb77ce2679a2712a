/**
 * Names this package reserves in a runtime, and how an application
 * instance's records are keyed.
 *
 * Invariants:
 * - Every run of an instance (its workflows, the runs its schedules start)
 *   has an id starting with `<instanceId>~`, so one instance-id prefix query
 *   finds them all; an instance id therefore contains no '~' (and no '@',
 *   which core keeps for a schedule's due time).
 * - All runs of an instance share one concurrency group of limit 1: the
 *   store admits or refuses a run atomically, across processes.
 */
import { InvalidArgumentError, validateInstanceId } from '@reprise/core';
import { nanoid } from 'nanoid';

/** The entity holding an instance's state (keyed by the instance id). Lower case: the runtime folds entity names. */
export const ENTITY = 'reprise.application';
/** The one orchestrator every workflow run goes through (see runner.ts). */
export const RUNNER = 'reprise.application.run';
/** A helper orchestration that applies one entity operation and waits for it (see apply.ts). */
export const APPLY = 'reprise.application.apply';
/** The activity that removes a destroyed instance's runs and schedules. */
export const CLEANUP = 'reprise.application.cleanup';
/** Tags on an instance's schedules. */
export const APP_TAG = 'reprise.application';
export const WORKFLOW_TAG = 'reprise.application.workflow';

/** The entity's operations; steps of these names are bookkeeping, left out of `workflowHistory`. */
export const OP = {
  create: 'reprise.create',
  runStarted: 'reprise.runStarted',
  runEnded: 'reprise.runEnded',
  configure: 'reprise.configure',
  setUserData: 'reprise.setUserData',
  destroyed: 'reprise.destroyed',
} as const;

export const runsPrefix = (instanceId: string): string => `${instanceId}~`;
export const launchRunId = (instanceId: string): string => `${instanceId}~launch`;
export const newRunId = (instanceId: string, workflow: string): string => `${instanceId}~${workflow.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}~${nanoid(12)}`;
export const newScheduleId = (instanceId: string): string => `${instanceId}~s~${nanoid(12)}`;
export const groupOf = (instanceId: string): string => `reprise.application:${instanceId}`;

/** An application instance id: an instance id by core's rules, without '~' or '@' (see above). */
export function validateAppInstanceId(id: unknown): string {
  const checked = validateInstanceId(id);
  if (checked.length > 180) throw new InvalidArgumentError(`application instance id is ${checked.length} characters, over the 180-character limit (its runs' ids extend it)`);
  if (/[~@]/.test(checked)) throw new InvalidArgumentError(`application instance id '${checked}' contains '~' or '@', which separate it from its runs' ids`);
  return checked;
}
