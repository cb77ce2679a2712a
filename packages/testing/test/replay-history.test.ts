import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NonDeterminismError, UnknownOrchestratorError } from '@reprise/core';
import type { HistoryEventView, OrchestrationContext, OrchestratorFunction, Task } from '@reprise/core';
import { createTestRuntime, replayHistory } from '../src/index.js';
import type { ReplayDivergence, TestRuntime } from '../src/index.js';

const DAY = 86_400_000;

const activities = {
  Reserve: async (order: { id: string; items: string[] }) => `reservation-${order.id}`,
  Charge: async (order: { id: string; amount: number }) => {
    if (order.amount > 1000) throw new Error('card declined');
    return `charge-${order.id}`;
  },
  Ship: async (id: string) => `shipment-${id}`,
  Notify: async (text: string) => text,
  Audit: async () => 'audited',
};

type Order = { id: string; items: string[]; amount: number; placedAt: Date };

/** Version 1, as deployed: the history below is recorded with it. */
const v1 = function* (ctx: OrchestrationContext<Order>) {
  const order = ctx.getInput();
  const reservation: string = yield ctx.callActivity('Reserve', order);
  let charge: string;
  try {
    charge = yield ctx.callActivity('Charge', order);
  } catch {
    yield ctx.callActivity('Notify', 'payment failed');
    return { status: 'payment failed', reservation };
  }
  const approval = ctx.waitForExternalEvent<boolean>('Approve');
  const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 2 * DAY));
  const winner: Task<unknown> = yield ctx.any([approval, timeout]);
  if (winner !== approval) return { status: 'expired', reservation, charge };
  timeout.cancel();
  const shipment: string = yield ctx.callActivity('Ship', order.id);
  return { status: 'shipped', reservation, charge, shipment, placed: order.placedAt.getTime() };
};

const started: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((rt) => rt.stop()));
});

async function record(input: Order, approve: boolean | undefined, orchestrator: OrchestratorFunction = v1 as OrchestratorFunction, wait = true) {
  const rt = await createTestRuntime({ orchestrators: { Order: orchestrator }, activities });
  started.push(rt);
  const id = await rt.client.startNew('Order', { input, instanceId: `order-${input.id}` });
  if (approve !== undefined) await rt.client.raiseEvent(id, 'Approve', approve);
  if (wait) await rt.client.waitForCompletion(id, { timeoutMs: 5000 });
  else await rt.waitForIdle();
  const status = await rt.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
  return status!;
}

const order = (id: string, amount = 120): Order => ({ id, items: ['book', 'pen'], amount, placedAt: new Date('2030-05-01T10:00:00Z') });

function reject(promise: Promise<unknown>): Promise<ReplayDivergence> {
  return promise.then(
    () => {
      throw new Error('expected a NonDeterminismError');
    },
    (e: unknown) => e as ReplayDivergence,
  );
}

describe('replayHistory accepts the history the same code recorded', () => {
  it('a shipped order, given the status object', async () => {
    const status = await record(order('1'), true);
    expect(status.runtimeStatus).toBe('Completed');
    const summary = await replayHistory({ orchestrators: { Order: v1 }, activities }, 'Order', status);
    expect(summary).toMatchObject({ orchestrator: 'Order', instanceId: 'order-1', recordedStatus: 'completed', status: 'completed', actionsMatched: 5 });
    expect(summary.output).toEqual(status.output);
    expect(summary.events).toBe(status.history!.length);
  });

  it('an expired order, given only the events, whatever the branch taken', async () => {
    const status = await record(order('2'), undefined);
    expect((status.output as { status: string }).status).toBe('expired');
    const summary = await replayHistory({ orchestrators: { Order: v1 } }, 'Order', status.history!);
    expect(summary.status).toBe('completed');
    expect(summary.output).toEqual(status.output);
  });

  it('a failed activity caught by the code (TaskFailed details re-encoded)', async () => {
    const status = await record(order('3', 5000), undefined);
    expect((status.output as { status: string }).status).toBe('payment failed');
    expect(status.history!.some((e) => e.EventType === 'TaskFailed')).toBe(true);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Order', status)).resolves.toMatchObject({ status: 'completed' });
  });

  it('an instance still in flight', async () => {
    const status = await record(order('4'), undefined, v1 as OrchestratorFunction, false);
    // Started by the test runtime without skipping past the timeout? It may have expired; either way it replays.
    const summary = await replayHistory({ orchestrators: { Order: v1 } }, 'Order', status);
    expect(summary.recordedStatus).toBe(status.runtimeStatus === 'Running' ? 'running' : 'completed');
  });

  it('a history saved as JSON text (a file from production)', async () => {
    const status = await record(order('5'), true);
    const text = JSON.stringify(status.history);
    // JSON turns the Date in the input into a string; code that reads it as a Date needs the superjson form.
    const tolerant = function* (ctx: OrchestrationContext<Order>) {
      const input = ctx.getInput();
      return (yield* (v1({ ...ctx, getInput: () => ({ ...input, placedAt: new Date(input.placedAt) }) } as OrchestrationContext<Order>) as Generator<unknown, unknown, unknown>)) as unknown;
    };
    await expect(replayHistory({ orchestrators: { Order: tolerant } }, 'Order', text)).resolves.toMatchObject({ status: 'completed' });
  });
});

describe('replayHistory rejects edited code', () => {
  it('a renamed activity, naming the first divergent action', async () => {
    const status = await record(order('10'), true);
    const renamed = function* (ctx: OrchestrationContext<Order>) {
      const o = ctx.getInput();
      yield ctx.callActivity('Reserve', o);
      yield ctx.callActivity('ChargeCard', o); // was 'Charge'
      return 'x';
    };
    const error = await reject(replayHistory({ orchestrators: { Order: renamed } }, 'Order', status));
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect(error.code).toBe('NONDETERMINISM');
    expect(error.expected).toBe("callActivity('Charge') #1");
    expect(error.actual).toBe("callActivity('ChargeCard') #1");
    expect(error.sequence).toBe(1);
    expect(error.message).toContain("history recorded callActivity('Charge') #1 but the code now produced callActivity('ChargeCard') #1");
    expect(status.history![error.eventIndex]!.EventType).toBe('TaskScheduled');
  });

  it('a step inserted before recorded ones', async () => {
    const status = await record(order('11'), true);
    const inserted = function* (ctx: OrchestrationContext<Order>) {
      yield ctx.callActivity('Audit'); // new first step
      return (yield* (v1(ctx) as Generator<unknown, unknown, unknown>)) as unknown;
    };
    const error = await reject(replayHistory({ orchestrators: { Order: inserted } }, 'Order', status));
    expect(error.expected).toBe("callActivity('Reserve') #0");
    expect(error.actual).toBe("callActivity('Audit') #0");
  });

  it('the approval race replaced by an activity', async () => {
    const status = await record(order('12'), true);
    const noTimer = function* (ctx: OrchestrationContext<Order>) {
      const o = ctx.getInput();
      yield ctx.callActivity('Reserve', o);
      yield ctx.callActivity('Charge', o);
      yield ctx.callActivity('Ship', o.id); // no approval wait any more
      return 'x';
    };
    const error = await reject(replayHistory({ orchestrators: { Order: noTimer } }, 'Order', status));
    // The wait for 'Approve' is a step (#2), created before the race's timer.
    expect(error.expected).toBe("waitForExternalEvent('Approve') #2");
    expect(error.actual).toBe("callActivity('Ship') #2");
  });

  it('a removed step: the code now ends before the history does', async () => {
    const status = await record(order('13'), true);
    const shorter = function* (ctx: OrchestrationContext<Order>) {
      yield ctx.callActivity('Reserve', ctx.getInput());
      return 'done early';
    };
    const error = await reject(replayHistory({ orchestrators: { Order: shorter } }, 'Order', status));
    expect(error.expected).toBe("callActivity('Charge') #1");
    expect(error.actual).toBe('no action (it had already completed)');
  });

  it('code that now throws during replay', async () => {
    const status = await record(order('14'), true);
    const broken = function* (ctx: OrchestrationContext<Order>) {
      const reservation: string = yield ctx.callActivity('Reserve', ctx.getInput());
      (reservation as unknown as { nope: { deeper: number } }).nope.deeper += 1;
      return 'x';
    };
    const error = await reject(replayHistory({ orchestrators: { Order: broken } }, 'Order', status));
    expect(error.expected).toBe("callActivity('Charge') #1");
    expect(error.actual).toMatch(/^no action \(it had already failed with TypeError/);
  });

  it('a step appended after a completed history (code does more than was recorded)', async () => {
    const status = await record(order('15'), true);
    const longer = function* (ctx: OrchestrationContext<Order>) {
      const result: unknown = yield* v1(ctx) as Generator<unknown, unknown, unknown>;
      yield ctx.callActivity('Audit');
      return result;
    };
    const error = await reject(replayHistory({ orchestrators: { Order: longer } }, 'Order', status));
    expect(error.expected).toBe('no further action');
    expect(error.actual).toBe("callActivity('Audit') #5");
  });

  it('but not a step appended after the point an in-flight history reached', async () => {
    const waiting = function* (ctx: OrchestrationContext) {
      yield ctx.callActivity('Reserve', { id: 'w', items: [] });
      yield ctx.waitForExternalEvent('Approve');
      return 'v1';
    };
    const rt = await createTestRuntime({ orchestrators: { Order: waiting }, activities });
    started.push(rt);
    const id = await rt.client.startNew('Order');
    await rt.waitForIdle();
    const status = (await rt.client.getStatus(id, { showHistory: true, showHistoryOutput: true }))!;
    expect(status.runtimeStatus).toBe('Running');
    const v2 = function* (ctx: OrchestrationContext) {
      yield ctx.callActivity('Reserve', { id: 'w', items: [] });
      yield ctx.waitForExternalEvent('Approve');
      yield ctx.callActivity('Audit'); // new, after the point the instance has reached
      return 'v2';
    };
    await expect(replayHistory({ orchestrators: { Order: v2 } }, 'Order', status)).resolves.toMatchObject({ recordedStatus: 'running', status: 'running', actionsMatched: 2 });
  });
});

describe('replayHistory: arguments', () => {
  it('rejects what is not a history of that orchestrator', async () => {
    const status = await record(order('20'), true);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Nope', status)).rejects.toBeInstanceOf(UnknownOrchestratorError);
    await expect(replayHistory({ orchestrators: { Other: v1 } }, 'Other', status)).rejects.toThrow(/of orchestrator 'Order'/);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Order', [] as HistoryEventView[])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Order', { instanceId: 'x' })).rejects.toThrow(/showHistory/);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Order', 'not json')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(replayHistory({ orchestrators: { Order: v1 } }, 'Order', [{ Timestamp: 'x' }] as unknown as HistoryEventView[])).rejects.toThrow(/EventType/);
  });
});
