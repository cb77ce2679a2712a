import { describe, expect, it } from 'vitest';
import { InstanceCompletedError, InstanceNotFoundError, InvalidStateError } from '@reprise/core';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { cacheModes, eventually, sleep, startRuntime } from './helpers.js';

describe.each(cacheModes)('managing instances ($label)', ({ cacheSize }) => {
  const waitForever = {
    Wait: function* (ctx: OrchestrationContext) {
      const value = yield ctx.waitForExternalEvent('Go');
      return value;
    },
  } satisfies Record<string, OrchestratorFunction>;

  it('terminates a running instance: output is the reason, history ends with ExecutionTerminated', async () => {
    const runtime = await startRuntime({ cacheSize, orchestrators: waitForever });
    const id = await runtime.client.startNew('Wait');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    await runtime.client.terminate(id, 'no longer needed');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('no longer needed');
    const history = (await runtime.client.getStatus(id, { showHistory: true }))!.history!;
    expect(history.at(-1)).toMatchObject({ EventType: 'ExecutionTerminated', Reason: 'no longer needed' });
    await expect(runtime.client.terminate(id, 'again')).rejects.toBeInstanceOf(InstanceCompletedError);
    await expect(runtime.client.raiseEvent(id, 'Go', 1)).rejects.toBeInstanceOf(InstanceCompletedError);
  });

  it('terminating a sub-orchestration fails the parent with a catchable error', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        ...waitForever,
        Parent: function* (ctx) {
          try {
            yield ctx.callSubOrchestrator('Wait', undefined, 'the-child');
            return 'child completed';
          } catch (error) {
            return `caught ${(error as Error).name}`;
          }
        },
      },
    });
    const id = await runtime.client.startNew('Parent');
    await eventually(async () => (await runtime.client.getStatus('the-child'))?.runtimeStatus === 'Running');
    await runtime.client.terminate('the-child', 'stop');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe('caught TerminatedError');
  });

  it('suspends: events received meanwhile are kept and delivered on resume', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Two: function* (ctx) {
          const a = yield ctx.waitForExternalEvent('A');
          const b = yield ctx.waitForExternalEvent('B');
          return [a, b];
        },
      },
    });
    const id = await runtime.client.startNew('Two');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    await runtime.client.suspend(id, 'maintenance');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Suspended');
    await runtime.client.raiseEvent(id, 'A', 1);
    await runtime.client.raiseEvent(id, 'B', 2);
    await sleep(50);
    expect((await runtime.client.getStatus(id))!.runtimeStatus).toBe('Suspended');
    await runtime.client.resume(id, 'done');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual([1, 2]);
    const types = (await runtime.client.getStatus(id, { showHistory: true }))!.history!.map((e) => e.EventType);
    // Each wait is a step, recorded when it begins: A before the suspension, B once A's event was delivered on resume.
    expect(types).toEqual(['ExecutionStarted', 'EventWaitStarted', 'ExecutionSuspended', 'EventRaised', 'EventRaised', 'ExecutionResumed', 'EventWaitStarted', 'ExecutionCompleted']);
  });

  it('rewinds a Failed instance: the failed activity runs again and the orchestration continues', async () => {
    let broken = true;
    const calls: string[] = [];
    const runtime = await startRuntime({
      cacheSize,
      activities: {
        Step: (name: string) => {
          calls.push(name);
          if (name === 'two' && broken) throw new Error('database down');
          return name.toUpperCase();
        },
      },
      orchestrators: {
        Pipeline: function* (ctx) {
          const one = yield ctx.callActivity('Step', 'one');
          const two = yield ctx.callActivity('Step', 'two');
          const three = yield ctx.callActivity('Step', 'three');
          return [one, two, three];
        },
      },
    });
    const id = await runtime.client.startNew('Pipeline');
    const failed = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.output).toMatchObject({ name: 'Error', message: 'database down' });
    await expect(runtime.client.resume(id)).rejects.toBeInstanceOf(InstanceCompletedError);
    broken = false;
    await runtime.client.rewind(id, 'fixed the database');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Completed');
    const status = await runtime.client.getStatus(id);
    expect(status!.output).toEqual(['ONE', 'TWO', 'THREE']);
    expect(calls).toEqual(['one', 'two', 'two', 'three']); // 'one' did not run again
    await expect(runtime.client.rewind(id, 'again')).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('purges terminal instances only, by id and by filter', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        ...waitForever,
        Quick: function* () {
          return 1;
        },
      },
    });
    const before = new Date(Date.now() - 1000);
    const done = await Promise.all([1, 2, 3].map(() => runtime.client.startNew('Quick')));
    for (const id of done) await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    const running = await runtime.client.startNew('Wait');
    await expect(runtime.client.purgeInstanceHistory(running)).rejects.toBeInstanceOf(InvalidStateError);
    expect(await runtime.client.purgeInstanceHistory(done[0]!)).toEqual({ instancesDeleted: 1 });
    expect(await runtime.client.getStatus(done[0]!)).toBeUndefined();
    expect(await runtime.client.purgeInstanceHistory(done[0]!)).toEqual({ instancesDeleted: 0 });
    const byFilter = await runtime.client.purgeInstanceHistoryBy({ createdTimeFrom: before, runtimeStatus: ['Completed', 'Running'] });
    expect(byFilter).toEqual({ instancesDeleted: 2 });
    expect((await runtime.client.getStatus(running))!.runtimeStatus).not.toBe('Completed');
    expect(await runtime.client.getStatusAll()).toHaveLength(1);
  });

  it('raiseEvent and terminate on an unknown id are InstanceNotFound', async () => {
    const runtime = await startRuntime({ cacheSize, orchestrators: waitForever });
    await expect(runtime.client.raiseEvent('nope', 'Go', 1)).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(runtime.client.terminate('nope', 'x')).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(runtime.client.waitForCompletion('nope')).rejects.toBeInstanceOf(InstanceNotFoundError);
    expect(await runtime.client.getStatus('nope')).toBeUndefined();
  });

  it('restarts a terminal instance id as a new execution', async () => {
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Echo: function* (ctx) {
          return ctx.getInput();
        },
      },
    });
    await runtime.client.startNew('Echo', { instanceId: 'again', input: 1 });
    await runtime.client.waitForCompletion('again', { timeoutMs: 5000 });
    await runtime.client.startNew('Echo', { instanceId: 'again', input: 2 });
    const status = await runtime.client.waitForCompletion('again', { timeoutMs: 5000 });
    expect(status.output).toBe(2);
    expect((await runtime.client.getStatus('again', { showHistory: true }))!.history).toHaveLength(2);
  });
});
