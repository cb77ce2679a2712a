/**
 * The order workflow of docs/versioning.md, in the versions a deploy goes
 * through. Each orchestrator returns the steps it ran, so the outcome shows
 * which path an order took.
 */
import type { OrchestrationContext } from '@reprise/core';

/** Version 1.0.0: reserve, charge, wait for the warehouse to pack, ship. */
export function* orderV1(ctx: OrchestrationContext<string>): Generator<unknown, string[], unknown> {
  const id = ctx.getInput();
  const steps: string[] = [];
  steps.push((yield ctx.callActivity('Reserve', id)) as string);
  steps.push((yield ctx.callActivity('Charge', id)) as string);
  yield ctx.waitForExternalEvent('Packed');
  steps.push((yield ctx.callActivity('Ship', id)) as string);
  return steps;
}

/** Version 1.1.0 done right: the fraud check behind a patch. Orders that recorded Charge without it keep their path. */
export function* orderV1_1(ctx: OrchestrationContext<string>): Generator<unknown, string[], unknown> {
  const id = ctx.getInput();
  const steps: string[] = [];
  steps.push((yield ctx.callActivity('Reserve', id)) as string);
  if (ctx.patched('fraud-check')) steps.push((yield ctx.callActivity('FraudCheck', id)) as string);
  steps.push((yield ctx.callActivity('Charge', id)) as string);
  yield ctx.waitForExternalEvent('Packed');
  steps.push((yield ctx.callActivity('Ship', id)) as string);
  return steps;
}

/** Version 1.1.0 done wrong: the fraud check unconditionally. Every order in flight past Reserve would diverge. */
export function* orderV1_1Unpatched(ctx: OrchestrationContext<string>): Generator<unknown, string[], unknown> {
  const id = ctx.getInput();
  const steps: string[] = [];
  steps.push((yield ctx.callActivity('Reserve', id)) as string);
  steps.push((yield ctx.callActivity('FraudCheck', id)) as string);
  steps.push((yield ctx.callActivity('Charge', id)) as string);
  yield ctx.waitForExternalEvent('Packed');
  steps.push((yield ctx.callActivity('Ship', id)) as string);
  return steps;
}

/** The activities: each says what it did to which order. */
export const activities = {
  Reserve: (id: string) => `reserved ${id}`,
  FraudCheck: (id: string) => `fraud-checked ${id}`,
  Charge: (id: string) => `charged ${id}`,
  Ship: (id: string) => `shipped ${id}`,
};

/** What the deploy ships, in the shape `reprise check-compat --module` reads. */
export const orchestrators = { Order: orderV1_1 };
