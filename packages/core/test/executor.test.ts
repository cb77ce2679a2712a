/**
 * The replay engine on its own: histories built event by event, fed to an
 * OrchestrationExecutor, and the actions and outcome it produces.
 */
import { describe, expect, it } from 'vitest';
import { deserialize } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { OrchestrationExecutor } from '@reprise/core/internal';
import type { OrchestratorFunction } from '@reprise/core';
import { T0, h } from './history-builders.js';

const executor = (fn: (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>) =>
  new OrchestrationExecutor('i1', fn as OrchestratorFunction, { maxPayloadBytes: 1 << 20 });

function* chain(ctx: OrchestrationContext) {
  const a = (yield ctx.callActivity('A', 1)) as number;
  const b = (yield ctx.callActivity('B', a + 1)) as number;
  return a + b;
}

describe('OrchestrationExecutor', () => {
  it('schedules the first action of a new execution and keeps running', () => {
    const ex = executor(chain);
    ex.apply([h.started('Chain')], false);
    expect(ex.takeNewActions()).toEqual([{ kind: 'activity', id: 0, name: 'A', input: '{"json":1}' }]);
    expect(ex.outcome).toEqual({ status: 'running' });
  });

  it('replays recorded actions without scheduling them again, then schedules the next', () => {
    const ex = executor(chain);
    ex.apply([h.started('Chain'), h.taskScheduled(0, 'A', 1), h.taskCompleted(0, 10)], true);
    expect(ex.takeNewActions()).toEqual([{ kind: 'activity', id: 1, name: 'B', input: '{"json":11}', previous: [0] }]);
  });

  it('completes with the serialized return value', () => {
    const ex = executor(chain);
    ex.apply([h.started('Chain'), h.taskScheduled(0, 'A', 1), h.taskCompleted(0, 10), h.taskScheduled(1, 'B', 11), h.taskCompleted(1, 5)], true);
    expect(ex.takeNewActions()).toEqual([]);
    expect(ex.outcome.status).toBe('completed');
    expect(deserialize(ex.outcome.status === 'completed' ? ex.outcome.output : undefined)).toBe(15);
  });

  it('gives identical results fed at once or in two steps (the replay cache relies on it)', () => {
    const events = [h.started('Chain'), h.taskScheduled(0, 'A', 1), h.taskCompleted(0, 10)];
    const once = executor(chain);
    once.apply(events, true);
    const twice = executor(chain);
    twice.apply(events.slice(0, 2), true);
    twice.apply(events.slice(2), false);
    expect(twice.takeNewActions()).toEqual(once.takeNewActions());
  });

  it('fails with a NonDeterminismError naming the recorded and the produced action', () => {
    const ex = executor(chain);
    ex.apply([h.started('Chain'), h.taskScheduled(0, 'Other', 1)], true);
    expect(ex.outcome.status).toBe('failed');
    const failure = ex.outcome.status === 'failed' ? ex.outcome.failure : undefined;
    expect(failure?.name).toBe('NonDeterminismError');
    expect(failure?.message).toContain("callActivity('Other') #0");
    expect(failure?.message).toContain("callActivity('A') #0");
  });

  it('rethrows a failed task into the generator, where it can be caught', () => {
    const ex = executor(function* (ctx) {
      try {
        yield ctx.callActivity('A', undefined);
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
      return 'no error';
    });
    ex.apply([h.started('Catch'), h.taskScheduled(0, 'A'), h.taskFailed(0, 'boom')], true);
    expect(ex.outcome.status === 'completed' && deserialize(ex.outcome.output)).toBe('caught boom');
  });

  it('fails the execution when a task failure is not caught', () => {
    const ex = executor(chain);
    ex.apply([h.started('Chain'), h.taskScheduled(0, 'A', 1), h.taskFailed(0, 'boom', 'RangeError')], true);
    expect(ex.outcome).toMatchObject({ status: 'failed', failure: { name: 'RangeError', message: 'boom' } });
  });

  it('fires a durable timer at its recorded time; ctx.currentUtcDateTime is the event time', () => {
    const ex = executor(function* (ctx) {
      yield ctx.createTimer(new Date(T0 + 60_000));
      return ctx.currentUtcDateTime.toISOString();
    });
    ex.apply([h.started('Timer')], false);
    expect(ex.takeNewActions()).toEqual([{ kind: 'timer', id: 0, fireAt: T0 + 60_000 }]);
    ex.apply([h.timerFired(0, 60_000)], false);
    expect(ex.outcome.status === 'completed' && deserialize(ex.outcome.output)).toBe(new Date(T0 + 60_000).toISOString());
  });

  it('buffers an event raised before the code waits for it', () => {
    const ex = executor(function* (ctx) {
      const a = yield ctx.callActivity('A', undefined);
      const approval = yield ctx.waitForExternalEvent('Approval');
      return [a, approval];
    });
    ex.apply([h.started('Wait'), h.eventRaised('Approval', 'yes'), h.taskScheduled(0, 'A'), h.taskCompleted(0, 'a')], true);
    expect(ex.outcome.status === 'completed' && deserialize(ex.outcome.output)).toEqual(['a', 'yes']);
  });

  it('holds events while suspended and applies them on resume', () => {
    const ex = executor(function* (ctx) {
      return yield ctx.waitForExternalEvent('Go');
    });
    ex.apply([h.started('Suspend'), h.suspended(), h.eventRaised('Go', 1)], false);
    expect(ex.isSuspended).toBe(true);
    expect(ex.outcome.status).toBe('running');
    ex.apply([h.resumed()], false);
    expect(ex.isSuspended).toBe(false);
    expect(ex.outcome.status === 'completed' && deserialize(ex.outcome.output)).toBe(1);
  });

  it('continues as new with the new input, carrying over events nobody awaited', () => {
    const ex = executor(function* (ctx) {
      yield ctx.callActivity('A', undefined);
      ctx.continueAsNew({ round: 2 });
    });
    ex.apply([h.started('Loop'), h.taskScheduled(0, 'A'), h.eventRaised('Early', 1), h.taskCompleted(0)], true);
    expect(ex.outcome.status).toBe('continuedAsNew');
    if (ex.outcome.status !== 'continuedAsNew') return;
    expect(deserialize(ex.outcome.input)).toEqual({ round: 2 });
    expect(ex.outcome.carryOver.map((e) => e.Name)).toEqual(['Early']);
  });

  // Regression: events after the one that ended the execution in the same episode were dropped; a schedule's
  // command raised while its firing activity ran was lost when the schedule continued as new.
  it('carries over events that arrive in the same episode after continueAsNew', () => {
    const ex = executor(function* (ctx) {
      yield ctx.callActivity('A', undefined);
      ctx.continueAsNew({ round: 2 });
    });
    ex.apply([h.started('Loop'), h.taskScheduled(0, 'A')], true);
    ex.apply([h.taskCompleted(0), h.eventRaised('Late', 1), h.eventRaised('Later', 2)], false);
    expect(ex.outcome.status === 'continuedAsNew' && ex.outcome.carryOver.map((e) => e.Name)).toEqual(['Late', 'Later']);
  });

  it('knows its parent from ExecutionStarted', () => {
    const parent = { InstanceId: 'p', ExecutionId: 'pe', TaskScheduledId: 3 };
    const ex = executor(chain);
    ex.apply([h.started('Child', undefined, { parent })], false);
    expect(ex.parent).toEqual(parent);
    expect(ex.parentInstanceId).toBe('p');
  });

  it('is not started until ExecutionStarted (events before a delayed start)', () => {
    const ex = executor(chain);
    ex.apply([h.eventRaised('Early', 1)], true);
    expect(ex.hasStarted).toBe(false);
    ex.apply([h.started('Chain')], false);
    expect(ex.hasStarted).toBe(true);
  });

  it('fails an orchestrator that yields something other than a task', () => {
    const ex = executor(function* () {
      yield Promise.resolve(1);
    });
    ex.apply([h.started('Bad')], false);
    expect(ex.outcome).toMatchObject({ status: 'failed', failure: { name: 'InvalidArgumentError' } });
  });

  it('records ctx.log lines only when not replaying', () => {
    const ex = executor(function* (ctx) {
      ctx.log.info('before');
      yield ctx.callActivity('A', undefined);
      ctx.log.info('after');
    });
    ex.apply([h.started('Log'), h.taskScheduled(0, 'A')], true);
    expect(ex.takeLogs()).toEqual([]);
    ex.apply([h.taskCompleted(0)], false);
    expect(ex.takeLogs().map((l) => l.message)).toEqual(['after']);
  });
});
