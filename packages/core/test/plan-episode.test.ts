/**
 * The episode planner on its own: facts and built histories in, the commit
 * out; no storage and no runtime. Each branch of an episode has a case.
 */
import { describe, expect, it } from 'vitest';
import { deserialize } from '@reprise/core';
import type { HistoryEvent, OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { OrchestrationExecutor } from '@reprise/core/internal';
import { episodeNeeds, planEpisode } from '../src/runtime/plan-episode.js';
import type { EpisodeFacts } from '../src/runtime/plan-episode.js';
import { T0, at, h, locked, record } from './history-builders.js';

type Flow = (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>;

function facts(events: HistoryEvent[], overrides: Partial<EpisodeFacts> = {}): EpisodeFacts {
  const { instance, messages, deliveries } = locked(overrides.instance ?? record(), events);
  let ids = 0;
  return { instance, messages, deliveries, now: T0 + 1000, maxDeliveries: 5, maxHistoryEvents: 1000, orchestratorKnown: true, newExecutionId: () => `new-${++ids}`, ...overrides };
}

/** An executor brought up to `history`, as the shell would hand it over. */
function executorAt(fn: Flow, history: HistoryEvent[] = []): OrchestrationExecutor {
  const executor = new OrchestrationExecutor('i1', fn as OrchestratorFunction, { maxPayloadBytes: 1 << 20 });
  executor.apply(history, true);
  return executor;
}

function* twoSteps(ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
  const a = yield ctx.callActivity('A', 1);
  ctx.signalEntity({ name: 'counter', key: 'k' }, 'add', 1);
  const b = yield ctx.callActivity('B', a);
  return b;
}

describe('planEpisode', () => {
  it('starts an execution: the start and the first action recorded, a work item created, the executor kept', () => {
    const f = facts([h.started('Flow', 'in')]);
    expect(episodeNeeds(f)).toBe('executor');
    const plan = planEpisode(f, { executor: executorAt(twoSteps) });
    expect(plan.executor).toBe('cache');
    expect(plan.commit.instance).toMatchObject({ status: 'Running', historyLength: 2, input: '{"json":"in"}', updatedAt: T0 + 1000 });
    expect('append' in plan.commit.history && plan.commit.history.append.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled']);
    // Every event of the episode carries the episode's time.
    expect('append' in plan.commit.history && plan.commit.history.append.every((e) => e.Timestamp === at(1000))).toBe(true);
    expect(plan.commit.activities).toEqual([{ instanceId: 'i1', executionId: 'exec-1', taskScheduledId: 0, name: 'A', input: '{"json":1}' }]);
  });

  it('completes: the result is the output, the parent is answered, the executor forgotten', () => {
    const parent = { InstanceId: 'p', ExecutionId: 'pe', TaskScheduledId: 7 };
    const signal: HistoryEvent = { EventType: 'EntityRequestSent', Timestamp: at(), EventId: 1, Kind: 'signal', EntityId: '@counter@k', Operation: 'add', Input: '{"json":1}', RequestId: 'i1#1' };
    const history = [h.started('Flow', undefined, { parent }), h.taskScheduled(0, 'A', 1), h.taskCompleted(0, 2), signal, h.taskScheduled(2, 'B', 2)];
    const f = facts([h.taskCompleted(2, 'done')], { instance: record({ status: 'Running', historyLength: history.length }) });
    const plan = planEpisode(f, { executor: executorAt(twoSteps, history) });
    expect(plan.executor).toBe('forget');
    expect(plan.commit.instance.status).toBe('Completed');
    expect(deserialize(plan.commit.instance.output)).toBe('done');
    expect(plan.commit.messages).toEqual([
      { instanceId: 'p', event: { EventType: 'SubOrchestrationInstanceCompleted', Timestamp: at(1000), TaskScheduledId: 7, TargetExecutionId: 'pe', Result: '{"json":"done"}' } },
    ]);
  });

  it('sends entity signals as fire-and-forget messages', () => {
    const history = [h.started('Flow'), h.taskScheduled(0, 'A', 1)];
    const plan = planEpisode(facts([h.taskCompleted(0, 2)], { instance: record({ status: 'Running', historyLength: 2 }) }), { executor: executorAt(twoSteps, history) });
    expect(plan.commit.messages.map((m) => [m.instanceId, m.event.EventType])).toEqual([['@counter@k', 'EntityOperation']]);
    expect(plan.commit.activities.map((a) => a.name)).toEqual(['B']);
  });

  it('terminates: events before the terminate still apply, nothing after it, the parent learns of it', () => {
    const parent = { InstanceId: 'p', ExecutionId: 'pe', TaskScheduledId: 1 };
    const history = [h.started('Flow', undefined, { parent }), h.taskScheduled(0, 'A', 1)];
    const f = facts([h.terminated('stop'), h.taskCompleted(0, 2)], { instance: record({ status: 'Running', historyLength: 2 }) });
    const plan = planEpisode(f, { executor: executorAt(twoSteps, history) });
    expect(plan.commit.instance).toMatchObject({ status: 'Terminated', output: '{"json":"stop"}', historyLength: 3 });
    expect('append' in plan.commit.history && plan.commit.history.append.map((e) => e.EventType)).toEqual(['ExecutionTerminated']);
    expect(plan.commit.activities).toEqual([]);
    expect(plan.commit.messages.map((m) => [m.instanceId, m.event.EventType])).toEqual([['p', 'SubOrchestrationInstanceFailed']]);
  });

  it('continues as new: history replaced, a new execution started, unawaited events carried after the start', () => {
    const flow: Flow = function* (ctx) {
      yield ctx.callActivity('A', undefined);
      ctx.continueAsNew(2);
    };
    const history = [h.started('Flow'), h.taskScheduled(0, 'A')];
    const f = facts([h.eventRaised('Later', 'x'), h.taskCompleted(0)], { instance: record({ status: 'Running', historyLength: 2 }) });
    const plan = planEpisode(f, { executor: executorAt(flow, history) });
    expect(plan.executor).toBe('forget');
    expect(plan.commit.history).toEqual({ replace: [] });
    expect(plan.commit.instance).toMatchObject({ status: 'ContinuedAsNew', executionId: 'new-1', input: '{"json":2}', historyLength: 0 });
    expect(plan.commit.messages.map((m) => m.event.EventType)).toEqual(['ExecutionStarted', 'EventRaised']);
    expect(plan.commit.messages[0]!.event).toMatchObject({ ExecutionId: 'new-1', Input: '{"json":2}' });
  });

  it('fails an episode that would pass maxHistoryEvents, leaving room for the failure itself', () => {
    const f = facts([h.started('Flow')], { maxHistoryEvents: 2 });
    const plan = planEpisode(f, { executor: executorAt(twoSteps) });
    expect(plan.commit.instance.status).toBe('Failed');
    expect(deserialize(plan.commit.instance.output)).toMatchObject({ name: 'HistoryTooLongError' });
    expect('append' in plan.commit.history && plan.commit.history.append.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'ExecutionFailed']);
    expect(plan.commit.activities).toEqual([]);
  });

  it('judges poison before any replay: no executor needed, parent answered and held locks released from the stored history', () => {
    const parent = { InstanceId: 'p', ExecutionId: 'pe', TaskScheduledId: 4 };
    const history: HistoryEvent[] = [
      h.started('Flow', undefined, { parent }),
      { EventType: 'EntityRequestSent', Timestamp: at(), EventId: 0, Kind: 'lock', EntityId: '@a@1', RequestId: 'i1#0', LockSet: ['@a@1', '@b@2'] },
      { EventType: 'EntityResponse', Timestamp: at(), RequestId: 'i1#0' },
    ];
    const f = facts([h.eventRaised('Go')], { instance: record({ status: 'Running', historyLength: 3 }), deliveries: 6 });
    expect(episodeNeeds(f)).toBe('history');
    const plan = planEpisode(f, { history });
    expect(plan.commit.instance.status).toBe('Failed');
    expect(deserialize(plan.commit.instance.output)).toMatchObject({ name: 'MaxDeliveriesExceededError' });
    expect(plan.commit.messages.map((m) => [m.instanceId, m.event.EventType])).toEqual([
      ['p', 'SubOrchestrationInstanceFailed'],
      ['@a@1', 'EntityLockReleased'],
      ['@b@2', 'EntityLockReleased'],
    ]);
  });

  it('judges poison of a never-committed instance from its start message alone', () => {
    const f = facts([h.started('Flow')], { deliveries: 6 });
    expect(episodeNeeds(f)).toBe('nothing');
    expect(planEpisode(f).commit.instance.status).toBe('Failed');
  });

  it('fails an instance whose orchestrator is not registered, without needing an executor', () => {
    const f = facts([h.started('Missing')], { orchestratorKnown: false });
    expect(episodeNeeds(f)).toBe('nothing');
    const plan = planEpisode(f);
    expect(deserialize(plan.commit.instance.output)).toMatchObject({ name: 'UnknownOrchestratorError' });
  });

  it('suspends: the row says Suspended and events wait in the executor', () => {
    const history = [h.started('Flow'), h.taskScheduled(0, 'A', 1)];
    const f = facts([h.suspended(), h.taskCompleted(0, 2)], { instance: record({ status: 'Running', historyLength: 2 }) });
    const plan = planEpisode(f, { executor: executorAt(twoSteps, history) });
    expect(plan.commit.instance.status).toBe('Suspended');
    expect(plan.commit.activities).toEqual([]);
    expect(plan.executor).toBe('cache');
  });

  it('refuses a second start of a running instance back to its parent, and drops events for another execution', () => {
    const parent = { InstanceId: 'p', ExecutionId: 'pe', TaskScheduledId: 2 };
    const stale = { ...h.timerFired(0, 0), TargetExecutionId: 'old' } as unknown as HistoryEvent;
    const history = [h.started('Flow'), h.taskScheduled(0, 'A', 1)];
    const f = facts([h.started('Flow', undefined, { parent, executionId: 'other' }), stale], { instance: record({ status: 'Running', historyLength: 2 }) });
    const plan = planEpisode(f, { executor: executorAt(twoSteps, history) });
    expect(plan.commit.instance.status).toBe('Running');
    expect('append' in plan.commit.history && plan.commit.history.append).toEqual([]);
    expect(plan.commit.messages).toHaveLength(1);
    expect(plan.commit.messages[0]).toMatchObject({ instanceId: 'p', event: { EventType: 'SubOrchestrationInstanceFailed', TaskScheduledId: 2 } });
  });

  it('consumes late messages of a finished instance without changing it', () => {
    const instance = record({ status: 'Completed', historyLength: 4 });
    const f = facts([h.eventRaised('Late')], { instance });
    expect(episodeNeeds(f)).toBe('nothing');
    expect(planEpisode(f).commit).toEqual({ instance, history: { append: [] }, messages: [], activities: [], logs: [] });
  });

  it('rewinds a failed instance from its stored history', () => {
    const history = [h.started('Flow'), h.taskScheduled(0, 'A', 1), h.taskFailed(0, 'boom'), h.failed('boom')];
    const f = facts([h.rewound()], { instance: record({ status: 'Failed', historyLength: 4 }) });
    expect(episodeNeeds(f)).toBe('history');
    const plan = planEpisode(f, { history });
    expect(plan.commit.instance).toMatchObject({ status: 'Running', historyLength: 2, output: undefined });
    expect(plan.commit.history).toEqual({ replace: history.slice(0, 2) });
    expect(plan.commit.activities.map((a) => a.name)).toEqual(['A']);
  });
});
