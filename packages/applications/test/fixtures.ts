/**
 * The test applications: PublicSite (two manifest versions) and Kiosk (with
 * a reconfigure workflow and submodules). Activities wait on gates the
 * tests open, so a run can be held "Executing" for as long as a test needs.
 */
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext, RuntimeOptions } from '@reprise/core';
import { applicationInstance, defineApplication } from '@reprise/applications';

interface Gate {
  wait: Promise<void>;
  open(): void;
}
const gates = new Map<string, Gate>();

/** A gate by name: activities given `{ gate: name }` wait until the test opens it. */
export function gate(name: string): Gate {
  let found = gates.get(name);
  if (!found) {
    let open!: () => void;
    const wait = new Promise<void>((resolve) => (open = resolve));
    found = { wait, open };
    gates.set(name, found);
  }
  return found;
}

export const seen: Array<{ workflow: string; input: unknown }> = [];

const copy = defineActivity('Copy', async (input: { gate?: string }, ctx) => {
  await ctx.reportProgress(40, 'copying');
  if (typeof input?.gate === 'string') await gate(input.gate).wait;
  return 'copied';
});
const teardown = defineActivity('Teardown', async (input: { gate?: string }) => {
  if (typeof input?.gate === 'string') await gate(input.gate).wait;
  return 'gone';
});
const boom = defineActivity('Boom', async () => {
  throw new Error('boom');
});

function* launch(ctx: OrchestrationContext<Record<string, unknown>>) {
  const instance = applicationInstance(ctx)!;
  seen.push({ workflow: 'launch', input: ctx.getInput() });
  yield ctx.callActivity(copy, {});
  return { 'site.url': `http://${String(instance.parameters['web.domain'])}:${String(instance.parameters['web.port'])}` };
}
const deploy = defineOrchestrator('Site.Deploy', function* (ctx: OrchestrationContext<Record<string, unknown>>) {
  const input = ctx.getInput();
  seen.push({ workflow: 'deploy', input });
  yield ctx.callActivity(copy, { ...(typeof input.gate === 'string' && { gate: input.gate }) });
  return { deployed: true, release: input.release ?? null };
});
function* fail(ctx: OrchestrationContext) {
  yield ctx.callActivity(boom);
  return {};
}
function* destroy(ctx: OrchestrationContext<Record<string, unknown>>) {
  yield ctx.callActivity(teardown, {});
  return {};
}
function* reconfigure(ctx: OrchestrationContext<Record<string, unknown>>) {
  seen.push({ workflow: 'reconfigure', input: ctx.getInput() });
  yield ctx.callActivity(copy, {});
  return { reconfigured: true };
}

export const publicSiteV2 = defineApplication('PublicSite', {
  version: 2,
  parameters: { 'web.port': { default: '8080' }, 'web.domain': {} },
  workflows: { launch, deploy, fail },
});

export const publicSite = defineApplication('PublicSite', {
  version: 3,
  parameters: { 'web.port': { default: '80' }, 'web.domain': {}, 'web.tls': { default: 'false', type: 'boolean' } },
  workflows: {
    launch,
    deploy: { orchestrator: deploy, parameters: { release: { type: 'string' }, replicas: { type: 'number' } } },
    fail,
    destroy,
  },
});

export const kiosk = defineApplication('Kiosk', {
  parameters: { 'screen.size': { default: '10' } },
  workflows: { reconfigure },
  submodules: {
    player: { parameters: { 'audio.volume': { default: '5' }, 'audio.device': {} }, submodules: { codec: { parameters: { 'codec.name': { default: 'h264' } } } } },
  },
});

export const registrations = (): Pick<RuntimeOptions, 'orchestrators' | 'activities'> => ({
  orchestrators: {},
  activities: [copy, teardown, boom],
});
