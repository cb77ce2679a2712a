// The error classes: stable names and codes, recognised by brand across copies of core, and NonDeterminismError's fields.
import { describe, expect, it, vi } from 'vitest';
import * as core from '@reprise/core';
import { NonDeterminismError, RepriseError, isRepriseError } from '@reprise/core';
import type { HistoryEvent, OrchestrationContext } from '@reprise/core';
import { OrchestrationExecutor } from '@reprise/core/internal';

const CLASSES = {
  InvalidArgumentError: 'INVALID_ARGUMENT',
  UnknownOrchestratorError: 'UNKNOWN_ORCHESTRATOR',
  UnknownActivityError: 'UNKNOWN_ACTIVITY',
  UnknownEntityError: 'UNKNOWN_ENTITY',
  InstanceNotFoundError: 'INSTANCE_NOT_FOUND',
  InstanceExistsError: 'INSTANCE_EXISTS',
  InstanceCompletedError: 'INSTANCE_COMPLETED',
  InvalidStateError: 'INVALID_STATE',
  NotSerializableError: 'NOT_SERIALIZABLE',
  PayloadTooLargeError: 'PAYLOAD_TOO_LARGE',
  HistoryTooLongError: 'HISTORY_TOO_LONG',
  MaxDeliveriesExceededError: 'MAX_DELIVERIES',
  LeaseLostError: 'LEASE_LOST',
  TimeoutError: 'TIMEOUT',
  LockingRulesError: 'LOCKING_RULES',
  StorageError: 'STORAGE',
} as const;

type SimpleErrorClass = new (message: string, options?: { cause?: unknown }) => RepriseError;

describe('error classes', () => {
  it.each(Object.entries(CLASSES))('%s has its stable name and code, and is a RepriseError', (name, code) => {
    const Class = (core as unknown as Record<string, SimpleErrorClass>)[name]!;
    const cause = new Error('underneath');
    const error = new Class('what happened', { cause });
    expect(Class.name).toBe(name);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe('what happened');
    expect(error.cause).toBe(cause);
    expect(error.stack?.startsWith(`${name}: what happened`)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(RepriseError);
    expect(isRepriseError(error)).toBe(true);
    expect(isRepriseError(error, code)).toBe(true);
    expect(isRepriseError(error, code === 'STORAGE' ? 'TIMEOUT' : 'STORAGE')).toBe(false);
    // The brand is not an own, enumerable field: it does not show in logs, JSON or toEqual.
    expect(Object.keys(error)).toEqual(['code']);
  });

  it('has no TASK_FAILED code: a failed task is a TaskFailedError carrying the original error, not a RepriseError', () => {
    const failed = new core.TaskFailedError({ name: 'PaymentDeclined', message: 'card expired', code: 'DECLINED' });
    expect(isRepriseError(failed)).toBe(false);
  });

  it('lets other packages subclass RepriseError with their own code', () => {
    class QuotaError extends RepriseError<'QUOTA'> {
      constructor(message: string) {
        super('QUOTA', message);
        this.name = 'QuotaError';
      }
    }
    const error = new QuotaError('over quota');
    expect(isRepriseError(error, 'QUOTA')).toBe(true);
    expect(isRepriseError(error, 'STORAGE')).toBe(false);
  });
});

describe('isRepriseError across copies of @reprise/core', () => {
  it('recognises an error made by a second module instance, where instanceof answers false', async () => {
    vi.resetModules();
    const second = await import('../src/errors.js');
    vi.resetModules();
    expect(second.LeaseLostError).not.toBe(core.LeaseLostError);
    const foreign = new second.LeaseLostError('another worker took the lease');
    expect(foreign instanceof core.LeaseLostError).toBe(false);
    expect(foreign instanceof core.RepriseError).toBe(false);
    expect(isRepriseError(foreign)).toBe(true);
    expect(isRepriseError(foreign, 'LEASE_LOST')).toBe(true);
    expect(isRepriseError(foreign, 'STORAGE')).toBe(false);
    // And the other way round: the second copy's guard knows this copy's errors.
    expect(second.isRepriseError(new core.InstanceNotFoundError('gone'), 'INSTANCE_NOT_FOUND')).toBe(true);
  });

  it('recognises any object with the Symbol.for brand and a string code, and nothing else', () => {
    const branded = Object.assign(new Error('made elsewhere'), { code: 'INSTANCE_EXISTS', [Symbol.for('reprise.error')]: true });
    expect(isRepriseError(branded, 'INSTANCE_EXISTS')).toBe(true);
    expect(isRepriseError(Object.assign(new Error('no brand'), { code: 'INSTANCE_EXISTS' }))).toBe(false);
    expect(isRepriseError(Object.assign(new Error('no code'), { [Symbol.for('reprise.error')]: true }))).toBe(false);
    expect(isRepriseError({ [Symbol.for('reprise.error')]: 'yes', code: 'STORAGE' })).toBe(false);
    for (const value of [undefined, null, 'LEASE_LOST', 42, new Error('plain')]) expect(isRepriseError(value)).toBe(false);
  });
});

describe('NonDeterminismError', () => {
  const at = '2024-01-01T00:00:00.000Z';
  const started: HistoryEvent = { EventType: 'ExecutionStarted', Timestamp: at, Name: 'Order', ExecutionId: 'e1' };

  function replay(history: HistoryEvent[], fn: (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>): unknown {
    const executor = new OrchestrationExecutor('order-1', fn, { maxPayloadBytes: Infinity });
    executor.apply(history, true);
    const outcome = executor.outcome;
    if (outcome.status !== 'failed') throw new Error(`expected a failed outcome, got ${outcome.status}`);
    expect(outcome.failure.name).toBe('NonDeterminismError');
    return outcome.error;
  }

  it('names what the history recorded, what the code produced and the sequence number, as fields', () => {
    const error = replay([started, { EventType: 'TaskScheduled', Timestamp: at, EventId: 0, Name: 'Reserve' }, { EventType: 'TaskCompleted', Timestamp: at, TaskScheduledId: 0 }, { EventType: 'TaskScheduled', Timestamp: at, EventId: 1, Name: 'Charge' }], function* (ctx) {
      yield ctx.callActivity('Reserve');
      yield ctx.callActivity('Refund');
    });
    expect(error).toBeInstanceOf(NonDeterminismError);
    if (!isRepriseError(error, 'NONDETERMINISM')) throw new Error('not a NonDeterminismError');
    expect(error.expected).toBe("callActivity('Charge') #1");
    expect(error.actual).toBe("callActivity('Refund') #1");
    expect(error.sequence).toBe(1);
    expect(error.message).toContain(`history recorded ${error.expected} but the code now produced ${error.actual}`);
  });

  it("reports 'no action' when the code no longer creates the recorded one", () => {
    const error = replay([started, { EventType: 'TimerCreated', Timestamp: at, EventId: 0, FireAt: at }], function* (ctx) {
      yield ctx.waitForExternalEvent('Go');
    });
    expect(error).toMatchObject({ code: 'NONDETERMINISM', expected: 'createTimer #0', actual: 'no action', sequence: 0 });
  });

  it('takes the fields when built directly', () => {
    const error = new NonDeterminismError('diverged', { expected: 'createTimer #3', actual: "callActivity('A') #3", sequence: 3 });
    expect(error).toMatchObject({ name: 'NonDeterminismError', code: 'NONDETERMINISM', expected: 'createTimer #3', actual: "callActivity('A') #3", sequence: 3 });
  });
});
