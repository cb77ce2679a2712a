import { describe, expect, it } from 'vitest';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { METRIC_NAMES } from '@reprise/core';
import type { Clock } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, startRuntime } from '../helpers.js';

/** A pull reader: the test collects when it wants to read. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(reader: TestReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
}

/** Sum points (or histogram counts) keyed by their attributes. */
function values(metric: MetricData | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of (metric?.dataPoints ?? []) as DataPoint<number | Histogram>[]) {
    const key = Object.entries(point.attributes).map(([k, v]) => `${k}=${String(v)}`).sort().join(',');
    out[key] = typeof point.value === 'number' ? point.value : point.value.count;
  }
  return out;
}

describe('metrics', () => {
  it('records each instrument for a known workload', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    let flaky = 0;
    const runtime = await startRuntime({
      telemetry: { meterProvider },
      orchestrators: {
        Chain: function* (ctx) {
          yield ctx.callActivity('Step');
          return yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 });
        },
        Fails: function* () {
          throw new Error('boom');
        },
        Waits: function* (ctx) {
          yield ctx.waitForExternalEvent('never');
        },
      },
      activities: {
        Step: async () => 1,
        Flaky: async () => {
          flaky += 1;
          if (flaky === 1) throw new Error('once');
          return 2;
        },
      },
    });
    const { client } = runtime;
    await client.waitForCompletion(await client.startNew('Chain'), { timeoutMs: 10_000 });
    await client.waitForCompletion(await client.startNew('Fails'), { timeoutMs: 10_000 });
    const waits = await client.startNew('Waits', { concurrency: { group: 'g', limit: 1, onFull: 'reject' } });
    await expect(client.startNew('Waits', { concurrency: { group: 'g', limit: 1, onFull: 'reject' } })).rejects.toMatchObject({ name: 'ConcurrencyLimitError' });
    await client.startNew('Waits', { instanceId: 'q1', concurrency: { group: 'q', limit: 1 } });
    await client.startNew('Waits', { instanceId: 'q2', concurrency: { group: 'q', limit: 1 } });
    await eventually(async () => (await client.getStatus(waits))?.runtimeStatus === 'Running');
    await client.terminate(waits);
    await client.waitForCompletion(waits, { timeoutMs: 10_000 });

    await eventually(async () => values((await collect(reader)).get(METRIC_NAMES.instancesTerminated))['reprise.orchestrator=Waits'] === 1);
    const metrics = await collect(reader);
    expect(values(metrics.get(METRIC_NAMES.instancesStarted))).toMatchObject({ 'reprise.orchestrator=Chain': 1, 'reprise.orchestrator=Fails': 1 });
    expect(values(metrics.get(METRIC_NAMES.instancesCompleted))).toEqual({ 'reprise.orchestrator=Chain': 1 });
    expect(values(metrics.get(METRIC_NAMES.instancesFailed))).toEqual({ 'reprise.orchestrator=Fails': 1 });
    expect(values(metrics.get(METRIC_NAMES.activityAttempts))).toEqual({
      'reprise.activity=Step,reprise.outcome=completed': 1,
      'reprise.activity=Flaky,reprise.outcome=failed': 1,
      'reprise.activity=Flaky,reprise.outcome=completed': 1,
    });
    // Every attempt is timed, the failed one included.
    expect(values(metrics.get(METRIC_NAMES.activityDuration))).toEqual(values(metrics.get(METRIC_NAMES.activityAttempts)));
    expect(metrics.get(METRIC_NAMES.activityDuration)?.descriptor.unit).toBe('s');
    // Chain: start, Step done, Flaky failed, backoff timer, Flaky done = 5 episodes.
    expect(values(metrics.get(METRIC_NAMES.episodeDuration))['reprise.orchestrator=Chain']).toBe(5);
    expect(values(metrics.get(METRIC_NAMES.replayLength))['reprise.orchestrator=Chain']).toBe(5);
    expect(values(metrics.get(METRIC_NAMES.queueLag))['reprise.queue=orchestration']).toBeGreaterThanOrEqual(5);
    expect(values(metrics.get(METRIC_NAMES.groupRejections))).toEqual({ 'reprise.group=g,reprise.reason=limit': 1 });
    expect(values(metrics.get(METRIC_NAMES.groupQueueDepth))).toEqual({ 'reprise.group=q': 1 });
    await meterProvider.shutdown();
  });

  it('counts schedule fires, and skips while the previous run still runs', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const runtime = await startRuntime({
      telemetry: { meterProvider },
      orchestrators: {
        Waits: function* (ctx) {
          yield ctx.waitForExternalEvent('never');
        },
      },
    });
    // Every second, skipping while the previous run (which never ends) still runs: one fire, then skips.
    await runtime.client.schedules.create({ scheduleId: 'busy', orchestrator: 'Waits', every: 1000, overlap: 'skip' });
    await eventually(async () => (values((await collect(reader)).get(METRIC_NAMES.scheduleSkips))['reprise.orchestrator=Waits,reprise.reason=overlap'] ?? 0) >= 1, { timeoutMs: 20_000 });
    expect(values((await collect(reader)).get(METRIC_NAMES.scheduleFires))).toEqual({ 'reprise.orchestrator=Waits': 1 });
    await meterProvider.shutdown();
  });

  it('counts a lease this runtime lost to another worker', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    let offset = 0;
    // The store's clock, moved forward to expire an activity lease the runtime still holds.
    const storeClock: Clock = { now: () => Date.now() + offset, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const storage = memoryStorage({ clock: storeClock });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runtime = await startRuntime({
      storage,
      leaseMs: 200,
      onError: () => {},
      telemetry: { meterProvider },
      orchestrators: {
        Slow: function* (ctx) {
          return yield ctx.callActivity('Held');
        },
      },
      activities: { Held: () => gate.then(() => 'late') },
    });
    const id = await runtime.client.startNew('Slow');
    await eventually(async () => (await storage.getActivityStates('default', id)).some((s) => s.running));
    offset = 60_000;
    expect((await storage.lockActivities('default', { max: 1, leaseMs: 60_000, redelivered: true })).items).toHaveLength(1);
    await eventually(async () => (values((await collect(reader)).get(METRIC_NAMES.leaseLosses))['reprise.kind=activity'] ?? 0) >= 1);
    release();
    expect(values((await collect(reader)).get(METRIC_NAMES.leaseLosses))).toEqual({ 'reprise.kind=activity': 1 });
    await meterProvider.shutdown();
  });
});
