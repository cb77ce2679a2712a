/**
 * ctx.patched / ctx.deprecatePatch: changed code gated by markers in
 * history, so runs recorded by older code keep their path on replay.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, deserialize } from '@reprise/core';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { OrchestrationExecutor } from '@reprise/core/internal';
import { h } from './history-builders.js';
import { cacheModes, startRuntime } from './helpers.js';

const executor = (fn: (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>) =>
  new OrchestrationExecutor('i1', fn as OrchestratorFunction, { maxPayloadBytes: 1 << 20 });

// v1: A then B. v2 adds 'Fraud' after A, behind a patch.
function* v1(ctx: OrchestrationContext) {
  yield ctx.callActivity('A');
  yield ctx.callActivity('B');
  return 'v1';
}
function* v2(ctx: OrchestrationContext) {
  yield ctx.callActivity('A');
  if (ctx.patched('fraud')) {
    yield ctx.callActivity('Fraud');
    yield ctx.callActivity('B');
    return 'v2';
  }
  yield ctx.callActivity('B');
  return 'v1';
}
// v3: the patch is the only path left.
function* v3(ctx: OrchestrationContext) {
  yield ctx.callActivity('A');
  ctx.deprecatePatch('fraud');
  yield ctx.callActivity('Fraud');
  yield ctx.callActivity('B');
  return 'v2';
}

describe('ctx.patched in the replay engine', () => {
  it('records a marker on first execution and takes the new path', () => {
    const ex = executor(v2);
    ex.apply([h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0)], false);
    expect(ex.takeNewActions().map((a) => a.kind === 'patch' ? `patch:${a.patchId}#${a.id}` : `${a.kind}#${a.id}`)).toEqual(['patch:fraud#1', 'activity#2']);
  });

  it('keeps the old path for a run recorded without the marker (no sequence number taken)', () => {
    const ex = executor(v2);
    ex.apply([h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0), h.taskScheduled(1, 'B'), h.taskCompleted(1)], true);
    expect(ex.outcome.status).toBe('completed');
    expect(deserialize(ex.outcome.status === 'completed' ? ex.outcome.output : undefined)).toBe('v1');
  });

  it('takes the patched path on replay where the marker is recorded, fed at once or one event at a time', () => {
    const history = [h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0), h.patch(1, 'fraud'), h.taskScheduled(2, 'Fraud'), h.taskCompleted(2)];
    const once = executor(v2);
    once.apply(history, true);
    const stepwise = executor(v2);
    stepwise.preview(history);
    for (const event of history) stepwise.apply([event], true);
    for (const ex of [once, stepwise]) {
      expect(ex.outcome.status).toBe('running');
      expect(ex.takeNewActions()).toMatchObject([{ kind: 'activity', id: 3, name: 'B' }]);
    }
  });

  it('answers the same when asked twice, with one marker', () => {
    const ex = executor(function* (ctx) {
      const a = ctx.patched('p');
      const b = ctx.patched('p');
      yield ctx.callActivity('X', [a, b]);
    });
    ex.apply([h.started('Order')], false);
    expect(ex.takeNewActions()).toMatchObject([{ kind: 'patch', id: 0, patchId: 'p' }, { kind: 'activity', id: 1, input: '{"json":[true,true]}' }]);
  });

  it('fails with a NonDeterminismError when the code no longer asks for a recorded marker', () => {
    const ex = executor(v1);
    ex.apply([h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0), h.patch(1, 'fraud'), h.taskScheduled(2, 'Fraud')], true);
    expect(ex.outcome.status).toBe('failed');
    const failure = ex.outcome.status === 'failed' ? ex.outcome.failure : undefined;
    expect(failure?.name).toBe('NonDeterminismError');
    expect(failure?.message).toContain("patched('fraud') #1");
  });

  it('deprecatePatch accepts histories with and without the marker and records nothing new', () => {
    const withMarker = executor(v3);
    withMarker.apply([h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0), h.patch(1, 'fraud'), h.taskScheduled(2, 'Fraud'), h.taskCompleted(2)], true);
    expect(withMarker.takeNewActions()).toMatchObject([{ kind: 'activity', id: 3, name: 'B' }]);
    const without = executor(v3);
    without.apply([h.started('Order'), h.taskScheduled(0, 'A'), h.taskCompleted(0)], false);
    expect(without.takeNewActions()).toMatchObject([{ kind: 'activity', id: 1, name: 'Fraud' }]);
  });

  it('refuses an empty patch id with InvalidArgumentError', () => {
    const ex = executor(function* (ctx) {
      ctx.patched('');
      yield ctx.callActivity('X');
    });
    ex.apply([h.started('Order')], false);
    const failure = ex.outcome.status === 'failed' ? ex.outcome.failure : undefined;
    expect(failure?.name).toBe(new InvalidArgumentError('x').name);
  });
});

describe.each(cacheModes)('ctx.patched in the runtime ($label)', ({ cacheSize }) => {
  it('shows the marker in the history and completes on the patched path', async () => {
    const runtime = await startRuntime({ cacheSize, orchestrators: { Order: v2 }, activities: { A: () => 1, B: () => 2, Fraud: () => 3 } });
    const id = await runtime.client.startNew('Order');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toBe('v2');
    const full = await runtime.client.getStatus(id, { showHistory: true });
    expect(full?.history?.filter((e) => e.EventType === 'PatchMarker')).toMatchObject([{ EventType: 'PatchMarker', EventId: 1, PatchId: 'fraud' }]);
  });
});
