/**
 * What the step view reads about waits, at the planner: event waits
 * recorded as steps, WaitsChanged (abandoned, canceled, resumed) recorded
 * the same by a live (cached) executor and one replayed every episode, and
 * the corner no later event can tell: a wait begun in the episode whose
 * cancellation request rejects it.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent, OrchestrationContext, OrchestratorFunction, Step } from '@reprise/core';
import { OrchestrationExecutor } from '@reprise/core/internal';
import { planEpisode } from '../src/runtime/plan-episode.js';
import type { EpisodeFacts } from '../src/runtime/plan-episode.js';
import { projectSteps } from '../src/client/steps.js';
import { T0, h, locked, record } from './history-builders.js';

type Flow = (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>;

const started = (): HistoryEvent => ({ ...h.started('Flow'), EventWaitSteps: true }) as HistoryEvent;
const cancelRequested = (): HistoryEvent => ({ EventType: 'ExecutionCancelRequested', Timestamp: new Date(T0).toISOString() });

/** Runs episodes through the planner: with one live executor (cached), or a fresh one replayed over the stored history each time. */
function drive(flow: Flow, batches: HistoryEvent[][], cached: boolean): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  let instance = record();
  let live: OrchestrationExecutor | undefined;
  batches.forEach((batch, n) => {
    let executor = cached ? live : undefined;
    if (!executor) {
      executor = new OrchestrationExecutor('i1', flow as OrchestratorFunction, { maxPayloadBytes: 1 << 20 });
      executor.apply(history, true);
    }
    const { instance: current, messages, deliveries } = locked(instance, batch);
    const facts: EpisodeFacts = { instance: current, messages, deliveries, now: T0 + 1000 * (n + 1), maxDeliveries: 5, maxHistoryEvents: 1000, orchestratorKnown: true, newExecutionId: () => 'new' };
    const plan = planEpisode(facts, { executor });
    if (!('append' in plan.commit.history)) throw new Error('expected an append');
    history.push(...plan.commit.history.append);
    instance = plan.commit.instance;
    live = executor;
  });
  return history;
}

const pick = (steps: Step[]) => steps.map((s) => [s.sequence, s.kind, s.name, s.status]);

describe('waits in history', () => {
  function* race(ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
    const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3_600_000));
    yield ctx.Task.any([ctx.waitForExternalEvent('Go'), timeout]);
    const slow = ctx.callActivity('Slow');
    yield ctx.Task.any([ctx.waitForExternalEvent('Late'), ctx.callActivity('Quick'), slow]);
    yield ctx.waitForExternalEvent('Next');
    return yield slow;
  }
  // Sequences: timer 0, Go 1, Slow 2, Late 3, Quick 4, Next 5.
  const batches = [[started()], [h.eventRaised('Go')], [h.taskCompleted(4, 'quick')], [h.eventRaised('Late'), h.eventRaised('Next')]];

  it('records event waits and what the code gave up and took back, the same cached and replayed', () => {
    const cached = drive(race, batches, true);
    const replayed = drive(race, batches, false);
    expect(replayed).toEqual(cached);
    const changes = cached.filter((e) => e.EventType === 'WaitsChanged').map(({ Timestamp: _, ...rest }) => rest);
    expect(changes).toEqual([
      { EventType: 'WaitsChanged', Abandoned: [0] },
      { EventType: 'WaitsChanged', Abandoned: [2, 3] },
      { EventType: 'WaitsChanged', Resumed: [2] },
    ]);
    // Each note comes before the scheduling events of its episode.
    const types = cached.map((e) => e.EventType);
    expect(types.slice(types.indexOf('EventRaised'), types.indexOf('EventRaised') + 5)).toEqual(['EventRaised', 'WaitsChanged', 'TaskScheduled', 'EventWaitStarted', 'TaskScheduled']);
    const steps = projectSteps({ ...record({ status: 'Running' }) }, cached, []);
    expect(pick(steps)).toEqual([
      [0, 'timer', expect.any(String), 'Canceled'],
      [1, 'event', 'Go', 'Succeeded'],
      // Waited for again, no completion yet; 'Late' went to the abandoned wait for it.
      [2, 'activity', 'Slow', 'Executing'],
      [3, 'event', 'Late', 'Canceled'],
      [4, 'activity', 'Quick', 'Succeeded'],
      [5, 'event', 'Next', 'Succeeded'],
    ]);
  });

  it('a timer canceled by the code reads Canceled at once', () => {
    function* canceling(ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
      const timer = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3_600_000));
      yield ctx.waitForExternalEvent('Go');
      timer.cancel();
      return yield ctx.waitForExternalEvent('Next');
    }
    const history = drive(canceling, [[started()], [h.eventRaised('Go')]], true);
    expect(pick(projectSteps(record({ status: 'Running' }), history, []))).toEqual([
      [0, 'timer', expect.any(String), 'Canceled'],
      [1, 'event', 'Go', 'Succeeded'],
      [2, 'event', 'Next', 'Executing'],
    ]);
  });

  it('waits begun in the episode of a cancel request, before it, are rejected and take no event', () => {
    function* compensating(ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
      yield ctx.callActivity('A');
      try {
        ctx.callActivity('B');
        yield ctx.waitForExternalEvent('X');
      } catch {
        yield ctx.waitForExternalEvent('X');
      }
      return yield ctx.waitForExternalEvent('Z');
    }
    const history = drive(compensating, [[started()], [h.taskCompleted(0, 'a'), cancelRequested(), h.eventRaised('X', 'x')]], true);
    const note = history.find((e) => e.EventType === 'WaitsChanged');
    expect(note).toMatchObject({ Canceled: [1, 2] });
    const steps = projectSteps(record({ status: 'Running' }), history, []);
    expect(pick(steps)).toEqual([
      [0, 'activity', 'A', 'Succeeded'],
      [1, 'activity', 'B', 'Canceled'],
      [2, 'event', 'X', 'Canceled'],
      [3, 'event', 'X', 'Succeeded'],
      [4, 'event', 'Z', 'Executing'],
    ]);
    expect(steps[3]!.output).toBe('x');
  });

  it('events raised while suspended reach their waits only on resume, after a cancel request that came meanwhile', () => {
    function* waiting(ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
      try {
        yield ctx.waitForExternalEvent('X');
      } catch {
        return yield ctx.waitForExternalEvent('X');
      }
      return 'not canceled';
    }
    const history = drive(waiting, [[started()], [h.suspended(), h.eventRaised('X', 1), cancelRequested()], [h.resumed()]], true);
    const steps = projectSteps(record({ status: 'Completed' }), history, []);
    expect(steps.map((s) => [s.sequence, s.status, s.output])).toEqual([
      [0, 'Canceled', undefined],
      [1, 'Succeeded', 1],
    ]);
  });
});
