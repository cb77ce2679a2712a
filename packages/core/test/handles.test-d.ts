/**
 * Type tests (vitest typecheck): typed handles carry input and output types
 * through `yield*`, `Task.all`/`Task.any` and sub-orchestrations. Each
 * `@ts-expect-error` is a misuse that must stay a compile error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { ActivityHandle, OrchestrationContext, OrchestratorHandle, Task, TimerTask } from '@reprise/core';

interface Order {
  id: string;
  quantity: number;
}

const reserve = defineActivity('Reserve', (order: Order) => ({ reserved: order.quantity }));
const price = defineActivity('Price', async (id: string) => id.length * 10);
const ping = defineActivity('Ping', () => 'pong' as const);

describe('defineActivity', () => {
  it('infers input and output, unwrapping a promise', () => {
    expectTypeOf(reserve).toEqualTypeOf<ActivityHandle<Order, { reserved: number }>>();
    expectTypeOf(price).toEqualTypeOf<ActivityHandle<string, number>>();
    expectTypeOf(ping).toEqualTypeOf<ActivityHandle<unknown, 'pong'>>();
  });
});

describe('callActivity with a handle', () => {
  it('types the yielded result', () => {
    defineOrchestrator('Results', function* (ctx: OrchestrationContext<Order>) {
      const reservation = yield* ctx.callActivity(reserve, ctx.getInput());
      expectTypeOf(reservation).toEqualTypeOf<{ reserved: number }>();
      const cents = yield* ctx.callActivity(price, 'sku-1');
      expectTypeOf(cents).toEqualTypeOf<number>();
      const retried = yield* ctx.callActivityWithRetry(price, { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 }, 'sku-2');
      expectTypeOf(retried).toEqualTypeOf<number>();
      // An activity whose input is unknown may be called without one.
      expectTypeOf(ctx.callActivity(ping)).toEqualTypeOf<Task<'pong'>>();
      return cents;
    });
  });

  it('refuses a missing or mistyped input', () => {
    defineOrchestrator('Misuse', function* (ctx) {
      // @ts-expect-error the activity needs an Order
      yield* ctx.callActivity(reserve);
      // @ts-expect-error a string is not an Order
      yield* ctx.callActivity(reserve, 'order-1');
      // @ts-expect-error the retry form checks the input too
      yield* ctx.callActivityWithRetry(price, { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 }, 42);
    });
  });

  it('leaves calls by name untyped unless told', () => {
    defineOrchestrator('ByName', function* (ctx) {
      expectTypeOf(yield* ctx.callActivity('Reserve', { id: 'a', quantity: 1 })).toEqualTypeOf<unknown>();
      expectTypeOf(yield* ctx.callActivity<number>('Price', 'sku')).toEqualTypeOf<number>();
    });
  });
});

describe('defineOrchestrator', () => {
  it('infers input from the context and output from the return', () => {
    const checkout = defineOrchestrator('Checkout', function* (ctx: OrchestrationContext<Order>) {
      const order = ctx.getInput();
      expectTypeOf(order).toEqualTypeOf<Order>();
      const cents = yield* ctx.callActivity(price, order.id);
      return { orderId: order.id, cents };
    });
    expectTypeOf(checkout).toEqualTypeOf<OrchestratorHandle<Order, { orderId: string; cents: number }>>();
  });

  it('has unknown input when the context is not annotated', () => {
    const noInput = defineOrchestrator('NoInput', function* () {
      return 1;
    });
    expectTypeOf(noInput).toEqualTypeOf<OrchestratorHandle<unknown, number>>();
  });

  it('refuses an async function', () => {
    // @ts-expect-error orchestrators are generator functions
    defineOrchestrator('Async', async () => 1);
  });
});

describe('Task.all and Task.any', () => {
  it('types Task.all over an array as an array of results', () => {
    defineOrchestrator('FanOut', function* (ctx: OrchestrationContext<string[]>) {
      const tasks = ctx.getInput().map((id) => ctx.callActivity(price, id));
      expectTypeOf(tasks).toEqualTypeOf<Task<number>[]>();
      const all = yield* ctx.Task.all(tasks);
      expectTypeOf(all).toEqualTypeOf<number[]>();
      expectTypeOf(yield* ctx.all(tasks)).toEqualTypeOf<number[]>();
      return all;
    });
  });

  it('types Task.all over a tuple position by position', () => {
    defineOrchestrator('Tuple', function* (ctx) {
      const [reservation, cents, done] = yield* ctx.Task.all([ctx.callActivity(reserve, { id: 'a', quantity: 2 }), ctx.callActivity(price, 'a'), ctx.createTimer(new Date(0))]);
      expectTypeOf(reservation).toEqualTypeOf<{ reserved: number }>();
      expectTypeOf(cents).toEqualTypeOf<number>();
      expectTypeOf(done).toEqualTypeOf<void>();
      const empty = yield* ctx.Task.all([]);
      expectTypeOf(empty).toEqualTypeOf<[]>();
    });
  });

  it('types Task.any as the winning task, a union of the candidates', () => {
    defineOrchestrator('Race', function* (ctx) {
      const approval = ctx.waitForExternalEvent<boolean>('Approval');
      const timeout = ctx.createTimer(new Date(0));
      const winner = yield* ctx.Task.any([approval, timeout]);
      expectTypeOf(winner).toEqualTypeOf<Task<boolean> | TimerTask>();
      if (winner === approval) expectTypeOf(winner.result).toEqualTypeOf<boolean | undefined>();
      const same = yield* ctx.any([ctx.callActivity(price, 'a'), ctx.callActivity(price, 'b')]);
      expectTypeOf(same).toEqualTypeOf<Task<number>>();
    });
  });

  it('refuses what is not a task', () => {
    defineOrchestrator('NotTasks', function* (ctx) {
      // @ts-expect-error Task.all takes tasks
      yield* ctx.Task.all([1, 2]);
      // @ts-expect-error Task.any takes tasks
      yield* ctx.Task.any(['a']);
    });
  });
});

describe('sub-orchestrations', () => {
  const child = defineOrchestrator('Child', function* (ctx: OrchestrationContext<{ n: number }>) {
    return String(ctx.getInput().n);
  });

  it('types the child result from its handle', () => {
    defineOrchestrator('Parent', function* (ctx) {
      const text = yield* ctx.callSubOrchestrator(child, { n: 1 });
      expectTypeOf(text).toEqualTypeOf<string>();
      const retried = yield* ctx.callSubOrchestratorWithRetry(child, { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 }, { n: 2 }, 'child-2');
      expectTypeOf(retried).toEqualTypeOf<string>();
      const many = yield* ctx.Task.all([1, 2, 3].map((n) => ctx.callSubOrchestrator(child, { n })));
      expectTypeOf(many).toEqualTypeOf<string[]>();
      expectTypeOf(yield* ctx.callSubOrchestrator<boolean>('Child', { n: 3 })).toEqualTypeOf<boolean>();
    });
  });

  it('refuses a mistyped child input', () => {
    defineOrchestrator('BadParent', function* (ctx) {
      // @ts-expect-error the child takes { n: number }
      yield* ctx.callSubOrchestrator(child, { n: 'one' });
      // @ts-expect-error the child's input is required
      yield* ctx.callSubOrchestrator(child);
      // @ts-expect-error the retry form requires it too
      yield* ctx.callSubOrchestratorWithRetry(child, { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 });
    });
  });
});
