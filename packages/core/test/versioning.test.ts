/**
 * Runtime versions on one store: stamps, strict / currentOrOlder with
 * 'leave' (nothing run by the wrong runtime) and 'fail', inheritance,
 * per-orchestrator versions, migrate, the version comparison.
 */
import { describe, expect, it } from 'vitest';
import { compareVersions, createRuntime, defineOrchestrator, isRepriseError, versionAccepts } from '@reprise/core';
import type { OrchestrationContext, Runtime, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, startRuntime } from './helpers.js';

function* flow(ctx: OrchestrationContext) {
  const who = (yield ctx.callActivity('Who')) as string;
  const go = (yield ctx.waitForExternalEvent('go')) as string;
  const child = (yield ctx.callSubOrchestrator('Child')) as string;
  return [who, go, child];
}
function* child(ctx: OrchestrationContext) {
  return (yield ctx.callActivity('Who')) as string;
}

function runtimeAt(storage: Storage, version: string | undefined, match: 'none' | 'strict' | 'currentOrOlder', onMismatch: 'leave' | 'fail' = 'leave') {
  return startRuntime({
    storage,
    ...(version !== undefined && { version }),
    versioning: { match, onMismatch },
    orchestrators: { Flow: flow, Child: child },
    activities: { Who: () => `ran by ${version ?? 'none'}` },
  });
}

describe('version comparison', () => {
  it('orders semver by precedence and other versions only by equality', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0-alpha.2', '1.0.0-alpha.10')).toBe(-1);
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(compareVersions('blue', 'green')).toBeUndefined();
    expect(versionAccepts('currentOrOlder', '2.0.0', '1.9.9')).toBe(true);
    expect(versionAccepts('currentOrOlder', '2.0.0', '2.0.1')).toBe(false);
    expect(versionAccepts('strict', '2.0.0', undefined)).toBe(false);
  });
});

describe('runtime versions', () => {
  it('stamps new instances and sub-orchestrations; the client stamps even while its runtime is stopped', async () => {
    const storage = memoryStorage();
    const stopped = createRuntime({ storage, version: '1.0.0', orchestrators: { Flow: flow, Child: child }, logger: () => {} });
    const id = await stopped.client.startNew('Flow');
    expect((await stopped.client.getStatus(id))?.version).toBe('1.0.0');
    const runtime = await runtimeAt(storage, '1.0.0', 'strict');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    await runtime.client.raiseEvent(id, 'go', 'yes');
    const done = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(done.output).toEqual(['ran by 1.0.0', 'yes', 'ran by 1.0.0']);
    const [sub] = (await runtime.client.listInstances({ instanceIdPrefix: `${id}:` })).instances;
    expect(sub?.version).toBe('1.0.0');
    expect((await runtime.client.listInstances({ version: '1.0.0' })).instances).toHaveLength(2);
    expect(await runtime.client.countInstances({ version: '1.0.0' })).toBe(2);
    expect(await runtime.client.countInstances({ version: '2.0.0' })).toBe(0);
  });

  it("'strict' with 'leave': each runtime runs only its own version's episodes and activities", async () => {
    const storage = memoryStorage();
    const v1 = await runtimeAt(storage, '1.0.0', 'strict');
    const v2 = await runtimeAt(storage, '2.0.0', 'strict');
    const ids1 = await Promise.all([0, 1, 2].map(() => v1.client.startNew('Flow')));
    const ids2 = await Promise.all([0, 1, 2].map(() => v2.client.startNew('Flow')));
    for (const id of [...ids1, ...ids2]) await eventually(async () => (await v1.client.getStatus(id))?.runtimeStatus === 'Running');
    for (const id of [...ids1, ...ids2]) await v1.client.raiseEvent(id, 'go', 'ok');
    for (const id of ids1) expect((await v1.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual(['ran by 1.0.0', 'ok', 'ran by 1.0.0']);
    for (const id of ids2) expect((await v2.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual(['ran by 2.0.0', 'ok', 'ran by 2.0.0']);
  });

  it("'currentOrOlder': a newer runtime runs older instances, which keep their version; an older one leaves newer ones", async () => {
    const storage = memoryStorage();
    const old = createRuntime({ storage, version: '1.0.0', orchestrators: { Flow: flow, Child: child }, logger: () => {} });
    const oldId = await old.client.startNew('Flow');
    const v2 = await runtimeAt(storage, '2.0.0', 'currentOrOlder');
    const v3client = createRuntime({ storage, version: '3.0.0', orchestrators: { Flow: flow, Child: child }, logger: () => {} }).client;
    const newId = await v3client.startNew('Flow');
    await eventually(async () => (await v2.client.getStatus(oldId))?.runtimeStatus === 'Running');
    await v2.client.raiseEvent(oldId, 'go', 'x');
    const done = await v2.client.waitForCompletion(oldId, { timeoutMs: 10_000 });
    expect(done.version).toBe('1.0.0');
    expect(done.output).toEqual(['ran by 2.0.0', 'x', 'ran by 2.0.0']);
    expect((await v2.client.getStatus(newId))?.runtimeStatus).toBe('Pending');
  });

  it("'fail' fails an instance of another version with VersionMismatchError", async () => {
    const storage = memoryStorage();
    const id = await createRuntime({ storage, version: '1.0.0', orchestrators: { Flow: flow, Child: child }, logger: () => {} }).client.startNew('Flow');
    const v2 = await runtimeAt(storage, '2.0.0', 'strict', 'fail');
    const status = await v2.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ name: 'VersionMismatchError' });
  });

  it('an orchestrator defined with its own version stamps and is matched by it', async () => {
    const Pinned = defineOrchestrator('Pinned', function* (ctx: OrchestrationContext) {
      return (yield ctx.callActivity('Who')) as string;
    }, { version: '9.0.0' });
    const runtime = await startRuntime({ storage: memoryStorage(), version: '1.0.0', versioning: { match: 'strict', onMismatch: 'leave' }, orchestrators: [Pinned], activities: { Who: () => 'pinned' } });
    const id = await runtime.client.startNew(Pinned);
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect([status.version, status.output]).toEqual(['9.0.0', 'pinned']);
  });

  it('refuses bad versions and settings with InvalidArgumentError, nothing started', () => {
    const bad = (options: object) => {
      try {
        createRuntime({ storage: memoryStorage(), orchestrators: {}, ...options });
        return 'created';
      } catch (error) {
        return isRepriseError(error, 'INVALID_ARGUMENT') ? 'refused' : String(error);
      }
    };
    expect(bad({ version: '' })).toBe('refused');
    expect(bad({ version: 'a b' })).toBe('refused');
    expect(bad({ versioning: { match: 'strict' } })).toBe('refused');
    expect(bad({ version: '1', versioning: { match: 'sometimes' } })).toBe('refused');
    expect(bad({ version: '1', versioning: { match: 'strict', onMismatch: 'ignore' } })).toBe('refused');
    expect(() => defineOrchestrator('X', function* () {}, { version: '' })).toThrow(/version/);
  });

  it('migrate moves an instance whose history replays on this code, and refuses one that diverges', async () => {
    const storage = memoryStorage();
    const v1 = await runtimeAt(storage, '1.0.0', 'strict');
    const id = await v1.client.startNew('Flow');
    await eventually(async () => (await v1.client.getStatus(id, { showHistory: true }))?.history?.some((e) => e.EventType === 'TaskCompleted'));
    await v1.stop();
    // Code that still replays this history.
    const same = createRuntime({ storage, version: '2.0.0', orchestrators: { Flow: flow, Child: child }, logger: () => {} });
    // Code that does not: a different first activity.
    const changed = createRuntime({
      storage,
      version: '2.0.0',
      orchestrators: {
        Flow: function* (ctx: OrchestrationContext) {
          yield ctx.callActivity('Other');
        },
      },
      logger: () => {},
    });
    const refused = await changed.client.migrate(id, { toVersion: '2.0.0' }).catch((error: unknown) => error);
    expect(isRepriseError(refused, 'NONDETERMINISM')).toBe(true);
    expect((refused as Error).message).toContain("callActivity('Who') #0");
    expect((await same.client.getStatus(id))?.version).toBe('1.0.0');
    await same.client.migrate(id, { toVersion: '2.0.0' });
    expect((await same.client.getStatus(id))?.version).toBe('2.0.0');
    const v2: Runtime = await runtimeAt(storage, '2.0.0', 'strict');
    await v2.client.raiseEvent(id, 'go', 'moved');
    expect((await v2.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual(['ran by 1.0.0', 'moved', 'ran by 2.0.0']);
    await expect(v2.client.migrate(id, { toVersion: '' })).rejects.toThrow(/toVersion/);
  });
});
