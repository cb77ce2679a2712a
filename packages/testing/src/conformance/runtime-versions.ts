/**
 * Property (fast-check) of patches across a deploy, on the store under
 * test: an orchestrator's version B is built from version A by random edits
 * behind `ctx.patched` (add a step, remove one, swap two); an instance
 * started by a runtime of A is stopped at a random point (the runtime
 * stops with the next activity in flight) and continued by a runtime of B,
 * which may itself be stopped at a random point and continued by another.
 * It completes with the output of the A-then-B path: every patch the code
 * reaches while replaying A's history takes the old branch, every later one
 * the new branch. Bounded: at most ~25 s per store.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext, Runtime } from '@reprise/core';
import type { ConformanceContext } from './context.js';

/** Version B's code: steps, and patches choosing between A's segments (old) and B's (new). */
export type Segment = { kind: 'step'; label: string } | { kind: 'patch'; id: string; old: Segment[]; new: Segment[] };
export type Edit = { kind: 'add' | 'remove' | 'swap'; at: number };

/** Applies edits to A's steps; edit i is behind patch `p<i>` (and may wrap earlier patches). */
export function buildVersion(steps: number, edits: readonly Edit[]): Segment[] {
  const segments: Segment[] = Array.from({ length: steps }, (_, i) => ({ kind: 'step', label: `s${i}` }));
  edits.forEach((edit, i) => {
    const id = `p${i}`;
    if (edit.kind === 'add') {
      segments.splice(edit.at % (segments.length + 1), 0, { kind: 'patch', id, old: [], new: [{ kind: 'step', label: `x${i}` }] });
    } else if (edit.kind === 'remove') {
      const at = edit.at % segments.length;
      segments[at] = { kind: 'patch', id, old: [segments[at]!], new: [] };
    } else if (segments.length >= 2) {
      const at = edit.at % (segments.length - 1);
      const [a, b] = segments.slice(at, at + 2) as [Segment, Segment];
      segments.splice(at, 2, { kind: 'patch', id, old: [a, b], new: [b, a] });
    }
  });
  return segments;
}

/** A's code: B without its patches (always the old branch). */
function versionA(segments: readonly Segment[]): string[] {
  return segments.flatMap((s) => (s.kind === 'step' ? [s.label] : versionA(s.old)));
}

/** The A-then-B output when A completed `k` steps before it stopped: a patch reached after at most k completions is replayed (old). */
export function expectedOutput(segments: readonly Segment[], k: number): string[] {
  const out: string[] = [];
  const walk = (list: readonly Segment[]) => {
    for (const s of list) {
      if (s.kind === 'step') out.push(s.label);
      else walk(out.length <= k ? s.old : s.new);
    }
  };
  walk(segments);
  return out;
}

function* interpret(ctx: OrchestrationContext, segments: readonly Segment[], out: string[]): Generator<unknown, void, unknown> {
  for (const s of segments) {
    if (s.kind === 'step') out.push((yield ctx.callActivity('Step', s.label)) as string);
    else yield* interpret(ctx, ctx.patched(s.id) ? s.new : s.old, out);
  }
}

const edit: fc.Arbitrary<Edit> = fc.record({ kind: fc.constantFrom('add' as const, 'remove' as const, 'swap' as const), at: fc.nat({ max: 9 }) });
const scenario = fc.record({
  steps: fc.integer({ min: 1, max: 4 }),
  edits: fc.array(edit, { maxLength: 4 }),
  stopAfter: fc.nat({ max: 5 }),
  // A second stop, inside B: a fresh runtime of B then replays B's own patch markers.
  stopBAfter: fc.option(fc.nat({ max: 4 }), { nil: undefined }),
});

/** Step: the label; with `hangAfter`, the activity after that many never returns and `reached` fires. */
function gatedStep(hangAfter: number | undefined): { Step: (label: string) => Promise<string>; reached: Promise<void> } {
  let done = 0;
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    reached,
    Step: async (label) => {
      if (hangAfter !== undefined && done >= hangAfter) {
        reach();
        await new Promise(() => {});
      }
      done += 1;
      return label;
    },
  };
}

export function describeRuntimeVersions(ctx: ConformanceContext): void {
  describe('versions through a runtime (property)', () => {
    it('an instance started on version A and continued on B behind patches completes with the A-then-B output', async () => {
      const versioned = ctx.storage.capabilities?.versioning === true;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(scenario, async ({ steps, edits, stopAfter, stopBAfter }) => {
          runs += 1;
          const segments = buildVersion(steps, edits);
          const a = versionA(segments);
          const k = Math.min(stopAfter, a.length);
          const hub = ctx.hub();
          const runtimes: Runtime[] = [];
          // A runtime that stops with its next activity in flight once `hangAfter` ran (abandoned after stopTimeoutMs); true when the instance completed first.
          const runUntil = async (version: string, orchestrator: (c: OrchestrationContext) => Generator<unknown, string[], unknown>, hangAfter: number | undefined, start: boolean): Promise<boolean> => {
            const gate = gatedStep(hangAfter);
            const runtime = createRuntime({
              storage: ctx.storage,
              taskHub: hub,
              logger: () => {},
              version,
              stopTimeoutMs: 20,
              // With versions in the store, B also takes the older instance by 'currentOrOlder'.
              ...(versioned && version !== '1.0.0' && { versioning: { match: 'currentOrOlder', onMismatch: 'leave' } as const }),
              orchestrators: { Flow: orchestrator },
              activities: { Step: gate.Step },
            });
            runtimes.push(runtime);
            await runtime.start();
            if (start) await runtime.client.startNew('Flow', { instanceId: 'order' });
            const finished = await Promise.race([gate.reached.then(() => false), runtime.client.waitForCompletion('order', { timeoutMs: 20_000 }).then(() => true)]);
            await runtime.stop();
            return finished;
          };
          try {
            const finishedInA = await runUntil('1.0.0', function* (c) {
              const out: string[] = [];
              for (const label of a) out.push((yield c.callActivity('Step', label)) as string);
              return out;
            }, k, true);
            const b = function* (c: OrchestrationContext) {
              const out: string[] = [];
              yield* interpret(c, segments, out);
              return out;
            };
            if (!finishedInA && !(await runUntil('2.0.0', b, stopBAfter, false))) await runUntil('2.0.0', b, undefined, false);
            const status = (await runtimes[0]!.client.getStatus('order'))!;
            expect(finishedInA).toBe(k === a.length);
            expect(status.runtimeStatus).toBe('Completed');
            expect(status.output).toEqual(expectedOutput(segments, k));
            if (versioned) expect(status.version).toBe('1.0.0');
          } finally {
            await Promise.all(runtimes.map((r) => r.stop()));
          }
        }),
        { numRuns: 100, interruptAfterTimeLimit: 25_000, markInterruptAsFailure: false, endOnFailure: true },
      );
      // The time limit bounds the run, never empties it.
      expect(runs).toBeGreaterThanOrEqual(5);
    }, 60_000);

    it('the oracle: patches reached while replaying take the old branch, later ones the new', () => {
      // s0 s1 s2; x0 added first, s1 removed, then (x0's patch, s0) swapped: [p2(old: p0 s0 | new: s0 p0), p1(old: s1 | new: -), s2].
      const segments = buildVersion(3, [{ kind: 'add', at: 0 }, { kind: 'remove', at: 2 }, { kind: 'swap', at: 0 }]);
      expect(versionA(segments)).toEqual(['s0', 's1', 's2']);
      // Stopped with s0 in flight: p2 and p0 were replayed (old), p1 comes after s0's new completion (new: s1 gone).
      expect(expectedOutput(segments, 0)).toEqual(['s0', 's2']);
      expect(expectedOutput(segments, 1)).toEqual(['s0', 's1', 's2']);
      const late = buildVersion(2, [{ kind: 'add', at: 2 }]);
      expect(expectedOutput(late, 1)).toEqual(['s0', 's1', 'x0']);
      // A finished: nothing is left for B.
      expect(expectedOutput(late, 2)).toEqual(['s0', 's1']);
    });
  });
}
