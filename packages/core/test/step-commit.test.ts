/**
 * Step commits through a runtime (memory storage): one store operation per
 * sequential step when the worker runs the activity its commit leased to it,
 * and today's path whenever the grace cannot be used: turned off, no replay
 * cache, an activity longer than the grace. Messages that arrive during a
 * grace are handled by the episode after the step commit.
 */
import { describe, expect, it } from 'vitest';
import type { OrchestrationCommit, OrchestrationContext, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

interface Counts {
  commits: number;
  steps: number;
  completions: number;
  releases: number;
}

function counted(): { storage: Storage; counts: Counts } {
  const inner = memoryStorage();
  const counts: Counts = { commits: 0, steps: 0, completions: 0, releases: 0 };
  const storage = new Proxy(inner, {
    get(target, key) {
      if (key === 'commitOrchestration') {
        return (hub: string, commit: OrchestrationCommit) => {
          counts.commits++;
          if (commit.completeActivities) counts.steps++;
          return target.commitOrchestration(hub, commit);
        };
      }
      if (key === 'completeActivity') counts.completions++;
      if (key === 'releaseInstance') counts.releases++;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage, counts };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const chain = {
  activities: { Inc: async (x: { value: number; ms: number }) => (x.ms > 0 ? sleep(x.ms).then(() => x.value + 1) : x.value + 1) },
  orchestrators: {
    Chain: function* (ctx: OrchestrationContext<{ steps: number; ms: number }>): Generator<unknown, number, number> {
      const { steps, ms } = ctx.getInput();
      let value = 0;
      for (let i = 0; i < steps; i++) value = yield ctx.callActivity('Inc', { value, ms });
      return value;
    },
    /** An activity, then an event raised while it ran. */
    ThenEvent: function* (ctx: OrchestrationContext<null>): Generator<unknown, string, unknown> {
      const done = yield ctx.callActivity('Inc', { value: 0, ms: 50 });
      const event = yield ctx.waitForExternalEvent('go');
      return `${String(done)}:${String(event)}`;
    },
  },
};

describe('step commits', () => {
  it('a chain of N activities costs N + 1 commits and no completeActivity', async () => {
    const { storage, counts } = counted();
    const runtime = await startRuntime({ storage, ...chain, stepGraceMs: 10_000 });
    const id = await runtime.client.startNew('Chain', { input: { steps: 20, ms: 0 } });
    expect((await runtime.client.waitForCompletion(id)).output).toBe(20);
    expect(counts).toMatchObject({ commits: 21, steps: 20, completions: 0 });
    await runtime.stop();
  });

  it('stepGraceMs 0 or no replay cache: every step completes its activity on its own (two operations)', async () => {
    for (const options of [{ stepGraceMs: 0 }, { cacheSize: 0 }]) {
      const { storage, counts } = counted();
      const runtime = await startRuntime({ storage, ...chain, ...options });
      const id = await runtime.client.startNew('Chain', { input: { steps: 5, ms: 0 } });
      expect((await runtime.client.waitForCompletion(id)).output).toBe(5);
      expect(counts).toMatchObject({ commits: 6, steps: 0, completions: 5 });
      await runtime.stop();
    }
  });

  it('an activity longer than the grace takes the old path; the kept lease lapses without a store call', async () => {
    const { storage, counts } = counted();
    const runtime = await startRuntime({ storage, ...chain, stepGraceMs: 20 });
    const id = await runtime.client.startNew('Chain', { input: { steps: 3, ms: 80 } });
    expect((await runtime.client.waitForCompletion(id)).output).toBe(3);
    expect(counts).toMatchObject({ commits: 4, steps: 0, completions: 3, releases: 0 });
    await runtime.stop();
  });

  it('an event raised while the activity runs under its grace waits in the inbox and is handled after the step commit', async () => {
    const { storage, counts } = counted();
    const runtime = await startRuntime({ storage, ...chain, stepGraceMs: 10_000 });
    const id = await runtime.client.startNew('ThenEvent', { input: null });
    await sleep(10);
    await runtime.client.raiseEvent(id, 'go', 'now');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toBe('1:now');
    expect(counts.steps).toBe(1);
    expect(counts.completions).toBe(0);
    await runtime.stop();
  });

  it('stop() while an activity runs under its grace gives the instance back at once', async () => {
    const { storage, counts } = counted();
    const runtime = await startRuntime({ storage, ...chain, stepGraceMs: 10_000, stopTimeoutMs: 0 });
    const id = await runtime.client.startNew('Chain', { input: { steps: 2, ms: 200 } });
    await sleep(50);
    await runtime.stop();
    expect(counts.releases).toBe(1);
    // Another runtime takes the instance over at once (not after the grace): its activity comes back when abandoned.
    const next = await startRuntime({ storage, ...chain, stepGraceMs: 10_000 });
    expect((await next.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(2);
    await next.stop();
  });
});
