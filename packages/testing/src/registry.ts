import type { ActivityRegistration, EntityRegistration, OrchestratorRegistration, Registry } from '@reprise/core';

/** What a test hands the kit: the same registrations `createRuntime` takes. */
export interface TestRegistry {
  orchestrators: Registry<OrchestratorRegistration>;
  activities?: Registry<ActivityRegistration>;
  entities?: Record<string, EntityRegistration>;
}

export function assertRegistry(registry: unknown, what: string): asserts registry is TestRegistry {
  if (!registry || typeof registry !== 'object' || !('orchestrators' in registry) || !(registry as TestRegistry).orchestrators) {
    throw new TypeError(`${what} needs { orchestrators, activities?, entities? } as its first argument`);
  }
}
