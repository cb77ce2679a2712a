/**
 * The durable-functions shapes of @reprise/core/df (RetryOptions and
 * EntityId classes) used where the core takes its plain values, through a
 * real runtime on memory storage.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@reprise/core';
import type { EntityContext, OrchestrationContext } from '@reprise/core';
import { EntityId, RetryOptions } from '@reprise/core/df';
import { cacheModes, startRuntime } from './helpers.js';

describe('RetryOptions (class)', () => {
  it('is built as in durable-functions and refuses bad values with InvalidArgumentError', () => {
    const options = new RetryOptions(1000, 3);
    expect(options).toMatchObject({ firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3, backoffCoefficient: 1 });
    expect(options.maxRetryIntervalInMilliseconds).toBeUndefined();
    expect(() => new RetryOptions(0, 3)).toThrow(InvalidArgumentError);
    expect(() => new RetryOptions(10, 0)).toThrow(InvalidArgumentError);
    expect(() => new RetryOptions(10, 1.5)).toThrow(InvalidArgumentError);
  });

  it.each(cacheModes)('drives callActivityWithRetry with the fields set on it ($label)', async ({ cacheSize }) => {
    let calls = 0;
    const runtime = await startRuntime({
      cacheSize,
      orchestrators: {
        Retried: function* (ctx: OrchestrationContext) {
          const options = new RetryOptions(10, 4);
          options.backoffCoefficient = 2;
          options.maxRetryIntervalInMilliseconds = 15;
          return (yield ctx.callActivityWithRetry('Flaky', options, 'x')) as string;
        },
      },
      activities: {
        Flaky: (x: string) => {
          calls += 1;
          if (calls < 3) throw new Error(`failure ${calls}`);
          return `${x} on ${calls}`;
        },
      },
    });
    const id = await runtime.client.startNew('Retried');
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toBe('x on 3');
    const history = (await runtime.client.getStatus(id, { showHistory: true }))!.history!;
    // Waits of 10 ms, then min(20, 15) ms: each a durable timer.
    const timers = history.filter((e) => e.EventType === 'TimerCreated');
    expect(timers).toHaveLength(2);
  });
});

describe('EntityId (class)', () => {
  it('prints as @name@key with the name lower-cased, and refuses bad values', () => {
    const id = new EntityId('Counter', 'Key-1');
    expect(String(id)).toBe('@counter@Key-1');
    expect(`${id}`).toBe('@counter@Key-1');
    expect({ name: id.name, key: id.key }).toEqual({ name: 'counter', key: 'Key-1' });
    expect(() => new EntityId('', 'k')).toThrow(InvalidArgumentError);
    expect(() => new EntityId('n', 1 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it('addresses an entity from an orchestration and from the client', async () => {
    const runtime = await startRuntime({
      orchestrators: {
        Add: function* (ctx: OrchestrationContext) {
          const counter = new EntityId('Counter', 'c1');
          ctx.signalEntity(counter, 'add', 2);
          return (yield ctx.callEntity(counter, 'get')) as number;
        },
      },
      entities: {
        Counter: (ctx: EntityContext<number>) => {
          const value = ctx.getState(() => 0) ?? 0;
          if (ctx.operationName === 'add') ctx.setState(value + ctx.getInput<number>());
          else ctx.return(value);
        },
      },
    });
    const id = await runtime.client.startNew('Add');
    expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe(2);
    await runtime.client.signalEntity(new EntityId('COUNTER', 'c1'), 'add', 3);
    await expect.poll(async () => (await runtime.client.readEntityState(new EntityId('counter', 'c1'))).entityState, { timeout: 10_000 }).toBe(5);
  });
});
