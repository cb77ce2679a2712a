/**
 * Type tests (vitest typecheck) for the client: `startNew(handle)` checks the
 * input and returns an InstanceId that types `getStatus` and
 * `waitForCompletion`. Each `@ts-expect-error` must stay a compile error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { defineOrchestrator } from '@reprise/core';
import type { InstanceId, OrchestrationClient, OrchestrationContext, OrchestrationStatus } from '@reprise/core';

declare const client: OrchestrationClient;

interface Order {
  id: string;
  quantity: number;
}
interface Receipt {
  orderId: string;
  total: number;
}

const checkout = defineOrchestrator('Checkout', function* (ctx: OrchestrationContext<Order>) {
  const order = ctx.getInput();
  return { orderId: order.id, total: order.quantity * 10 } satisfies Receipt as Receipt;
});
const tick = defineOrchestrator('Tick', function* () {
  return 'done' as const;
});
const maybe = defineOrchestrator('Maybe', function* (ctx: OrchestrationContext<number | undefined>) {
  return ctx.getInput() ?? 0;
});

describe('startNew with a handle', () => {
  it('requires the input when the orchestrator needs one', async () => {
    // @ts-expect-error Checkout needs an Order: a missing input does not compile
    await client.startNew(checkout);
    // @ts-expect-error options without the input do not compile either
    await client.startNew(checkout, { instanceId: 'order-1' });
    // @ts-expect-error the input must be an Order
    await client.startNew(checkout, { input: { id: 'order-1' } });
    await client.startNew(checkout, { input: { id: 'order-1', quantity: 2 }, instanceId: 'order-1' });
  });

  it('leaves the input optional when the orchestrator admits none', async () => {
    await client.startNew(tick);
    await client.startNew(maybe);
    await client.startNew(maybe, { input: 3 });
    // @ts-expect-error still checked when given
    await client.startNew(maybe, { input: 'three' });
  });

  it('returns an instance id typed by the handle, usable as a string', async () => {
    const id = await client.startNew(checkout, { input: { id: 'a', quantity: 1 } });
    expectTypeOf(id).toEqualTypeOf<InstanceId<Receipt, Order>>();
    expectTypeOf(id).toMatchTypeOf<string>();
    expectTypeOf(id.toUpperCase()).toEqualTypeOf<string>();
    await client.raiseEvent(id, 'Approval', true);
  });
});

describe('results typed by handle', () => {
  it('types waitForCompletion and getStatus from the id', async () => {
    const id = await client.startNew(checkout, { input: { id: 'a', quantity: 1 } });
    const done = await client.waitForCompletion(id, { timeoutMs: 1000 });
    expectTypeOf(done).toEqualTypeOf<OrchestrationStatus<Receipt, Order>>();
    expectTypeOf(done.output).toEqualTypeOf<Receipt | undefined>();
    expectTypeOf(done.input).toEqualTypeOf<Order | undefined>();
    const status = await client.getStatus(id, { showHistory: true });
    expectTypeOf(status).toEqualTypeOf<OrchestrationStatus<Receipt, Order> | undefined>();

    const tickId = await client.startNew(tick);
    expectTypeOf((await client.waitForCompletion(tickId)).output).toEqualTypeOf<'done' | undefined>();
  });

  it('refuses to read an id as another orchestrator’s result', async () => {
    const id = await client.startNew(checkout, { input: { id: 'a', quantity: 1 } });
    // @ts-expect-error a Checkout id does not complete with a number
    await client.waitForCompletion<number>(id);
    const done = await client.waitForCompletion(id);
    // @ts-expect-error output is a Receipt, not a string
    const text: string | undefined = done.output;
    void text;
  });

  it('keeps plain string ids working, untyped unless told', async () => {
    const id: string = 'order-1';
    expectTypeOf(await client.waitForCompletion(id)).toEqualTypeOf<OrchestrationStatus<unknown, unknown>>();
    expectTypeOf(await client.waitForCompletion<Receipt>(id)).toEqualTypeOf<OrchestrationStatus<Receipt, unknown>>();
    expectTypeOf(await client.getStatus(id)).toEqualTypeOf<OrchestrationStatus<unknown, unknown> | undefined>();
    const started = await client.startNew('Checkout', { input: { id: 'a', quantity: 1 } });
    expectTypeOf(started).toMatchTypeOf<string>();
    expectTypeOf(await client.waitForCompletion(started)).toEqualTypeOf<OrchestrationStatus<unknown, { id: string; quantity: number }>>();
  });

  it('types an id kept elsewhere when it is declared as one', async () => {
    const stored = 'order-1' as InstanceId<Receipt, Order>;
    expectTypeOf((await client.waitForCompletion(stored)).output).toEqualTypeOf<Receipt | undefined>();
  });
});
