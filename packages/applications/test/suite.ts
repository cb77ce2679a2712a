/**
 * The applications' semantics, run on every store (memory, SQLite, Redis):
 * launch, Executing and the busy rule, parameters parsed, return values,
 * schedules, user data, configure, destroy, lists.
 */
import { describe, expect, it } from 'vitest';
import { entityId, isRepriseError } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { InstanceBusyError } from '@reprise/applications';
import type { ApplicationsClient } from '@reprise/applications';
import { gate, seen } from './fixtures.js';
import { eventually, startApps } from './harness.js';

let ids = 0;
const uniqueId = (label: string) => `${label}-${process.pid}-${++ids}`;

async function statusBecomes(apps: ApplicationsClient, id: string, status: string) {
  await eventually(async () => expect((await apps.get(id))?.status).toBe(status), { timeoutMs: 15_000 });
}

async function running(apps: ApplicationsClient, label: string): Promise<string> {
  const id = await apps.launch('PublicSite', { instanceId: uniqueId(label), name: 'Public site', parameters: { 'web.domain': 'example.org' }, environmentId: 'env-1', revisionId: 'rev-1', ownerId: 'alice' });
  await statusBecomes(apps, id, 'Running');
  return id;
}

async function expectCode(promise: Promise<unknown>, code: string, message?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRepriseError(error, code), String(error)).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
}

export function applicationSuite(label: string, makeStorage: () => Storage): void {
  describe(`applications on ${label}`, () => {
    it('launch: Requested, then Running with defaults, the launch job and its return values', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await apps.launch('PublicSite', { instanceId: uniqueId('launch'), name: 'Public site', parameters: { 'web.domain': 'example.org' }, environmentId: 'env-1', revisionId: 'rev-1', ownerId: 'alice', userData: { team: 'web' } });
      const first = await apps.get(id);
      expect(first).toMatchObject({ id, name: 'Public site', version: 3, applicationId: 'PublicSite', environmentId: 'env-1', revisionId: 'rev-1', ownerId: 'alice' });
      expect(['Requested', 'Running']).toContain(first!.status);
      await statusBecomes(apps, id, 'Running');
      const status = (await apps.get(id))!;
      expect(status.parameters).toEqual({ 'web.port': '80', 'web.domain': 'example.org', 'web.tls': 'false' });
      expect(status.returnValues).toEqual({ 'site.url': 'http://example.org:80' });
      expect(status.userData).toEqual({ team: 'web' });
      expect(status.components).toEqual([]);
      expect(status.workflowHistory).toHaveLength(1);
      expect(status.workflowHistory[0]).toMatchObject({ name: 'launch', status: 'Succeeded', ownerId: 'alice', steps: [{ name: 'Copy', status: 'Succeeded', percentComplete: 100 }] });
      // The launch workflow received the instance parameters parsed ('80' → 80, 'false' → false by its type).
      expect(seen.find((s) => s.workflow === 'launch' && (s.input as Record<string, unknown>)['web.domain'] === 'example.org')?.input).toEqual({ 'web.port': 80, 'web.domain': 'example.org', 'web.tls': false });
      await expectCode(apps.launch('PublicSite', { instanceId: id, name: 'again', parameters: { 'web.domain': 'x' } }), 'INSTANCE_EXISTS');
    });

    it('launch refuses bad input with a typed error and stores nothing', async () => {
      const { apps } = await startApps(makeStorage());
      const id = uniqueId('bad');
      await expectCode(apps.launch('PublicSite', { instanceId: id, name: 'x' }), 'INVALID_ARGUMENT', /web\.domain.*required/);
      await expectCode(apps.launch('PublicSite', { instanceId: id, name: 'x', parameters: { 'web.domain': 'a', nope: '1' } }), 'INVALID_ARGUMENT', /unknown parameter 'nope'/);
      await expectCode(apps.launch('PublicSite', { instanceId: id, name: 'x', parameters: { 'web.domain': 'a', 'web.tls': 'maybe' } }), 'INVALID_ARGUMENT', /web\.tls/);
      await expectCode(apps.launch('NoSuchApp', { instanceId: id, name: 'x' }), 'INVALID_ARGUMENT');
      await expectCode(apps.launch('PublicSite', { instanceId: 'a~b', name: 'x', parameters: { 'web.domain': 'a' } }), 'INVALID_ARGUMENT');
      await expectCode(apps.launch('PublicSite', { instanceId: id, name: 'x', parameters: { 'web.domain': 'a' }, userData: { 'a.b': 1 } }), 'INVALID_ARGUMENT');
      expect(await apps.get(id)).toBeUndefined();
      await expectCode(apps.runWorkflow(id, 'deploy'), 'INSTANCE_NOT_FOUND');
    });

    it('one workflow at a time: Executing while it runs, a second start is InstanceBusyError, parameters arrive parsed', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await running(apps, 'busy');
      const hold = uniqueId('gate');
      const runId = await apps.runWorkflow(id, 'deploy', { gate: hold, release: '42', replicas: '3', list: '[1, 2, "ok"]', text: 'test' }, { ownerId: 'bob' });
      expect(runId.startsWith(`${id}~`)).toBe(true);
      expect((await apps.get(id))!.status).toBe('Executing');
      const error = await apps.runWorkflow(id, 'deploy').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstanceBusyError);
      expect(isRepriseError(error, 'CONCURRENCY_LIMIT')).toBe(true);
      // Progress shows while the step runs.
      await eventually(async () => {
        const job = (await apps.get(id))!.workflowHistory.at(-1)!;
        expect(job).toMatchObject({ name: 'deploy', status: 'Executing', ownerId: 'bob', steps: [{ name: 'Copy', status: 'Executing', percentComplete: 40 }] });
      });
      gate(hold).open();
      await statusBecomes(apps, id, 'Running');
      const status = (await apps.get(id))!;
      expect(status.returnValues).toEqual({ 'site.url': 'http://example.org:80', deployed: true, release: '42' });
      expect(status.workflowHistory.map((j) => [j.name, j.status])).toEqual([
        ['launch', 'Succeeded'],
        ['deploy', 'Succeeded'],
      ]);
      // 'release' is declared a string: kept; 'replicas' a number; the rest by the auto rule.
      expect(seen.find((s) => s.workflow === 'deploy' && (s.input as Record<string, unknown>).gate === hold)?.input).toEqual({ gate: hold, release: '42', replicas: 3, list: [1, 2, 'ok'], text: 'test' });
      await expectCode(apps.runWorkflow(id, 'deploy', { replicas: 'many' }), 'INVALID_ARGUMENT', /replicas/);
      await expectCode(apps.runWorkflow(id, 'nope'), 'INVALID_ARGUMENT', /no workflow 'nope'/);
    });

    it('two concurrent starts: exactly one runs', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await running(apps, 'race');
      const hold = uniqueId('gate');
      const results = await Promise.allSettled([apps.runWorkflow(id, 'deploy', { gate: hold }), apps.runWorkflow(id, 'deploy', { gate: hold }), apps.runWorkflow(id, 'deploy', { gate: hold })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InstanceBusyError);
      gate(hold).open();
      await statusBecomes(apps, id, 'Running');
    });

    it('a failed workflow makes the instance Failed; the next success makes it Running', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await running(apps, 'fail');
      await apps.runWorkflow(id, 'fail');
      await statusBecomes(apps, id, 'Failed');
      expect((await apps.get(id))!.workflowHistory.at(-1)).toMatchObject({ name: 'fail', status: 'Failed', steps: [{ name: 'Boom', status: 'Failed', percentComplete: 0 }] });
      await apps.runWorkflow(id, 'deploy');
      await statusBecomes(apps, id, 'Running');
    });

    it('schedules: 0 runs now, later runs at its time, reschedule moves it, 0 cancels it', async () => {
      const { apps, runtime } = await startApps(makeStorage());
      const id = await running(apps, 'sched');
      expect(await apps.scheduleWorkflow(id, 'deploy', { interval: 0, parameters: { release: 'now' } })).toEqual({});
      await eventually(async () => expect((await apps.get(id))!.workflowHistory.filter((j) => j.name === 'deploy' && j.status === 'Succeeded')).toHaveLength(1));
      await statusBecomes(apps, id, 'Running');

      const before = Date.now();
      const far = await apps.scheduleWorkflow(id, 'deploy', { interval: 3_600_000, parameters: { release: 'later' } });
      expect(far.scheduleId).toMatch(new RegExp(`^${id}~`));
      let schedules = await apps.listSchedules(id);
      expect(schedules).toHaveLength(1);
      expect(schedules[0]).toMatchObject({ id: far.scheduleId, name: 'deploy' });
      expect(schedules[0]!.timestamp).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(schedules[0]!.timestamp).toBeLessThan(Date.now() + 3_600_000 + 1000);

      // Moved by the workflow's name to soon: it runs.
      expect(await apps.rescheduleWorkflow(id, 'deploy', { interval: 300, parameters: { release: 'moved' } })).toEqual({ scheduleId: far.scheduleId });
      await eventually(async () => expect((await apps.get(id))!.returnValues.release).toBe('moved'), { timeoutMs: 15_000 });
      expect(await apps.listSchedules(id)).toEqual([]);

      // Cancelled by id.
      const second = await apps.scheduleWorkflow(id, 'deploy', { interval: new Date(Date.now() + 3_600_000) });
      expect(await apps.listSchedules(id)).toHaveLength(1);
      expect(await apps.rescheduleWorkflow(id, second.scheduleId!, { interval: 0 })).toEqual({});
      schedules = await apps.listSchedules(id);
      expect(schedules).toEqual([]);
      await expectCode(apps.rescheduleWorkflow(id, 'nothing', { interval: 10 }), 'SCHEDULE_NOT_FOUND');
      await expectCode(apps.scheduleWorkflow(id, 'deploy', { interval: -1 }), 'INVALID_ARGUMENT');
      await expectCode(apps.scheduleWorkflow(id, 'deploy', { interval: '10' as unknown as number }), 'INVALID_ARGUMENT');

      // A scheduled run that finds a workflow running is refused by the group and recorded as skipped.
      const hold = uniqueId('gate');
      await apps.runWorkflow(id, 'deploy', { gate: hold });
      const clash = await apps.scheduleWorkflow(id, 'deploy', { interval: 200 });
      await eventually(async () => {
        const description = await runtime.client.schedules.get(clash.scheduleId!);
        expect(description!.skippedRuns).toHaveLength(1);
        expect(description!.skippedRuns[0]!.message).toMatch(/no free slot/);
      }, { timeoutMs: 15_000 });
      gate(hold).open();
      await statusBecomes(apps, id, 'Running');
    });

    it('user data: only objects with plain string keys; stored and shown', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await running(apps, 'user');
      for (const bad of [[1], 'x', null, { '': 1 }, { 'a.b': 1 }, { $set: 1 }])
        await expectCode(apps.setUserData(id, bad as Record<string, unknown>), 'INVALID_ARGUMENT');
      await apps.setUserData(id, { key1: ['a', 'b'], key2: 'some data' });
      expect((await apps.get(id))!.userData).toEqual({ key1: ['a', 'b'], key2: 'some data' });
      await expectCode(apps.setUserData(uniqueId('missing'), { a: 1 }), 'INSTANCE_NOT_FOUND');
    });

    it('configure: validated against the target version, left-out parameters reset, applied at once', async () => {
      const { apps } = await startApps(makeStorage());
      const id = await running(apps, 'conf');
      await expectCode(apps.configure(id, { parameters: { 'web.port': '81' } }), 'INVALID_ARGUMENT', /'web\.domain' is required/);
      await expectCode(apps.configure(id, { manifestVersion: 9, parameters: { 'web.domain': 'a' } }), 'INVALID_ARGUMENT', /no manifest version 9/);
      await apps.configure(id, { instanceName: 'Renamed', revisionId: 'rev-2', parameters: { 'web.domain': 'new.example.org', 'web.tls': 'true' } });
      let status = (await apps.get(id))!;
      expect(status).toMatchObject({ name: 'Renamed', revisionId: 'rev-2', version: 3, parameters: { 'web.port': '80', 'web.domain': 'new.example.org', 'web.tls': 'true' } });
      // Down to version 2: its own defaults ('8080'), and no 'web.tls'.
      await apps.configure(id, { manifestVersion: 2, parameters: { 'web.domain': 'v2.example.org' } });
      status = (await apps.get(id))!;
      expect(status).toMatchObject({ version: 2, parameters: { 'web.port': '8080', 'web.domain': 'v2.example.org' } });
      expect(status.parameters).not.toHaveProperty('web.tls');
    });

    it('configure with a reconfigure workflow and submodules: recursive validation, applied when the run succeeds', async () => {
      const { apps } = await startApps(makeStorage());
      await expectCode(apps.launch('Kiosk', { instanceId: uniqueId('k'), name: 'Kiosk' }), 'INVALID_ARGUMENT', /audio\.device/);
      const id = await apps.launch('Kiosk', { instanceId: uniqueId('kiosk'), name: 'Kiosk', submodules: { player: { parameters: { 'audio.device': 'hdmi' } } } });
      await statusBecomes(apps, id, 'Running');
      expect((await apps.get(id))!.components).toEqual([{ name: 'player' }]);
      await expectCode(apps.configure(id, { submodules: { player: { parameters: {} } } }), 'INVALID_ARGUMENT', /submodule 'player'.*audio\.device/);
      await expectCode(apps.configure(id, { submodules: { player: { parameters: { 'audio.device': 'usb' }, submodules: { nope: {} } } } }), 'INVALID_ARGUMENT', /unknown submodule 'nope'/);
      await apps.configure(id, { parameters: { 'screen.size': '12' }, submodules: { player: { manifestVersion: 2, parameters: { 'audio.device': 'usb' }, submodules: { codec: { parameters: { 'codec.name': 'vp9' } } } } } });
      await eventually(async () => expect((await apps.get(id))!.parameters).toEqual({ 'screen.size': '12' }), { timeoutMs: 15_000 });
      const status = (await apps.get(id))!;
      expect(status.status).toBe('Running');
      expect(status.workflowHistory.map((j) => j.name)).toEqual(['launch', 'reconfigure']);
      expect(status.returnValues).toEqual({ reconfigured: true });
      expect(seen.some((s) => s.workflow === 'reconfigure' && (s.input as Record<string, unknown>)['screen.size'] === 12)).toBe(true);
    });

    it('destroy: refused while busy, forced cancels the run, runs destroy, removes records and schedules', async () => {
      const { apps, runtime } = await startApps(makeStorage());
      const id = await running(apps, 'destroy');
      const sched = await apps.scheduleWorkflow(id, 'deploy', { interval: 3_600_000 });
      const hold = uniqueId('gate');
      const runId = await apps.runWorkflow(id, 'deploy', { gate: hold });
      await expectCode(apps.destroy(id), 'CONCURRENCY_LIMIT');
      await apps.destroy(id, { force: true });
      await statusBecomes(apps, id, 'Destroyed');
      const status = (await apps.get(id))!;
      // Only the destroy run is left; the canceled deploy and the launch were purged.
      expect(status.workflowHistory.map((j) => [j.name, j.status])).toEqual([['destroy', 'Succeeded']]);
      expect(status.workflowHistory[0]!.steps).toEqual([{ name: 'Teardown', status: 'Succeeded', percentComplete: 100 }]);
      expect(await runtime.client.getStatus(runId)).toBeUndefined();
      expect(await runtime.client.schedules.get(sched.scheduleId!)).toBeUndefined();
      expect(await apps.listSchedules(id)).toEqual([]);
      await expectCode(apps.runWorkflow(id, 'deploy'), 'INVALID_STATE');
      await apps.destroy(id); // already destroyed: nothing to do
      gate(hold).open();
    });

    it('destroy without force on an idle instance; the state stays readable as Destroyed', async () => {
      const { apps, runtime } = await startApps(makeStorage());
      const id = await running(apps, 'idle');
      await apps.destroy(id);
      await statusBecomes(apps, id, 'Destroyed');
      expect((await runtime.client.readEntityState(entityId('reprise.application', id))).entityExists).toBe(true);
    });

    it('list by environment, application, revision and namespace', async () => {
      const { apps } = await startApps(makeStorage());
      const a = await apps.launch('PublicSite', { instanceId: uniqueId('la'), name: 'A', parameters: { 'web.domain': 'a' }, environmentId: 'env-a', revisionId: 'rev-1' });
      const b = await apps.launch('PublicSite', { instanceId: uniqueId('lb'), name: 'B', parameters: { 'web.domain': 'b' }, environmentId: 'env-b', revisionId: 'rev-1', namespace: 'tenant-b' });
      const c = await apps.launch('Kiosk', { instanceId: uniqueId('lc'), name: 'C', environmentId: 'env-a', submodules: { player: { parameters: { 'audio.device': 'x' } } } });
      for (const id of [a, b, c]) await statusBecomes(apps, id, 'Running');
      const ids = async (filter: Parameters<ApplicationsClient['list']>[0]) => (await apps.list(filter)).instances.map((i) => i.id).sort();
      expect(await ids({ environmentId: 'env-a' })).toEqual([a, c].sort());
      expect(await ids({ applicationId: 'PublicSite' })).toEqual([a, b].sort());
      expect(await ids({ revisionId: 'rev-1' })).toEqual([a, b].sort());
      expect(await ids({ namespace: 'tenant-b' })).toEqual([b]);
      expect((await apps.list({ environmentId: 'env-b' })).instances).toEqual([{ id: b, name: 'B', applicationId: 'PublicSite', environmentId: 'env-b', revisionId: 'rev-1', status: 'Running' }]);
    });
  });
}
