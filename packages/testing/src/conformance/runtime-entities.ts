/**
 * Entities through a real runtime on the store under test: the actor
 * semantics of the core (one operation at a time, atomic state + signals +
 * reply, critical sections) must hold on every adapter.
 */
import { describe, expect, it } from 'vitest';
import { LockingRulesError, NotSerializableError, UnknownEntityError, entityId } from '@reprise/core';
import type { EntityContext, EntityLock, OrchestrationContext, OrchestratorFunction, Storage } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { cacheModes, countingCommits, eventually, runtimeStarter, sleep } from './runtime-helpers.js';

/** The durable-functions form: one function switching on the operation name. */
function Counter(ctx: EntityContext<number>) {
  const value = ctx.getState(() => 0) ?? 0;
  switch (ctx.operationName) {
    case 'add':
      ctx.setState(value + ctx.getInput<number>());
      break;
    case 'get':
      ctx.return(value);
      break;
    case 'fail':
      ctx.setState(value + 1000);
      ctx.signalEntity(entityId('Counter', 'side'), 'add', 1);
      throw new RangeError('cannot do that');
    case 'delete':
      ctx.destructOnExit();
      break;
  }
}

/** The object form: one handler per operation, returning the result. */
const Account = {
  deposit: (ctx: EntityContext<{ balance: number }>, amount: number) => {
    const state = ctx.getState(() => ({ balance: 0 }))!;
    ctx.setState({ balance: state.balance + amount });
  },
  withdraw: (ctx: EntityContext<{ balance: number }>, amount: number) => {
    const state = ctx.getState(() => ({ balance: 0 }))!;
    if (state.balance < amount) throw new Error('insufficient funds');
    ctx.setState({ balance: state.balance - amount });
  },
  balance: (ctx: EntityContext<{ balance: number }>) => ctx.getState(() => ({ balance: 0 }))!.balance,
};

const orchestrators = {
  CallCounter: function* (ctx: OrchestrationContext<string>) {
    const id = entityId('Counter', ctx.getInput());
    ctx.signalEntity(id, 'add', 5);
    yield ctx.callEntity(id, 'add', 10);
    const value = yield ctx.callEntity(id, 'get');
    let error: string | undefined;
    try {
      yield ctx.callEntity(id, 'fail');
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    const after = yield ctx.callEntity(id, 'get');
    return { value, error, after };
  },
  Transfer: function* (ctx: OrchestrationContext<{ from: string; to: string; amount: number }>) {
    const { from, to, amount } = ctx.getInput();
    const a = entityId('Account', from);
    const b = entityId('Account', to);
    const lock: EntityLock = yield ctx.lock([b, a]);
    try {
      const balance: number = yield ctx.callEntity(a, 'balance');
      if (balance < amount) return 'skipped';
      yield ctx.callEntity(a, 'withdraw', amount);
      yield ctx.callEntity(b, 'deposit', amount);
      return 'moved';
    } finally {
      lock.release();
    }
  },
  OutsideCall: function* (ctx: OrchestrationContext) {
    const lock: EntityLock = yield ctx.lock([entityId('Account', 'x')]);
    try {
      yield ctx.callEntity(entityId('Account', 'y'), 'balance');
      return 'allowed';
    } catch (e) {
      return (e as Error).name;
    } finally {
      lock.release();
    }
  },
  HoldThenFail: function* (ctx: OrchestrationContext) {
    yield ctx.lock([entityId('Account', 'held')]);
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 20));
    throw new Error('crash inside the section');
  },
  HoldForever: function* (ctx: OrchestrationContext) {
    yield ctx.lock([entityId('Account', 'forever')]);
    yield ctx.waitForExternalEvent('never');
  },
  ReadBalance: function* (ctx: OrchestrationContext<string>) {
    return yield ctx.callEntity(entityId('Account', ctx.getInput()), 'balance');
  },
} satisfies Record<string, OrchestratorFunction>;

export function describeRuntimeEntities(ctx: ConformanceContext): void {
describe.each(cacheModes)('entities through a runtime ($label)', ({ cacheSize }) => {
  const startRuntime = runtimeStarter(ctx);
  const start = (storage?: Storage, taskHub?: string) => startRuntime({ cacheSize, ...(storage && { storage }), ...(taskHub && { taskHub }), orchestrators, entities: { Counter, Account } });

  it('calls and signals an entity; a thrown operation rolls back state and signals and reaches the caller', async () => {
    const runtime = await start();
    const id = await runtime.client.startNew('CallCounter', { input: 'c1' });
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 5000 });
    expect(status.output).toEqual({ value: 15, error: 'RangeError: cannot do that', after: 15 });
    expect(await runtime.client.readEntityState(entityId('Counter', 'c1'))).toEqual({ entityExists: true, entityState: 15 });
    await sleep(20);
    expect((await runtime.client.readEntityState(entityId('Counter', 'side'))).entityExists).toBe(false); // rolled-back signal never sent
  });

  it('processes operations one at a time, in order per sender, batched per commit', async () => {
    const counted = countingCommits(ctx.storage, (c) => c.instanceId.startsWith('@'));
    const runtime = await start(counted.storage);
    const counter = entityId('Counter', 'fast');
    for (let i = 1; i <= 500; i++) await runtime.client.signalEntity(counter, 'add', i);
    await eventually(async () => (await runtime.client.readEntityState<number>(counter)).entityState === (500 * 501) / 2);
    expect(counted.count()).toBeLessThan(500); // many operations per commit
    // Ordering: a last-writer entity sees the order the client sent.
    const log = await startRuntime({
      cacheSize,
      orchestrators,
      entities: {
        Log: (ctx: EntityContext<number[]>) => {
          ctx.setState([...(ctx.getState(() => []) ?? []), ctx.getInput<number>()]);
        },
      },
    });
    for (let i = 0; i < 100; i++) await log.client.signalEntity(entityId('Log', 'l'), 'append', i);
    const state = await eventually(async () => {
      const s = await log.client.readEntityState<number[]>(entityId('Log', 'l'));
      return s.entityState?.length === 100 && s.entityState;
    });
    expect(state).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('delivers scheduled signals no earlier than their time', async () => {
    const runtime = await start();
    const counter = entityId('Counter', 'later');
    const at = new Date(Date.now() + 150);
    await runtime.client.signalEntity(counter, 'add', 7, { scheduledTime: at });
    await sleep(50);
    expect((await runtime.client.readEntityState(counter)).entityExists).toBe(false);
    await eventually(async () => (await runtime.client.readEntityState(counter)).entityState === 7);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
  });

  it('critical sections conserve the total under concurrent transfers', async () => {
    const runtime = await start();
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) await runtime.client.signalEntity(entityId('Account', name), 'deposit', 100);
    await eventually(async () => {
      const states = await Promise.all(names.map((n) => runtime.client.readEntityState(entityId('Account', n))));
      return states.every((s) => s.entityExists);
    });
    const transfers = Array.from({ length: 30 }, (_, i) => ({ from: names[i % 4]!, to: names[(i * 3 + 1) % 4]!, amount: 10 + (i % 7) * 10 }));
    const ids = await Promise.all(transfers.filter((t) => t.from !== t.to).map((t) => runtime.client.startNew('Transfer', { input: t })));
    const outcomes = await Promise.all(ids.map((id) => runtime.client.waitForCompletion(id, { timeoutMs: 15_000 })));
    expect(outcomes.every((o) => o.runtimeStatus === 'Completed')).toBe(true);
    expect(outcomes.some((o) => o.output === 'moved')).toBe(true);
    const balances = await Promise.all(names.map(async (n) => (await runtime.client.readEntityState<{ balance: number }>(entityId('Account', n))).entityState!.balance));
    expect(balances.reduce((a, b) => a + b, 0)).toBe(400);
    expect(balances.every((b) => b >= 0)).toBe(true);
  });

  it('inside a critical section, calling an entity outside the lock set is a LockingRulesError', async () => {
    const runtime = await start();
    const id = await runtime.client.startNew('OutsideCall');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 5000 })).output).toBe(LockingRulesError.name);
  });

  it('releases locks when the holder fails or is terminated, so others get through', async () => {
    const runtime = await start();
    const failing = await runtime.client.startNew('HoldThenFail');
    expect((await runtime.client.waitForCompletion(failing, { timeoutMs: 5000 })).runtimeStatus).toBe('Failed');
    const read = await runtime.client.startNew('ReadBalance', { input: 'held' });
    expect((await runtime.client.waitForCompletion(read, { timeoutMs: 5000 })).output).toBe(0);

    const holder = await runtime.client.startNew('HoldForever');
    await sleep(50);
    const blocked = await runtime.client.startNew('ReadBalance', { input: 'forever' });
    await sleep(100);
    expect((await runtime.client.getStatus(blocked))!.runtimeStatus).toBe('Running'); // waiting for the lock
    await runtime.client.terminate(holder, 'release it');
    expect((await runtime.client.waitForCompletion(blocked, { timeoutMs: 5000 })).output).toBe(0);
  });

  it('deletes an entity with destructOnExit; lists and cleans entity storage', async () => {
    const runtime = await start();
    const before = new Date(Date.now() - 1);
    for (const key of ['k1', 'k2', 'k3']) await runtime.client.signalEntity(entityId('Counter', key), 'add', 1);
    // Each signal's row is listed (Running) as soon as it is sent: wait for the operations themselves, or a slow
    // worker's unprocessed k2 would read as deleted (no state) before its delete is even sent.
    await eventually(async () => (await runtime.client.listEntities({ name: 'COUNTER', fetchState: true })).entities.filter((e) => e.state === 1).length === 3);
    const listed = await runtime.client.listEntities({ name: 'counter', fetchState: true, lastOperationTimeFrom: before, pageSize: 2 });
    expect(listed.entities).toHaveLength(2);
    expect(listed.entities[0]).toMatchObject({ entityId: { name: 'counter' }, state: 1 });
    expect(listed.entities[0]!.lastOperationTime).toBeInstanceOf(Date);
    const rest = await runtime.client.listEntities({ name: 'counter', continuationToken: listed.continuationToken! });
    expect(rest.entities).toHaveLength(1);
    expect(rest.entities[0]!.state).toBeUndefined();

    await runtime.client.signalEntity(entityId('Counter', 'k2'), 'delete');
    await eventually(async () => !(await runtime.client.readEntityState(entityId('Counter', 'k2'))).entityExists);
    expect((await runtime.client.listEntities({ name: 'counter' })).entities.map((e) => e.entityId.key).sort()).toEqual(['k1', 'k3']);
    const cleaned = await runtime.client.cleanEntityStorage();
    expect(cleaned.emptyEntitiesRemoved).toBeGreaterThanOrEqual(1);
  });

  it('rejects an unknown entity name and non-serializable input at signal time, storing nothing', async () => {
    const hub = ctx.hub();
    const runtime = await start(undefined, hub);
    await expect(runtime.client.signalEntity(entityId('Nope', 'k'), 'add', 1)).rejects.toBeInstanceOf(UnknownEntityError);
    await expect(runtime.client.signalEntity(entityId('Counter', 'k'), 'add', () => 1)).rejects.toBeInstanceOf(NotSerializableError);
    expect((await ctx.storage.queryInstances(hub, { kind: 'entity' })).instances).toHaveLength(0);
  });
});
}
