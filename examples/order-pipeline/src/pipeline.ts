// An order pipeline: validate, reserve stock (with retries), wait for a
// manager's approval on large orders (at most three days, Task.any against a
// durable timer), charge, a one-hour cooling-off timer, then ship every line.
import { randomUUID } from 'node:crypto';
import { defineActivity, defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext, RetryOptions } from '@reprise/core';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  id: string;
  customer: string;
  lines: OrderLine[];
}

export interface Approval {
  approved: boolean;
  by: string;
}

export type OrderResult =
  | { status: 'shipped'; paymentId: string; parcels: string[] }
  | { status: 'rejected'; reason: string }
  | { status: 'not approved'; by: string }
  | { status: 'approval timed out' };

export const APPROVAL_THRESHOLD = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const orderTotal = (order: Order): number => order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);

// Activities: plain async functions. They may do I/O and be nondeterministic (ids, clocks); only orchestrators may not.

export const validateOrder = defineActivity('ValidateOrder', async (order: Order) => {
  if (order.lines.length === 0) return { ok: false as const, reason: 'empty order' };
  if (order.lines.some((line) => line.quantity <= 0)) return { ok: false as const, reason: 'bad quantity' };
  return { ok: true as const };
});

export const reserveStock = defineActivity('ReserveStock', async (order: Order) => `reservation-${order.id}-${randomUUID().slice(0, 8)}`);

export const releaseStock = defineActivity('ReleaseStock', async (reservation: string) => `released ${reservation}`);

export const chargePayment = defineActivity('ChargePayment', async (charge: { orderId: string; customer: string; amount: number }) => {
  if (charge.amount > 50_000) throw new Error('card declined');
  return `payment-${randomUUID().slice(0, 8)}`;
});

export const shipLine = defineActivity('ShipLine', async (line: { orderId: string; sku: string; quantity: number }) => `parcel-${line.orderId}-${line.sku}`);

const stockRetry: RetryOptions = { firstRetryIntervalInMilliseconds: 30_000, backoffCoefficient: 2, maxNumberOfAttempts: 4 };

export const orderPipeline = defineOrchestrator('OrderPipeline', function* (ctx: OrchestrationContext<Order>) {
  const order = ctx.getInput();
  ctx.setCustomStatus('validating');
  const validation = yield* ctx.callActivity(validateOrder, order);
  if (!validation.ok) return { status: 'rejected', reason: validation.reason } satisfies OrderResult as OrderResult;

  const reservation = yield* ctx.callActivityWithRetry(reserveStock, stockRetry, order);

  const total = orderTotal(order);
  if (total >= APPROVAL_THRESHOLD) {
    ctx.setCustomStatus('awaiting approval');
    const approval = ctx.waitForExternalEvent<Approval>('ManagerApproval');
    const deadline = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3 * DAY));
    const winner = yield* ctx.Task.any([approval, deadline]);
    if (winner !== approval) {
      yield* ctx.callActivity(releaseStock, reservation);
      return { status: 'approval timed out' } as OrderResult;
    }
    deadline.cancel();
    const decision = approval.result!;
    if (!decision.approved) {
      yield* ctx.callActivity(releaseStock, reservation);
      return { status: 'not approved', by: decision.by } as OrderResult;
    }
  }

  ctx.setCustomStatus('charging');
  let paymentId: string;
  try {
    paymentId = yield* ctx.callActivity(chargePayment, { orderId: order.id, customer: order.customer, amount: total });
  } catch (error) {
    yield* ctx.callActivity(releaseStock, reservation);
    return { status: 'rejected', reason: (error as Error).message } as OrderResult;
  }

  // Cooling-off hour: the customer may still cancel by phone.
  ctx.setCustomStatus('cooling off');
  yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + HOUR));

  ctx.setCustomStatus('shipping');
  const parcels = yield* ctx.all(order.lines.map((line) => ctx.callActivity(shipLine, { orderId: order.id, sku: line.sku, quantity: line.quantity })));
  ctx.log.info(`order ${order.id} shipped in ${parcels.length} parcel(s)`);
  return { status: 'shipped', paymentId, parcels } as OrderResult;
});

/** Everything the runtime (and the tests) need. */
export const registry = {
  orchestrators: [orderPipeline],
  activities: [validateOrder, reserveStock, releaseStock, chargePayment, shipLine],
};
