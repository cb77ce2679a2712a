/**
 * Orchestrators for the kit's own tests: deterministic ones that must pass
 * every check, and the classic ways to break determinism, which must be caught.
 */
import { randomUUID } from 'node:crypto';
import { defineActivity, defineOrchestrator, entityId } from '@reprise/core';
import type { EntityContext, OrchestrationContext, Task } from '@reprise/core';

export const activities = {
  Add: async (n: number) => n + 1,
  Greet: async (name: string) => `Hello ${name}!`,
  List: async () => ['a', 'b', 'c', 'd'],
  Process: async (item: string) => item.toUpperCase(),
  Notify: async () => undefined,
  // Activities may be nondeterministic: the check must not blame the orchestrator for them.
  Roll: async () => Math.random(),
  Clock: async () => Date.now(),
  Flaky: async () => {
    if (Math.random() < 0.3) throw new Error('flaky service');
    return 'ok';
  },
};

const DAY = 86_400_000;

export const deterministic = {
  Sequence: function* (ctx: OrchestrationContext) {
    const a: number = yield ctx.callActivity('Add', 1);
    const b: string = yield ctx.callActivity('Greet', String(a));
    return [a, b];
  },
  FanOutFanIn: function* (ctx: OrchestrationContext) {
    const items: string[] = yield ctx.callActivity('List');
    const results: string[] = yield ctx.all(items.map((item) => ctx.callActivity('Process', item)));
    return results.join(',');
  },
  Approval: function* (ctx: OrchestrationContext) {
    ctx.setCustomStatus('waiting for approval');
    const deadline = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3 * DAY));
    const approval = ctx.waitForExternalEvent<{ approved: boolean; by: string }>('Approval');
    const winner: Task<unknown> = yield ctx.any([approval, deadline]);
    if (winner === approval) {
      deadline.cancel();
      if (approval.result?.approved) {
        yield ctx.callActivity('Notify', `approved by ${approval.result.by}`);
        return 'approved';
      }
      return 'rejected';
    }
    yield ctx.callActivity('Notify', 'escalated');
    return 'timed out';
  },
  Retrying: function* (ctx: OrchestrationContext) {
    try {
      return (yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3, backoffCoefficient: 2 })) as string;
    } catch {
      return 'gave up';
    }
  },
  UsesNondeterministicActivities: function* (ctx: OrchestrationContext) {
    const roll: number = yield ctx.callActivity('Roll');
    const now: number = yield ctx.callActivity('Clock');
    if (roll > 0.5) yield ctx.callActivity('Add', 1);
    else yield ctx.callActivity('Greet', 'low');
    ctx.log.info('rolled', roll);
    return { guid: ctx.newGuid(), at: ctx.currentUtcDateTime.getTime(), now: now > 0 };
  },
  Parent: function* (ctx: OrchestrationContext) {
    const a: unknown = yield ctx.callSubOrchestrator('Sequence');
    const b: unknown = yield ctx.callSubOrchestrator('Approval', undefined, `${ctx.instanceId}:approval`);
    return [a, b];
  },
  Eternal: function* (ctx: OrchestrationContext<number | undefined>) {
    const n = ctx.getInput() ?? 0;
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3_600_000));
    yield ctx.callActivity('Add', n);
    if (n < 5) ctx.continueAsNew(n + 1);
    return n;
  },
  Events: function* (ctx: OrchestrationContext) {
    const a: unknown = yield ctx.waitForExternalEvent('X');
    const b: unknown = yield ctx.waitForExternalEvent('Y');
    const c: unknown = yield ctx.waitForExternalEvent('X');
    return [a, b, c];
  },
  Entities: function* (ctx: OrchestrationContext) {
    const counter = entityId('Counter', 'orders');
    ctx.signalEntity(counter, 'add', 2);
    const before: number = yield ctx.callEntity(counter, 'get');
    const lock: { release(): void } = yield ctx.lock([counter]);
    const after: number = yield ctx.callEntity(counter, 'add', 1);
    lock.release();
    return [before, after];
  },
  Fails: function* (ctx: OrchestrationContext) {
    const a: number = yield ctx.callActivity('Add', 1);
    if (a > 1) throw new Error('deterministic failure');
    return a;
  },
  Polling: function* (ctx: OrchestrationContext) {
    for (let i = 1; ; i += 1) {
      const stop = ctx.waitForExternalEvent('Stop');
      const tick = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 5000));
      const winner: Task<unknown> = yield ctx.any([stop, tick]);
      if (winner === stop) return i;
      yield ctx.callActivity('Add', i);
    }
  },
};

export const entities = {
  Counter: {
    add: (ctx: EntityContext<number>, n: number) => {
      const next = (ctx.getState(() => 0) ?? 0) + n;
      ctx.setState(next);
      return next;
    },
    get: (ctx: EntityContext<number>) => ctx.getState(() => 0),
  },
};

// The classic mistakes ---------------------------------------------------------------

export const randomBranch = function* (ctx: OrchestrationContext) {
  if (Math.random() > 0.5) yield ctx.callActivity('Add', 1);
  else yield ctx.callActivity('Greet', 'random');
  return 'done';
};

export const dateNowBranch = function* (ctx: OrchestrationContext) {
  yield ctx.callActivity('Add', 1);
  // "Even milliseconds take the fast path."
  if (Date.now() % 2 === 0) yield ctx.callActivity('Greet', 'even');
  else yield ctx.callActivity('Notify');
  return 'done';
};

export const newDateBranch = function* (ctx: OrchestrationContext) {
  // Business hours check against the machine clock.
  const hour = new Date().getUTCHours();
  if (hour >= 9 && hour < 17) yield ctx.callActivity('Greet', 'office');
  else yield ctx.callActivity('Notify', 'after hours');
  return hour;
};

export const wallClockDeadline = function* (ctx: OrchestrationContext) {
  // Same branches every time, but the timer's due time moves on every replay.
  yield ctx.createTimer(new Date(Date.now() + 60_000));
  return 'done';
};

let executions = 0;
export const moduleCounter = function* (ctx: OrchestrationContext) {
  executions += 1; // module state: survives from one execution (and replay) to the next
  if (executions % 2 === 1) yield ctx.callActivity('Add', executions);
  else yield ctx.callActivity('Greet', 'again');
  return 'done';
};

const alreadyProcessed = new Set<string>();
export function resetCache(): void {
  alreadyProcessed.clear();
}
export const moduleCache = function* (ctx: OrchestrationContext) {
  const items: string[] = yield ctx.callActivity('List');
  for (const item of items) {
    if (alreadyProcessed.has(item)) continue; // filled by the first execution, so a replay skips everything
    alreadyProcessed.add(item);
    yield ctx.callActivity('Process', item);
  }
  return 'done';
};

export const setIterationOrder = function* (ctx: OrchestrationContext) {
  const items: string[] = yield ctx.callActivity('List');
  // A Set filled in an order that depends on something outside the history.
  const pending = new Set<string>([...items].sort(() => Math.random() - 0.5));
  const results: string[] = [];
  for (const item of pending) results.push(yield ctx.callActivity('Process', item));
  return results;
};

export const uuidKeyedMap = function* (ctx: OrchestrationContext) {
  const items: string[] = yield ctx.callActivity('List');
  // Keys from crypto.randomUUID (not ctx.newGuid): sorting them shuffles the work.
  const byKey = new Map(items.map((item) => [randomUUID(), item]));
  const results: string[] = [];
  for (const key of [...byKey.keys()].sort()) results.push(yield ctx.callActivity('Process', byKey.get(key)!));
  return results;
};

export const replayingBranch = function* (ctx: OrchestrationContext) {
  const a: number = yield ctx.callActivity('Add', 1);
  if (!ctx.isReplaying) yield ctx.callActivity('Notify', 'sent once'); // isReplaying is for logging, not for control flow
  return a;
};

export const randomEventName = function* (ctx: OrchestrationContext) {
  const data: unknown = yield ctx.waitForExternalEvent(Math.random() > 0.5 ? 'Left' : 'Right');
  return data;
};

export const randomChild = function* (ctx: OrchestrationContext) {
  const a: unknown = yield ctx.callSubOrchestrator('RandomChild');
  return a;
};

export const nondeterministic = {
  RandomBranch: randomBranch,
  DateNowBranch: dateNowBranch,
  NewDateBranch: newDateBranch,
  WallClockDeadline: wallClockDeadline,
  ModuleCounter: moduleCounter,
  ModuleCache: moduleCache,
  SetIterationOrder: setIterationOrder,
  UuidKeyedMap: uuidKeyedMap,
  ReplayingBranch: replayingBranch,
  RandomEventName: randomEventName,
  RandomParent: randomChild,
  RandomChild: randomBranch,
};

// Typed handles, for the typed path ---------------------------------------------------

export const greet = defineActivity('Greet', async (name: string) => `Hello ${name}!`);
export const greeter = defineOrchestrator('Greeter', function* (ctx: OrchestrationContext<string[]>) {
  const out: string[] = [];
  for (const name of ctx.getInput()) out.push(yield* ctx.callActivity(greet, name));
  return out;
});
