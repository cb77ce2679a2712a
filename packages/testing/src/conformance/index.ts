/**
 * The storage conformance suite: the Storage contract of `@reprise/core` as
 * executable tests. Every adapter runs it with one call and has no contract
 * tests of its own:
 *
 * ```ts
 * import { describeStorageConformance } from '@reprise/testing/conformance';
 * import { memoryStorage } from '@reprise/memory';
 *
 * describeStorageConformance('memory', { create: () => memoryStorage() });
 * ```
 *
 * One storage is created and opened for the whole suite (each test works in
 * its own random task hub, so nothing needs cleaning between tests), closed
 * and handed to `destroy` at the end. Lease expiry is tested with real waits
 * of well under a second, with wide margins for loaded machines and networked
 * stores; the suite takes a few seconds.
 *
 * Optional features (`storage.capabilities`, e.g. eager dispatch) have
 * clauses of their own: they run against a store that declares the
 * capability and are reported skipped, with the capability named, for one
 * that does not, so a new adapter passes without them.
 *
 * This entry point imports vitest; the main `@reprise/testing` entry does not.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { Storage } from '@reprise/core';
import { describeActivities } from './activities.js';
import { describeCommits } from './commits.js';
import { describeCounts } from './counts.js';
import { createContext } from './context.js';
import type { ConformanceOptions } from './context.js';
import { describeEagerDispatch } from './eager.js';
import { describeEntities } from './entities.js';
import { describeFlowControl } from './flow-control.js';
import { describeHubs } from './hubs.js';
import { describeInstances } from './instances.js';
import { describeLeaseExpiry } from './lease-expiry.js';
import { describeLeases } from './leases.js';
import { describeLifecycle } from './lifecycle.js';
import { describeMessages } from './messages.js';
import { describeNotices } from './notices.js';
import { describePayloads } from './payloads.js';
import { describeProgress } from './progress.js';
import { describePurge } from './purge.js';
import { describeQueries } from './queries.js';
import { describeRedelivery } from './redelivery.js';
import { describeRegistry } from './registry.js';
import { describeRuntimeExplain } from './runtime-explain.js';
import { describeRuntimeEntities } from './runtime-entities.js';
import { describeRuntimeFlowControl } from './runtime-flow-control.js';
import { describeRuntimeRedelivery } from './runtime-redelivery.js';
import { describeRuntimeSchedules } from './runtime-schedules.js';
import { describeRuntimeSteps } from './runtime-steps.js';
import { describeRuntimeSubOrchestrationRetries } from './runtime-sub-retries.js';
import { describeRuntimeCallHttp } from './runtime-call-http.js';
import { describeRuntimeVersions } from './runtime-versions.js';
import { describeRuntimeRollingDeploy } from './runtime-rolling-deploy.js';
import { describeRuntimeWorkers } from './runtime-workers.js';
import { describeStepCommit } from './step-commit.js';
import { describeVersions } from './versions.js';

export type { ConformanceOptions } from './context.js';

// The suite's builders and helpers, for adapters' own tests: build stored values and wait the same way.
export {
  T0,
  UNICODE_PAYLOAD,
  activity,
  bigPayload,
  commitFor,
  entityRecord,
  ev,
  logEntry,
  message,
  orchestrationRecord,
  raisedMessages,
  randomHub,
} from './builders.js';
export type { CommitChanges } from './builders.js';
export { eventually, sleep } from './polling.js';
export type { EventuallyOptions } from './polling.js';
export { LONG_LEASE, expectLeaseLost, lockAll, lockAllActivities, lockOne, startAndRun, startInstance } from './context.js';
export { skipReason } from './optional.js';
export type { Capability } from './optional.js';

export function describeStorageConformance(
  name: string,
  options: { create: () => Storage | Promise<Storage>; destroy?: (s: Storage) => Promise<void> | void },
): void {
  const opts: ConformanceOptions = options;
  describe(`storage conformance: ${name}`, () => {
    const ctx = createContext(opts);
    let storage: Storage | undefined;

    beforeAll(async () => {
      storage = await opts.create();
      await storage.open();
      ctx.set(storage);
    });

    afterAll(async () => {
      ctx.set(undefined);
      if (!storage) return;
      try {
        await storage.close();
      } finally {
        await opts.destroy?.(storage);
      }
    });

    describeInstances(ctx);
    describeMessages(ctx);
    describeLeases(ctx);
    describeLeaseExpiry(ctx);
    describeCommits(ctx);
    describeActivities(ctx);
    describeProgress(ctx);
    describeRedelivery(ctx);
    describeEagerDispatch(ctx);
    describeStepCommit(ctx);
    describeQueries(ctx);
    describeCounts(ctx);
    describePurge(ctx);
    describeEntities(ctx);
    describeHubs(ctx);
    describeNotices(ctx);
    describePayloads(ctx);
    describeLifecycle(ctx);
    describeFlowControl(ctx);
    describeVersions(ctx);
    describeRegistry(ctx);
    describeRuntimeWorkers(ctx);
    describeRuntimeSchedules(ctx);
    describeRuntimeRedelivery(ctx);
    describeRuntimeEntities(ctx);
    describeRuntimeFlowControl(ctx);
    describeRuntimeSteps(ctx);
    describeRuntimeSubOrchestrationRetries(ctx);
    describeRuntimeCallHttp(ctx);
    describeRuntimeExplain(ctx);
    describeRuntimeVersions(ctx);
    describeRuntimeRollingDeploy(ctx);
  });
}
