/**
 * A "public site" application: launch provisions it, deploy copies a
 * release with progress, destroy tears it down. The instance's parameters
 * come from the manifest (with defaults); deploy's parameters arrive as
 * strings and are parsed by their declared types.
 */
import { defineActivity } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { applicationInstance, defineApplication, withApplications } from '@reprise/applications';

const provision = defineActivity('site.Provision', async (input: { domain: string; port: number }) => `http://${input.domain}:${input.port}`);

/** Copies `files` files, telling its progress after each. */
const copyRelease = defineActivity('site.CopyRelease', async (input: { release: string; files: number; delayMs: number }, ctx) => {
  for (let i = 1; i <= input.files; i++) {
    await new Promise((resolve) => setTimeout(resolve, input.delayMs));
    await ctx.reportProgress(Math.round((i / input.files) * 100), `copied ${i} of ${input.files} files`);
  }
  return input.files;
});

const teardown = defineActivity('site.Teardown', async () => 'gone');

export const publicSite = defineApplication('PublicSite', {
  version: 3,
  parameters: { 'web.port': { default: '80', type: 'number' }, 'web.domain': {} },
  workflows: {
    // Receives the instance parameters, parsed: { 'web.port': 80, 'web.domain': '...' }.
    *launch(ctx: OrchestrationContext<Record<string, unknown>>) {
      const params = ctx.getInput();
      const url: string = yield ctx.callActivity(provision, { domain: String(params['web.domain']), port: Number(params['web.port']) });
      return { url };
    },
    deploy: {
      orchestrator: function* (ctx: OrchestrationContext<{ release: string; files: number; delayMs?: number }>) {
        const { release, files, delayMs } = ctx.getInput();
        const copied: number = yield ctx.callActivity(copyRelease, { release, files, delayMs: delayMs ?? 100 });
        return { release, deployedBy: applicationInstance(ctx)?.runOwnerId ?? null, files: copied };
      },
      parameters: { release: { type: 'string' }, files: { type: 'number' }, delayMs: { type: 'number' } },
    },
    *destroy(ctx: OrchestrationContext) {
      yield ctx.callActivity(teardown);
      return {};
    },
  },
});

export const registrations = withApplications([publicSite], { orchestrators: {}, activities: [provision, copyRelease, teardown] });
