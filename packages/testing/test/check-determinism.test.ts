import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidArgumentError, RepriseError, UnknownOrchestratorError, isRepriseError } from '@reprise/core';
import { NondeterminismDetectedError, checkDeterminism } from '../src/index.js';
import { activities, deterministic, entities, greet, greeter, nondeterministic, resetCache } from './fixtures.js';

const registry = { orchestrators: { ...deterministic, ...nondeterministic }, activities, entities };
const events = { Approval: fc.record({ approved: fc.boolean(), by: fc.constantFrom('ann', 'bo') }) };

async function detect(orchestrator: string, options: { seed?: number; numRuns?: number } = {}): Promise<NondeterminismDetectedError> {
  const error = await checkDeterminism(registry, { orchestrator, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${orchestrator} was not caught (seed ${options.seed})`).toBeInstanceOf(NondeterminismDetectedError);
  return error as NondeterminismDetectedError;
}

describe('checkDeterminism: deterministic orchestrators pass', () => {
  for (const name of Object.keys(deterministic)) {
    it(name, async () => {
      const result = await checkDeterminism(registry, { orchestrator: name, events });
      expect(result.numRuns).toBe(100);
      expect(Object.values(result.outcomes).reduce((a, b) => a + b, 0)).toBe(100);
      expect(result.episodes).toBeGreaterThan(100);
    });
  }

  it('passes for many seeds (no false alarms from scheduling, crashes, failures or nondeterministic activities)', async () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      for (const name of ['Approval', 'UsesNondeterministicActivities', 'Parent', 'Entities', 'Retrying']) {
        await checkDeterminism(registry, { orchestrator: name, seed, numRuns: 60, events });
      }
    }
  });

  it('explores the branches: results, failures, events and timers all vary', async () => {
    const result = await checkDeterminism(registry, { orchestrator: 'Approval', events, seed: 7 });
    // Approved, rejected, timed out, and failed by an injected activity failure.
    expect(Object.keys(result.outcomes).sort()).toEqual(['completed', 'failed']);
    const outcomes = new Set<string>();
    await checkDeterminism(
      {
        ...registry,
        orchestrators: {
          Spy: function* (ctx: Parameters<typeof deterministic.Approval>[0]) {
            const r: string = yield* (deterministic.Approval(ctx) as Generator<unknown, string, unknown>);
            outcomes.add(r);
            return r;
          },
        },
      },
      { orchestrator: 'Spy', events, seed: 7 },
    );
    expect([...outcomes].sort()).toEqual(['approved', 'rejected', 'timed out']);
  });

  it('takes generated activity results and a generated input', async () => {
    const seen = new Set<unknown>();
    await checkDeterminism(
      {
        orchestrators: {
          Sum: function* (ctx) {
            const base = ctx.getInput() as number;
            const n: number = yield ctx.callActivity('Add', base);
            seen.add(n);
            return n;
          },
        },
        activities,
      },
      { orchestrator: 'Sum', input: fc.integer({ min: 0, max: 1000 }), activityResults: { Add: fc.integer({ min: -5, max: 5 }) }, activityFailures: false },
    );
    // Add would return base+1 >= 1: generated results replace it.
    expect([...seen].some((n) => (n as number) <= 0)).toBe(true);
  });

  it('accepts typed handles', async () => {
    await checkDeterminism({ orchestrators: [greeter], activities: [greet] }, { orchestrator: 'Greeter', input: ['Tokyo', 'Lima'] });
  });

  it('does not need runner globals (plain promises in, plain result out)', async () => {
    const result = await checkDeterminism(registry, { orchestrator: 'Sequence', numRuns: 5, seed: 3 });
    expect(result).toMatchObject({ orchestrator: 'Sequence', numRuns: 5, seed: 3 });
  });
});

describe('checkDeterminism: nondeterminism is caught', () => {
  beforeEach(() => resetCache());

  const cases: Array<[string, string]> = [
    ['RandomBranch', 'branching on Math.random()'],
    ['DateNowBranch', 'branching on Date.now()'],
    ['NewDateBranch', 'branching on new Date()'],
    ['WallClockDeadline', 'a timer due at Date.now() + x'],
    ['ModuleCounter', 'a mutable module-level counter'],
    ['ModuleCache', 'a module-level cache'],
    ['SetIterationOrder', 'iteration order of a Set filled in random order'],
    ['UuidKeyedMap', 'iteration order of keys from crypto.randomUUID'],
    ['ReplayingBranch', 'control flow on ctx.isReplaying'],
    ['RandomEventName', 'waiting for a randomly chosen event'],
    ['RandomParent', 'a nondeterministic sub-orchestrator'],
  ];
  for (const [name, what] of cases) {
    it(`${what} (${name}), for every seed tried, within the default numRuns`, async () => {
      for (const seed of [1, 2, 3, 4, 5, 99, 12345, 987654321]) {
        resetCache();
        const error = await detect(name, { seed });
        expect(error.message).toContain('nondeterminism');
        expect(error.numRuns).toBeLessThanOrEqual(10);
      }
      // And with a random seed, as a user would run it.
      resetCache();
      await detect(name);
    });
  }

  it('reports the shrunk counterexample: scenario, history, first differing action', async () => {
    const error = await detect('RandomBranch', { seed: 11 });
    expect(error.name).toBe('NondeterminismDetectedError');
    // A RepriseError with its own code: core's NONDETERMINISM means a replay failed, this means a check found a divergence.
    expect(error).toBeInstanceOf(RepriseError);
    expect(isRepriseError(error, 'NONDETERMINISM_DETECTED')).toBe(true);
    expect(error.orchestrator).toBe('RandomBranch');
    expect(error.seed).toBe(11);
    expect(error.path).toMatch(/^\d+(:\d+)*$/);
    // Shrunk: no generated steps, failures or crashes left; a two-episode schedule.
    expect(error.scenario.steps).toEqual([]);
    expect(error.scenario.activities).toEqual([]);
    expect(error.schedule.length).toBeLessThanOrEqual(4);
    expect(error.history.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);
    expect([error.expected, error.actual].sort().join(' / ')).toMatch(/^callActivity\('Add'\) #0.* \/ callActivity\('Greet'\) #0/);
    expect(error.message).toContain('expected: ');
    expect(error.message).toContain('actual:   ');
    expect(error.message).toContain('Scenario (shrunk counterexample)');
    expect(error.message).toContain('History (as the ');
    expect(error.message).toContain('ExecutionStarted');
    expect(error.message).toContain(`seed: 11, path: '${error.path}'`);
  });

  it('shrinks every classic mistake to a small counterexample', async () => {
    for (const [name] of cases) {
      resetCache();
      const error = await detect(name, { seed: 5 });
      // Module state outlives a run, so those counterexamples cannot always shrink all the way.
      if (!name.startsWith('Module')) expect(error.scenario.steps.length, name).toBeLessThanOrEqual(2);
      expect(error.schedule.length, `${name}:\n${error.schedule.join('\n')}`).toBeLessThanOrEqual(8);
      expect(error.history.length, name).toBeLessThanOrEqual(16);
    }
  });

  it('names a timer whose due time moved', async () => {
    const error = await detect('WallClockDeadline', { seed: 8 });
    expect(error.expected).toMatch(/^createTimer #0 firing at /);
    expect(error.actual).toMatch(/^createTimer #0 firing at /);
    expect(error.expected).not.toBe(error.actual);
  });

  it('reruns the same counterexample from its seed and path', async () => {
    const first = await detect('SetIterationOrder', { seed: 21 });
    const again = await checkDeterminism(registry, { orchestrator: 'SetIterationOrder', seed: first.seed, path: first.path }).catch((e: NondeterminismDetectedError) => e);
    expect(again).toBeInstanceOf(NondeterminismDetectedError);
    expect((again as NondeterminismDetectedError).expected).toBe(first.expected);
    expect((again as NondeterminismDetectedError).actual).toBe(first.actual);
  });

  it('puts back Math.random and Date after every execution', async () => {
    const { random } = Math;
    const DateBefore = Date;
    await detect('RandomBranch', { seed: 4 });
    await detect('NewDateBranch', { seed: 4 });
    expect(Math.random).toBe(random);
    expect(Date).toBe(DateBefore);
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
  });
});

describe('checkDeterminism: arguments', () => {
  it('rejects an unknown orchestrator', async () => {
    await expect(checkDeterminism(registry, { orchestrator: 'Nope' })).rejects.toBeInstanceOf(UnknownOrchestratorError);
  });

  it('rejects bad options', async () => {
    await expect(checkDeterminism(registry, { orchestrator: 'Sequence', numRuns: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(checkDeterminism(registry, { orchestrator: 'Sequence', path: '0:1' })).rejects.toThrow(/seed/);
    await expect(checkDeterminism(registry, { orchestrator: 'Sequence', events: { X: 1 as never } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(checkDeterminism(registry, { orchestrator: 'Sequence', input: () => 1 })).rejects.toThrow(/not serializable/);
    await expect(checkDeterminism({} as never, { orchestrator: 'Sequence' })).rejects.toThrow(/orchestrators/);
  });
});
