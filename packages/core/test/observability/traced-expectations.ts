// What the SQLite and Redis packages' cross-process tracing test expects of the spans (the workload: traced-workflow.ts).
import { expect } from 'vitest';
import type { ShippedSpan } from './traced-workflow.js';

/**
 * The trace of a run started inside the caller's span `request`
 * (`callerTraceId`), run by a worker process until it was killed in `Hang`,
 * then resumed with a cold cache by this process: one trace, every parent in
 * it, nothing exported twice.
 */
export function expectOneResumedTrace(spans: ShippedSpan[], callerTraceId: string): void {
  const byName = (name: string) => spans.filter((s) => s.name === name);
  // Both processes contributed.
  expect(new Set(spans.map((s) => s.pid)).size).toBe(2);
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([callerTraceId]));
  expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
  // Every parent is a span of the trace, the caller's span the only root.
  const ids = new Set(spans.map((s) => s.spanId));
  expect(spans.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual(['request']);

  const traced = byName('orchestration Traced');
  expect(traced).toHaveLength(1);
  expect(traced[0]!.pid).toBe(process.pid);
  const orchestration = traced[0]!.spanId;
  expect(byName('start Traced')[0]!.parentSpanId).toBe(byName('request')[0]!.spanId);
  expect(traced[0]!.parentSpanId).toBe(byName('start Traced')[0]!.spanId);
  const child = byName('orchestration Child');
  expect(child).toHaveLength(1);
  expect(child[0]!.parentSpanId).toBe(orchestration);
  // No duplicates: each step once (the Child's under the Child), the retried one twice, the killed attempt never exported.
  const steps = byName('activity Step');
  expect(steps).toHaveLength(4);
  expect(steps.filter((s) => s.parentSpanId === child[0]!.spanId)).toHaveLength(1);
  expect(byName('activity Flaky').map((s) => s.status === 2)).toEqual([true, false]);
  const hang = byName('activity Hang');
  expect(hang).toHaveLength(1);
  expect(hang[0]!.pid).toBe(process.pid);
  expect(hang[0]!.attributes['reprise.activity.attempt']).toBe(2);
  // Under the Child: its episodes and its one step; everything else of the run sits right under the orchestration.
  expect(spans.filter((s) => s.parentSpanId === child[0]!.spanId).map((s) => s.name).sort()).toEqual(['activity Step', 'episode', 'episode']);
  expect(new Set(spans.filter((s) => s.parentSpanId === orchestration).map((s) => s.name))).toEqual(new Set(['episode', 'activity Step', 'activity Flaky', 'activity Hang', 'timer', 'orchestration Child']));
  // The resuming process replayed (cold cache): its episodes say so.
  const resumed = byName('episode').filter((s) => s.pid === process.pid && s.parentSpanId === orchestration);
  expect(resumed.length).toBeGreaterThan(0);
  expect(resumed.every((s) => s.attributes['reprise.episode.cache_hit'] === false && Number(s.attributes['reprise.episode.replayed_events']) > 0)).toBe(true);
}
