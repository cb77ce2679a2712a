// The Durable Functions "function chaining" sample (JavaScript, programming
// model v4), ported. Its three functions keep their bodies: only the imports
// changed, and `context.df.` became `ctx.` (an orchestrator's context is what
// durable-functions calls `context.df`). The registrations
// (`df.app.orchestration`, `df.app.activity`, `app.http`) became the runtime's
// registry and a route of your own server: see main.ts.
import type { ActivityContext, OrchestrationClient, OrchestrationContext } from '@reprise/core';
import type { CheckStatusResponse } from '@reprise/core/df';

/** Calls the activity three times in a row; each call waits for the one before. */
export function* helloOrchestrator(ctx: OrchestrationContext): Generator<unknown, string[], string> {
  const outputs: string[] = [];
  outputs.push(yield ctx.callActivity('hello', 'Tokyo'));
  outputs.push(yield ctx.callActivity('hello', 'Seattle'));
  outputs.push(yield ctx.callActivity('hello', 'Cairo'));
  return outputs;
}

export function hello(input: string, context: ActivityContext): string {
  context.log(`Saying hello to ${input}.`);
  return `Hello, ${input}`;
}

/** The HTTP starter: start the orchestrator named in the route, answer with the check-status response. */
export async function httpStart(request: Request & { params: { orchestratorName: string } }, client: OrchestrationClient): Promise<CheckStatusResponse> {
  const body = await request.text();
  const instanceId = await client.startNew(request.params.orchestratorName, { input: body });
  return client.createCheckStatusResponse(request, instanceId);
}
