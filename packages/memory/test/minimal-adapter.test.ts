/**
 * The conformance suite's self-test for optional features: an adapter that
 * declares no capabilities passes every clause that is not optional, and the
 * optional ones are reported skipped with the capability named, never
 * silently passed. The adapter is memoryStorage behind a wrapper that
 * forwards every method, declares nothing, ignores eager requests
 * (`lockActivities`, `lockInstance`) and returns nothing from commits and
 * completions.
 */
import { afterAll, expect } from 'vitest';
import type { RunnerTask, RunnerTestFile } from 'vitest';
import type { Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { describeStorageConformance, skipReason } from '@reprise/testing/conformance';

function withoutEagerDispatch(inner: Storage): Storage {
  return {
    open: () => inner.open(),
    close: () => inner.close(),
    createInstance: (hub, record, message, admission) => inner.createInstance(hub, record, message, admission),
    sendMessages: (hub, messages) => inner.sendMessages(hub, messages),
    getInstance: (hub, instanceId) => inner.getInstance(hub, instanceId),
    getHistory: (hub, instanceId) => inner.getHistory(hub, instanceId),
    getLogs: (hub, instanceId) => inner.getLogs(hub, instanceId),
    queryInstances: (hub, query) => inner.queryInstances(hub, query),
    countInstances: (hub, query) => inner.countInstances(hub, query),
    getQueuePosition: (hub, instanceId) => inner.getQueuePosition(hub, instanceId),
    cancelQueued: (hub, instanceId, cancel) => inner.cancelQueued(hub, instanceId, cancel),
    lockInstances: (hub, options) => inner.lockInstances(hub, options),
    async commitOrchestration(hub, { lockActivities: _ignored, ...commit }) {
      await inner.commitOrchestration(hub, commit);
    },
    releaseInstance: (hub, instanceId, lockToken, options) => inner.releaseInstance(hub, instanceId, lockToken, options),
    lockActivities: (hub, options) => inner.lockActivities(hub, options),
    async completeActivity(hub, { lockInstance: _ignored, ...completion }) {
      await inner.completeActivity(hub, completion);
    },
    abandonActivity: (hub, workItemId, lockToken, options) => inner.abandonActivity(hub, workItemId, lockToken, options),
    reportProgress: (hub, workItemId, lockToken, progress) => inner.reportProgress(hub, workItemId, lockToken, progress),
    getActivityStates: (hub, instanceId) => inner.getActivityStates(hub, instanceId),
    renewLeases: (hub, leases, leaseMs) => inner.renewLeases(hub, leases, leaseMs),
    purgeInstances: (hub, target) => inner.purgeInstances(hub, target),
    getMessages: (hub, instanceId) => inner.getMessages(hub, instanceId),
    heartbeatRuntime: (hub, registration, ttlMs) => inner.heartbeatRuntime(hub, registration, ttlMs),
    stopRuntime: (hub, runtimeId) => inner.stopRuntime(hub, runtimeId),
    listRuntimes: (hub) => inner.listRuntimes(hub),
    subscribe: (hub, listener) => inner.subscribe(hub, listener),
  };
}

describeStorageConformance('memory without optional features', { create: () => withoutEagerDispatch(memoryStorage()) });

function testsOf(task: RunnerTask): RunnerTask[] {
  return task.type === 'suite' ? task.tasks.flatMap(testsOf) : [task];
}

afterAll((file) => {
  const tests = testsOf(file as RunnerTestFile);
  const capabilities = ['eagerDispatch', 'versioning', 'stepCommit'] as const;
  const optional = tests.filter((t) => capabilities.some((c) => t.name.endsWith(`(optional: capabilities.${c})`)));
  for (const capability of capabilities) {
    const clauses = optional.filter((t) => t.name.endsWith(`(optional: capabilities.${capability})`));
    expect(clauses.length, capability).toBeGreaterThan(0);
    for (const test of clauses) {
      expect(test.result?.state, test.name).toBe('skip');
      // The runner keeps a dynamic skip's note on the result (the reporters print it); its type does not say so.
      expect((test.result as { note?: string } | undefined)?.note, test.name).toBe(skipReason(capability));
    }
  }
  const required = tests.filter((t) => !optional.includes(t));
  expect(required.length).toBeGreaterThan(50);
  expect(required.filter((t) => t.result?.state !== 'pass').map((t) => t.name)).toEqual([]);
});
