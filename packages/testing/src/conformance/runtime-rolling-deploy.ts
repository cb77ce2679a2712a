/**
 * A rolling deploy on the store under test (optional: `capabilities.versioning`):
 * runtimes of 1.0.0 and 2.0.0 on one hub, the newer one under `strict` or
 * `currentOrOlder`, both leaving other versions' work (`onMismatch: 'leave'`).
 * No episode or activity of an instance is run by a runtime its version
 * rules out, and every instance completes.
 */
import { describe, expect } from 'vitest';
import type { OrchestrationContext, Runtime } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { itWithCapability } from './optional.js';
import { eventually, runtimeStarter } from './runtime-helpers.js';

function* flow(ctx: OrchestrationContext): Generator<unknown, string[], unknown> {
  const a = (yield ctx.callActivity('Who')) as string;
  yield ctx.waitForExternalEvent('go');
  const b = (yield ctx.callActivity('Who')) as string;
  return [a, b];
}

export function describeRuntimeRollingDeploy(ctx: ConformanceContext): void {
  describe('runtime: a rolling deploy of two versions on one hub', () => {
    const start = runtimeStarter(ctx);
    const itVersions = itWithCapability(ctx, 'versioning');

    /** A runtime at `version` that notes every episode it runs live (not replays). */
    const runtimeAt = (hub: string, version: string, match: 'strict' | 'currentOrOlder', ran: string[]): Promise<Runtime> =>
      start({
        taskHub: hub,
        version,
        versioning: { match, onMismatch: 'leave' },
        orchestrators: {
          Flow: function* (c: OrchestrationContext) {
            if (!c.isReplaying) ran.push(`${version}:${c.instanceId}`);
            return yield* flow(c);
          },
        },
        activities: { Who: () => version },
      });

    for (const match of ['strict', 'currentOrOlder'] as const) {
      itVersions(`'${match}': no episode or activity is run by the wrong runtime`, async () => {
        const hub = ctx.hub();
        const ran1: string[] = [];
        const ran2: string[] = [];
        const v1 = await runtimeAt(hub, '1.0.0', 'strict', ran1);
        const v2 = await runtimeAt(hub, '2.0.0', match, ran2);
        const old = await Promise.all([0, 1, 2, 3].map((i) => v1.client.startNew('Flow', { instanceId: `old-${i}` })));
        const fresh = await Promise.all([0, 1, 2, 3].map((i) => v2.client.startNew('Flow', { instanceId: `new-${i}` })));
        for (const id of [...old, ...fresh]) await eventually(async () => (await v1.client.getStatus(id))?.runtimeStatus === 'Running');
        for (const id of [...old, ...fresh]) await v1.client.raiseEvent(id, 'go');
        for (const id of fresh) expect((await v2.client.waitForCompletion(id, { timeoutMs: 20_000 })).output).toEqual(['2.0.0', '2.0.0']);
        for (const id of old) {
          const output = (await v1.client.waitForCompletion(id, { timeoutMs: 20_000 })).output as string[];
          // strict: only v1 runs them; currentOrOlder: v2 may take over either step.
          if (match === 'strict') expect(output).toEqual(['1.0.0', '1.0.0']);
          else expect(output.every((v) => v === '1.0.0' || v === '2.0.0')).toBe(true);
        }
        expect(ran1.filter((r) => r.includes(':new-'))).toEqual([]);
        if (match === 'strict') expect(ran2.filter((r) => r.includes(':old-'))).toEqual([]);
        expect(await v1.client.countInstances({ version: '1.0.0' })).toBe(4);
        expect(await v1.client.countInstances({ version: '2.0.0' })).toBe(4);
      });
    }
  });
}
