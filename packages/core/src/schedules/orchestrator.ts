/**
 * The schedule's orchestration: one system instance per schedule
 * (`~~schedule:<id>`), looping on a durable timer for the next due time
 * raced with its command event (update, pause, resume, trigger, delete).
 *
 * Invariants:
 * - A firing is an activity (FIRE_ACTIVITY) that starts the run under an id
 *   derived from the schedule id and the due time, so an activity retried
 *   after a crash, or a firing raced by another worker, never starts a
 *   second run: the store holds one instance per id.
 * - Never early: a due time fires only once the episode's time (the runtime
 *   clock) has reached it; the timer becomes visible at it by the store clock.
 * - Commands take priority over due times; a timer that fires late (no
 *   worker ran) first lets commands queued meanwhile apply (a zero timer is
 *   a barrier: every message enqueued before it is applied first), so a
 *   pause or delete sent before a due time wins even when applied after it.
 * - History stays bounded: continueAsNew after UNITS_PER_EXECUTION units of
 *   work (firings and commands), between activities and never with a
 *   command taken but unapplied (events not yet taken travel to the new
 *   execution; its timers are made again there).
 * - The state is published in custom status after every change, so a
 *   description is one read.
 */
import type { OrchestrationContext } from '../engine/context.js';
import type { Task, TimerTask } from '../engine/task.js';
import { COMMAND_EVENT, FIRE_ACTIVITY, runInstanceId } from './ids.js';
import { applyCommand, isFinished, recordRun, skip, takeDue, nextDue } from './state.js';
import type { ScheduleCommand, ScheduleState } from './state.js';

/** Units of work (firings, commands) per execution before continueAsNew: ~5 history events each. */
const UNITS_PER_EXECUTION = 8;
/** A timer that fires later than this after its time lets queued commands apply first. */
const LATE_MS = 1000;
/**
 * bufferOne: how soon the waiting run checks again whether the previous run
 * ended, doubling up to the cap. Durable timers, not a waiting activity: the
 * runtime stays idle in between, so the test kit's virtual clock can skip.
 */
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 60_000;

export interface FireInput {
  scheduleId: string;
  runId: string;
  orchestrator: string;
  input: unknown;
  namespace: string;
  tags: Record<string, string>;
  /** Checked for overlap: when it has not ended, the run is not started. */
  previousRunId?: string;
}

export type FireResult = { outcome: 'started'; startedAt: number } | { outcome: 'busy' } | { outcome: 'failed'; message: string };

const FIRE_RETRY = { firstRetryIntervalInMilliseconds: 1000, backoffCoefficient: 2, maxNumberOfAttempts: 5 };

export function* scheduleOrchestrator(ctx: OrchestrationContext<ScheduleState>): Generator<unknown, void, unknown> {
  let state = ctx.getInput();
  let command = ctx.waitForExternalEvent<ScheduleCommand>(COMMAND_EVENT);
  let timer: TimerTask | undefined;
  let poll: TimerTask | undefined;
  let pollMs = POLL_FIRST_MS;
  /** bufferOne: look whether the waiting run can start now (a poll fired, or the schedule resumed). */
  let checkBuffered = false;
  let units = 0;
  const now = () => ctx.currentUtcDateTime.getTime();
  const publish = () => ctx.setCustomStatus(state);
  publish();

  /** Start one run (or find it started); records the outcome. */
  function* fire(runId: string, scheduledAt: number, checkOverlap: boolean): Generator<unknown, void, unknown> {
    const previousRunId = checkOverlap && state.overlap !== 'allow' ? state.lastRuns[0]?.instanceId : undefined;
    const request: FireInput = { scheduleId: state.scheduleId, runId, orchestrator: state.orchestrator, input: state.input, namespace: state.namespace, tags: state.tags, ...(previousRunId !== undefined && { previousRunId }) };
    let result: FireResult;
    try {
      result = (yield ctx.callActivityWithRetry(FIRE_ACTIVITY, FIRE_RETRY, request)) as FireResult;
    } catch (error) {
      result = { outcome: 'failed', message: (error as Error).message };
    }
    const isTrigger = !checkOverlap;
    const advanced = isTrigger ? state : { ...state, cursor: Math.max(state.cursor ?? -Infinity, scheduledAt) };
    if (result.outcome === 'started') {
      state = recordRun(advanced, { instanceId: runId, scheduledAt, startedAt: result.startedAt, status: 'Pending' });
      if (state.buffered !== undefined && state.buffered !== scheduledAt) state = skip(state, state.buffered, 'overlap');
      if (state.buffered !== undefined) delete state.buffered;
    } else if (result.outcome === 'busy' && state.overlap === 'bufferOne' && (state.buffered === undefined || state.buffered === scheduledAt)) {
      if (state.buffered === undefined) pollMs = POLL_FIRST_MS;
      state = { ...advanced, buffered: scheduledAt };
    } else {
      state = skip(advanced, scheduledAt, result.outcome === 'failed' ? 'error' : 'overlap', result.outcome === 'failed' ? result.message : undefined);
      // A waiting run that cannot start (overlap changed, or it failed) waits no more.
      if (state.buffered === scheduledAt) delete state.buffered;
    }
    if (isTrigger) state = { ...state, triggers: state.triggers.slice(1) };
    units += 1;
    publish();
  }

  for (;;) {
    if (command.isCompleted) {
      const applied = command.result as ScheduleCommand;
      state = applyCommand(state, applied, now());
      if (applied.type === 'resume') checkBuffered = true;
      command = ctx.waitForExternalEvent<ScheduleCommand>(COMMAND_EVENT);
      units += 1;
      publish();
      if (state.deleted) return;
      continue;
    }
    if (units >= UNITS_PER_EXECUTION) {
      ctx.continueAsNew(state);
      return;
    }
    const trigger = state.triggers[0];
    if (trigger) {
      yield* fire(trigger[0], trigger[1], false);
      continue;
    }
    if (!state.paused) {
      const taken = takeDue(state, now());
      if (taken.state !== state) {
        state = taken.state;
        publish();
      }
      // The waiting run is older than any due time: it goes first (a due time that finds it still waiting is skipped).
      if (state.buffered !== undefined && (checkBuffered || taken.due !== undefined)) {
        checkBuffered = false;
        yield* fire(runInstanceId(state.scheduleId, state.buffered), state.buffered, true);
        if (state.buffered === undefined) continue;
      }
      if (taken.due !== undefined) {
        yield* fire(runInstanceId(state.scheduleId, taken.due), taken.due, true);
        continue;
      }
      if (state.buffered !== undefined && !poll) poll = ctx.createTimer(new Date(now() + pollMs));
    }
    if (isFinished(state)) {
      // Barrier: commands sent before this point apply before the schedule ends.
      const barrier = ctx.createTimer(ctx.currentUtcDateTime);
      const first = yield ctx.Task.any([command, barrier]);
      if (first === command) continue;
      state = { ...state, ended: true };
      publish();
      return;
    }
    const due = state.paused ? undefined : nextDue(state);
    if (timer && (timer.isCompleted || timer.fireAt.getTime() !== due)) {
      timer.cancel();
      timer = undefined;
    }
    if (due !== undefined && !timer) timer = ctx.createTimer(new Date(due));
    const winner = yield ctx.Task.any<Task<unknown>>([command, ...(timer ? [timer] : []), ...(poll ? [poll] : [])]);
    if (winner === timer) {
      timer = undefined;
      if (now() - (due ?? now()) > LATE_MS) {
        const barrier = ctx.createTimer(ctx.currentUtcDateTime);
        yield ctx.Task.any([command, barrier]);
        if (!barrier.isCompleted) barrier.cancel();
      }
    } else if (poll !== undefined && winner === poll) {
      poll = undefined;
      checkBuffered = true;
      pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
    }
  }
}

