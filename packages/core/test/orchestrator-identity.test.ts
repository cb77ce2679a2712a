// Orchestrators by id: stable derived ids, explicit ids and metadata, runtime.describeOrchestrators(),
// clashes and bad options refused with InvalidArgumentError.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRuntime, defineOrchestrator, orchestratorIdOf } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { startRuntime } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const body = function* (ctx: OrchestrationContext<string>) {
  return ctx.getInput();
};

describe('orchestrator ids', () => {
  it('derives a v5-style UUID from the name: the same in every call and process, different per name', () => {
    const a = defineOrchestrator('Billing', body);
    expect(a.id).toMatch(UUID);
    expect(a.id).toBe(orchestratorIdOf('Billing'));
    expect(defineOrchestrator('Billing', body).id).toBe(a.id);
    expect(orchestratorIdOf('billing')).not.toBe(a.id);
    // Stable across processes and releases: a pure function of the name, pinned so a change of derivation is noticed.
    expect(a.id).toBe('efcbc20f-2c76-5156-99e8-57af0e6514ce');
  });

  it('keeps a given id, description and userType', () => {
    const h = defineOrchestrator('Import', body, { id: 'b07990cf-c64d-4cc4-a0bc-02a4daf0510d', description: 'Imports a file', userType: 'test_instant' });
    expect(h).toMatchObject({ id: 'b07990cf-c64d-4cc4-a0bc-02a4daf0510d', description: 'Imports a file', userType: 'test_instant' });
  });

  it.each([
    ['an empty id', { id: '' }],
    ['a dot-segment id', { id: '..' }],
    ['a non-string id', { id: 7 }],
    ['a non-string description', { description: 1 }],
    ['a non-string userType', { userType: {} }],
  ])('refuses %s with InvalidArgumentError', (_label, options) => {
    expect(() => defineOrchestrator('X', body, options as never)).toThrow(InvalidArgumentError);
  });
});

describe('runtime.describeOrchestrators()', () => {
  it('lists handles and plain functions with ids and metadata, in registration order, without the runtime’s own', async () => {
    const imported = defineOrchestrator('Import', body, { id: 'imp-1', description: 'Imports', userType: 'etl' });
    const runtime = await startRuntime({ orchestrators: [imported, defineOrchestrator('Plain', body)] });
    expect(runtime.describeOrchestrators()).toEqual([
      { id: 'imp-1', name: 'Import', description: 'Imports', userType: 'etl' },
      { id: orchestratorIdOf('Plain'), name: 'Plain' },
    ]);
    const record = createRuntime({ storage: memoryStorage(), orchestrators: { Fn: body, Named: imported } });
    expect(record.describeOrchestrators()).toEqual([
      { id: orchestratorIdOf('Fn'), name: 'Fn' },
      { id: 'imp-1', name: 'Named', description: 'Imports', userType: 'etl' },
    ]);
    // A copy: changing it changes nothing.
    record.describeOrchestrators()[0]!.id = 'changed';
    expect(record.describeOrchestrators()[0]!.id).toBe(orchestratorIdOf('Fn'));
  });

  it('refuses two orchestrators with the same id at createRuntime', () => {
    const a = defineOrchestrator('A', body, { id: 'same' });
    const b = defineOrchestrator('B', body, { id: 'same' });
    expect(() => createRuntime({ storage: memoryStorage(), orchestrators: [a, b] })).toThrow(InvalidArgumentError);
  });
});
