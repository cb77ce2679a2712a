// The dashboard's JSON API over a real listener: lists, counts, an instance with steps and explanation, actions, bad input.
import { describe, expect, it } from 'vitest';
import { login, serve } from './fixture.js';
import type { Json } from './fixture.js';

async function session() {
  const served = await serve();
  const { cookie, csrf } = await login(served.base);
  const api = `${served.base}/api/hubs/default`;
  const get = async (path: string) => {
    const response = await fetch(`${api}/${path}`, { headers: { cookie } });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const post = async (path: string, body: unknown = {}, method = 'POST') => {
    const response = await fetch(`${api}/${path}`, { method, headers: { cookie, origin: served.url, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Json };
  };
  return { ...served, get, post };
}

describe('dashboard API', () => {
  it('lists with filters (status, orchestrator, namespace, prefix, created range), counts by status, and pages by token', async () => {
    const { runtime, get } = await session();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await runtime.client.startNew('Echo', { instanceId: `echo-${i}`, input: i, namespace: i < 2 ? 'team-a' : '' }));
    const waiting = await runtime.client.startNew('Approval', { instanceId: 'approval-1', input: { order: 'o1' } });
    for (const id of ids) await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });

    const all = await get('instances');
    expect(all.body.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual([...ids, waiting].sort());
    expect((await get('instances?orchestrator=Approval')).body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([waiting]);
    expect((await get('instances?status=Completed&namespace=team-a')).body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(['echo-0', 'echo-1']);
    expect((await get('instances?prefix=echo-3')).body.instances).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await get(`instances?createdFrom=${encodeURIComponent(future)}`)).body.instances).toEqual([]);
    const counts = await get('counts');
    expect(counts.body).toMatchObject({ Completed: 5, Running: 1, Failed: 0, Pending: 0 });
    expect((await get('counts?orchestrator=Echo&namespace=team-a')).body).toMatchObject({ Completed: 2, Running: 0 });

    const first = await get('instances?pageSize=4');
    expect(first.body.instances).toHaveLength(4);
    const second = await get(`instances?pageSize=4&continuationToken=${encodeURIComponent(first.body.continuationToken)}`);
    expect(second.body.instances).toHaveLength(2);
    expect(second.body.continuationToken).toBeUndefined();
  });

  it('refuses bad input with a 4xx JSON error', async () => {
    const { get, post } = await session();
    expect(await get('instances?status=Sleeping')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(await get('instances?pageSize=0')).toMatchObject({ status: 400 });
    expect(await get('instances?createdFrom=yesterday')).toMatchObject({ status: 400 });
    expect(await get('instances?continuationToken=garbage')).toMatchObject({ status: 400 });
    expect(await get('instances/nobody')).toMatchObject({ status: 404, body: { error: { code: 'INSTANCE_NOT_FOUND' } } });
    expect(await get('instances/%E0%A4%A')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PATH' } } });
    expect(await post('instances/nobody/terminate')).toMatchObject({ status: 404 });
    expect(await post('instances/x/raise-event', { name: '' })).toMatchObject({ status: 400 });
    expect(await post('instances/x/terminate', { reason: 42 })).toMatchObject({ status: 400 });
    expect(await post('instances/x/nothing')).toMatchObject({ status: 404 });
    expect(await post('instances', {}, 'DELETE')).toMatchObject({ status: 405 });
  });

  it('an instance: status, steps with progress and errors, the explanation; history and logs', async () => {
    const { runtime, get, post } = await session();
    const failed = await runtime.client.startNew('Payment', { input: 12 });
    await runtime.client.waitForCompletion(failed, { timeoutMs: 10_000 });
    const detail = await get(`instances/${failed}`);
    expect(detail.body.status).toMatchObject({ instanceId: failed, name: 'Payment', runtimeStatus: 'Failed', input: 12 });
    expect(detail.body.steps.map((s: { name: string; status: string; attempt: number }) => [s.name, s.status, s.attempt])).toEqual([
      ['Reserve', 'Succeeded', 1],
      ['Charge', 'Failed', 1],
      ['timer', 'Succeeded', 1].map((v, i) => (i === 0 ? expect.any(String) : v)),
      ['Charge', 'Failed', 2],
    ]);
    expect(detail.body.steps[0].progress).toMatchObject({ percent: 100, message: 'reserved' });
    expect(detail.body.steps[1].error).toEqual({ name: 'Error', message: 'card declined' });
    expect(detail.body.explanation).toEqual({ status: 'Failed', waitingFor: [], hints: ['the instance is Failed: it waits for nothing'] });
    const history = await get(`instances/${failed}/history`);
    expect(history.body.history[0]).toMatchObject({ EventType: 'ExecutionStarted' });
    expect((await get(`instances/${failed}/logs`)).body).toEqual({ logs: [] });

    const waiting = await runtime.client.startNew('Approval', { input: { order: 'o2' } });
    await expect.poll(async () => (await get(`instances/${waiting}`)).body.explanation.waitingFor.map((w: { kind: string }) => w.kind), { timeout: 10_000 }).toEqual(['event']);
    expect((await post(`instances/${waiting}/raise-event`, { name: 'Approve', data: { by: 'ada' } })).status).toBe(200);
    const done = await runtime.client.waitForCompletion(waiting, { timeoutMs: 10_000 });
    expect(done.output).toEqual({ reserved: 'ok', approval: { by: 'ada' } });

    const restarted = await post(`instances/${failed}/restart`);
    expect(restarted.body.instanceId).toEqual(expect.any(String));
    expect((await post(`instances/${waiting}/purge`)).body).toEqual({ instancesDeleted: 1 });
    expect((await get(`instances/${waiting}`)).status).toBe(404);
  });

  it('suspend, resume, cancel and rewind reach the instance', async () => {
    const { runtime, post } = await session();
    const id = await runtime.client.startNew('Approval', { input: { order: 'o3' } });
    await expect.poll(async () => (await runtime.client.getStatus(id))!.runtimeStatus, { timeout: 10_000 }).toBe('Running');
    expect((await post(`instances/${id}/suspend`, { reason: 'audit' })).status).toBe(200);
    await expect.poll(async () => (await runtime.client.getStatus(id))!.runtimeStatus, { timeout: 10_000 }).toBe('Suspended');
    expect((await post(`instances/${id}/resume`)).status).toBe(200);
    await expect.poll(async () => (await runtime.client.getStatus(id))!.runtimeStatus, { timeout: 10_000 }).toBe('Running');
    expect((await post(`instances/${id}/cancel`, { reason: 'no longer needed' })).status).toBe(200);
    await expect.poll(async () => (await runtime.client.getStatus(id))!.runtimeStatus, { timeout: 10_000 }).toBe('Canceled');
    const failed = await runtime.client.startNew('Payment', { input: 1 });
    await runtime.client.waitForCompletion(failed, { timeoutMs: 10_000 });
    expect((await post(`instances/${failed}/rewind`)).status).toBe(200);
    expect((await post(`instances/${id}/rewind`)).status).toBe(409);
  });

  it('entities and schedules: list, pause, resume, trigger, delete', async () => {
    const { runtime, get, post } = await session();
    await runtime.client.schedules.create({ scheduleId: 'nightly', orchestrator: 'Echo', cron: '0 3 * * *', input: 'x' });
    const listed = await get('schedules');
    expect(listed.body.schedules).toMatchObject([{ scheduleId: 'nightly', orchestrator: 'Echo', paused: false, nextRunAt: expect.any(String) }]);
    expect((await post('schedules/nightly/pause', { reason: 'maintenance' })).body.schedule).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    expect((await post('schedules/nightly/resume')).body.schedule).toMatchObject({ paused: false });
    const triggered = await post('schedules/nightly/trigger');
    expect(triggered.body.instanceId).toMatch(/^nightly@/);
    expect((await post('schedules/nightly', {}, 'DELETE')).status).toBe(200);
    expect((await get('schedules')).body.schedules).toEqual([]);
    expect((await post('schedules/nightly/pause')).status).toBe(404);
    expect((await get('entities')).body).toEqual({ entities: [] });
  });
});
