/**
 * withApplications: the registrations a runtime needs to run applications,
 * merged into the app's own: the runner (in each instance's concurrency
 * group), the apply helper, the cleanup activity, the instance entity, and
 * each workflow given as a handle under its own name (so it can also be
 * started or called directly).
 */
import { InvalidArgumentError, defineOrchestrator } from '@reprise/core';
import type { ActivityRegistration, EntityRegistration, OrchestratorRegistration, Registry, RuntimeOptions } from '@reprise/core';
import type { ApplicationDefinition } from './define-application.js';
import { isObject } from './define-application.js';
import { APPLY, CLEANUP, ENTITY, RUNNER, groupOf } from './ids.js';
import { ApplicationRegistry } from './registry.js';
import { applyOperation, cleanup, createRunner } from './runner.js';
import type { RunInput } from './runner.js';
import { instanceEntity } from './state.js';

export type Registrations = Pick<RuntimeOptions, 'orchestrators' | 'activities' | 'entities'>;

export function withApplications(applications: readonly ApplicationDefinition[], registrations: Partial<Registrations> = {}): Registrations {
  const registry = new ApplicationRegistry(applications);
  const runner = defineOrchestrator(RUNNER, createRunner(registry), {
    // One run at a time per instance, decided by the store; a schedule's runs are admitted the same way.
    concurrency: (input: RunInput) => ({ group: groupOf(input.instanceId), limit: 1, onFull: 'reject' }),
  });
  const handles = new Map<string, OrchestratorRegistration>();
  for (const app of applications) {
    for (const registration of Object.values(app.workflows)) {
      const orchestrator: unknown = isObject(registration) && 'orchestrator' in registration ? registration.orchestrator : registration;
      if (isObject(orchestrator) && orchestrator.kind === 'orchestrator' && !handles.has(orchestrator.name)) handles.set(orchestrator.name, orchestrator as OrchestratorRegistration);
    }
  }
  const orchestrators = merge<OrchestratorRegistration>(registrations.orchestrators, [runner, defineOrchestrator(APPLY, applyOperation)], handles, 'orchestrator');
  const activities = merge<ActivityRegistration>(registrations.activities, [{ kind: 'activity', name: CLEANUP, fn: cleanup }], new Map(), 'activity');
  const entities: Record<string, EntityRegistration> = { ...registrations.entities };
  if (Object.keys(entities).some((name) => name.toLowerCase() === ENTITY)) throw new InvalidArgumentError(`the entity name '${ENTITY}' is reserved by @reprise/applications`);
  entities[ENTITY] = instanceEntity;
  return { orchestrators, activities, entities };
}

/** The app's registry (a record or an array of handles) with ours added; ours are reserved, the optional ones only fill gaps. */
function merge<R>(given: Registry<R> | undefined, reserved: ReadonlyArray<R & { name: string }>, optional: ReadonlyMap<string, R>, what: string): Registry<R> {
  const names = given === undefined ? [] : Array.isArray(given) ? (given as ReadonlyArray<{ name: string }>).map((h) => h.name) : Object.keys(given);
  for (const r of reserved) if (names.includes(r.name)) throw new InvalidArgumentError(`the ${what} name '${r.name}' is reserved by @reprise/applications`);
  const extra = [...optional].filter(([name]) => !names.includes(name));
  if (Array.isArray(given)) return [...(given as ReadonlyArray<R & { name: string }>), ...reserved, ...(extra.map(([, r]) => r) as Array<R & { name: string }>)];
  return { ...(given as Record<string, R> | undefined), ...Object.fromEntries(reserved.map((r) => [r.name, r])), ...Object.fromEntries(extra) };
}
