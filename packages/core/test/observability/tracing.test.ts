import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@reprise/memory';
import { createRuntime } from '@reprise/core';
import { entityId } from '@reprise/core';
import type { EntityContext, OrchestratorFunction } from '@reprise/core';
import { cacheModes, eventually, startRuntime } from '../helpers.js';
import { named, parentId, tracingSdk } from './otel-setup.js';

const chain: OrchestratorFunction = function* (ctx) {
  const a = yield ctx.callActivity('Hello', 'Tokyo');
  const b = yield ctx.callActivity('Hello', 'London');
  return [a, b];
};

describe.each(cacheModes)('tracing ($label)', ({ cacheSize }) => {
  it('a chain is one trace: caller → start → orchestration → episodes and activities, user spans nested in activities', async () => {
    const sdk = tracingSdk();
    const runtime = await startRuntime({
      cacheSize,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: { Chain: chain },
      activities: {
        // The user's own instrumentation: its span must nest under the activity's.
        Hello: async (name: string) => sdk.tracer.startActiveSpan('user work', (span) => {
          span.end();
          return `Hello ${name}`;
        }),
      },
    });
    const id = await sdk.tracer.startActiveSpan('request', async (span) => {
      try {
        return await runtime.client.startNew('Chain');
      } finally {
        span.end();
      }
    });
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => named(sdk.spans(), 'orchestration Chain').length === 1);
    expect(sdk.tree()).toBe(
      [
        'request',
        '  start Chain',
        '    orchestration Chain',
        '      episode',
        '      activity Hello',
        '        user work',
        '      episode',
        '      activity Hello',
        '        user work',
        '      episode',
      ].join('\n'),
    );
    const spans = sdk.spans();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const orchestration = named(spans, 'orchestration Chain')[0]!;
    expect(orchestration.attributes['reprise.instance_id']).toBe(id);
    expect(orchestration.attributes['reprise.status']).toBe('Completed');
    const episodes = named(spans, 'episode');
    expect(episodes.map((e) => e.attributes['reprise.episode.cache_hit'])).toEqual(cacheSize === 0 ? [false, false, false] : [false, true, true]);
    expect(episodes.map((e) => e.attributes['reprise.episode.replayed_events'])).toEqual(cacheSize === 0 ? [0, 2, 4] : [0, 0, 0]);
  });

  it('a fan-out traces each activity once under the orchestration', async () => {
    const sdk = tracingSdk();
    const runtime = await startRuntime({
      cacheSize,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: {
        FanOut: function* (ctx) {
          const results = yield ctx.all([1, 2, 3].map((n) => ctx.callActivity('Double', n)));
          return results;
        },
      },
      activities: { Double: async (n: number) => n * 2 },
    });
    const id = await runtime.client.startNew('FanOut');
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => named(sdk.spans(), 'orchestration FanOut').length === 1);
    const spans = sdk.spans();
    const orchestration = named(spans, 'orchestration FanOut')[0]!;
    const activities = named(spans, 'activity Double');
    expect(activities).toHaveLength(3);
    for (const activity of activities) expect(parentId(activity)).toBe(orchestration.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().spanId)).size).toBe(spans.length);
    expect(parentId(orchestration)).toBe(named(spans, 'start FanOut')[0]!.spanContext().spanId);
  });

  it('a retry traces every attempt, the failed one with its exception and status ERROR, and the backoff timer', async () => {
    const sdk = tracingSdk();
    let calls = 0;
    const runtime = await startRuntime({
      cacheSize,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: {
        Retry: function* (ctx) {
          return yield ctx.callActivityWithRetry('Flaky', { firstRetryIntervalInMilliseconds: 20, maxNumberOfAttempts: 3 });
        },
      },
      activities: {
        Flaky: async () => {
          calls += 1;
          if (calls === 1) throw new Error('first attempt fails');
          return 'ok';
        },
      },
    });
    const id = await runtime.client.startNew('Retry');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('ok');
    await eventually(() => named(sdk.spans(), 'orchestration Retry').length === 1);
    const spans = sdk.spans();
    const orchestration = named(spans, 'orchestration Retry')[0]!;
    const attempts = named(spans, 'activity Flaky');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.status.code).toBe(2);
    expect(attempts[0]!.events.map((e) => e.name)).toContain('exception');
    expect(attempts[1]!.status.code).not.toBe(2);
    const timers = named(spans, 'timer');
    expect(timers).toHaveLength(1);
    for (const span of [...attempts, ...timers]) expect(parentId(span)).toBe(orchestration.spanContext().spanId);
  });

  it('a sub-orchestration is a child of its parent orchestration, in the same trace', async () => {
    const sdk = tracingSdk();
    const runtime = await startRuntime({
      cacheSize,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: {
        Parent: function* (ctx) {
          return yield ctx.callSubOrchestrator('Child', 2);
        },
        Child: function* (ctx) {
          return yield ctx.callActivity('Double', ctx.getInput() as number);
        },
      },
      activities: { Double: async (n: number) => n * 2 },
    });
    const id = await runtime.client.startNew('Parent');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(4);
    await eventually(() => named(sdk.spans(), 'orchestration Parent').length === 1);
    const spans = sdk.spans();
    const parent = named(spans, 'orchestration Parent')[0]!;
    const child = named(spans, 'orchestration Child')[0]!;
    expect(parentId(child)).toBe(parent.spanContext().spanId);
    expect(parentId(named(spans, 'activity Double')[0]!)).toBe(child.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('an event raised by a traced caller is a span of the instance linked to the caller', async () => {
    const sdk = tracingSdk();
    const runtime = await startRuntime({
      cacheSize,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: {
        Waits: function* (ctx) {
          return yield ctx.waitForExternalEvent('Approve');
        },
      },
    });
    const id = await runtime.client.startNew('Waits');
    await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
    await sdk.tracer.startActiveSpan('approver', async (span) => {
      await runtime.client.raiseEvent(id, 'Approve', 'yes');
      span.end();
    });
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => named(sdk.spans(), 'orchestration Waits').length === 1);
    const spans = sdk.spans();
    const event = named(spans, 'event Approve')[0]!;
    const raise = named(spans, 'raiseEvent Approve')[0]!;
    expect(parentId(raise)).toBe(named(spans, 'approver')[0]!.spanContext().spanId);
    expect(parentId(event)).toBe(named(spans, 'orchestration Waits')[0]!.spanContext().spanId);
    expect(event.links.map((l) => l.context.spanId)).toEqual([raise.spanContext().spanId]);
    // The carried context is Reprise's: the history users read does not show it.
    const status = await runtime.client.getStatus(id, { showHistory: true });
    expect(JSON.stringify(status)).not.toContain('TraceParent');
    expect(status?.tags).toBeUndefined();
  });
});

describe('tracing across a restart', () => {
  it('a new runtime resuming an instance (cold cache, replay) emits no duplicate spans and keeps one trace', async () => {
    const sdk = tracingSdk();
    const storage = memoryStorage();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const options = {
      storage,
      logger: () => {},
      cacheSize: 0,
      telemetry: { tracerProvider: sdk.provider },
      orchestrators: {
        Steps: function* (ctx) {
          yield ctx.callActivity('First');
          yield ctx.callActivity('Second');
          return 'done';
        },
      } satisfies Record<string, OrchestratorFunction>,
    };
    const first = createRuntime({ ...options, activities: { First: async () => 1, Second: () => gate.then(() => 2) } });
    await first.start();
    const id = await first.client.startNew('Steps');
    await eventually(() => named(sdk.spans(), 'activity First').length === 1 && named(sdk.spans(), 'episode').length >= 2);
    const stopped = first.stop();
    release();
    await stopped;
    const second = createRuntime({ ...options, activities: { First: async () => 1, Second: async () => 2 } });
    await second.start();
    await second.client.waitForCompletion(id, { timeoutMs: 10_000 });
    await eventually(() => named(sdk.spans(), 'orchestration Steps').length === 1);
    await second.stop();
    const spans = sdk.spans();
    expect(named(spans, 'activity First')).toHaveLength(1);
    expect(named(spans, 'orchestration Steps')).toHaveLength(1);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const orchestration = named(spans, 'orchestration Steps')[0]!.spanContext().spanId;
    for (const span of spans.filter((s) => s.name === 'episode' || s.name.startsWith('activity'))) expect(parentId(span)).toBe(orchestration);
  });
});

describe('entity operation spans', () => {
  it('a signal from a traced caller and a call from an orchestration are spans under their senders', async () => {
    const sdk = tracingSdk();
    const runtime = await startRuntime({
      telemetry: { tracerProvider: sdk.provider },
      entities: { Counter: { add: (ctx: EntityContext<number>, n: number) => ctx.setState((ctx.getState(() => 0) ?? 0) + n), get: (ctx: EntityContext<number>) => ctx.getState(() => 0) } },
      orchestrators: {
        Reads: function* (ctx) {
          return yield ctx.callEntity(entityId('Counter', 'c'), 'get');
        },
      },
    });
    await sdk.tracer.startActiveSpan('caller', async (span) => {
      await runtime.client.signalEntity(entityId('Counter', 'c'), 'add', 2);
      span.end();
    });
    await eventually(() => named(sdk.spans(), 'entity counter add').length === 1);
    const id = await runtime.client.startNew('Reads');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(2);
    await eventually(() => named(sdk.spans(), 'entity counter get').length === 1);
    const spans = sdk.spans();
    const signal = named(spans, 'signal counter add')[0]!;
    expect(parentId(signal)).toBe(named(spans, 'caller')[0]!.spanContext().spanId);
    expect(parentId(named(spans, 'entity counter add')[0]!)).toBe(signal.spanContext().spanId);
    const get = named(spans, 'entity counter get')[0]!;
    expect(named(spans, 'episode').map((e) => e.spanContext().spanId)).toContain(parentId(get));
  });
});

describe('tracing off', () => {
  it('stores no trace context when no provider is given or registered', async () => {
    const storage = memoryStorage();
    const runtime = await startRuntime({ storage, orchestrators: { Chain: chain }, activities: { Hello: async (n: string) => n } });
    const id = await runtime.client.startNew('Chain');
    await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect((await storage.getInstance('default', id))?.tags).toBeUndefined();
  });
});
