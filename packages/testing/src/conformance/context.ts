/**
 * Shared state and helpers of the conformance suite: the storage under test,
 * lease timings, and small helpers to lock, start and inspect instances.
 */
import { expect } from 'vitest';
import type { InstanceRecord, LockedInstance, ActivityWorkItem, Storage, StorageNotice, SubscribeOptions } from '@reprise/core';
import { ev, message, orchestrationRecord, commitFor, randomHub } from './builders.js';

export { eventually, sleep } from './polling.js';

export interface ConformanceOptions {
  /** A new storage object. The suite calls `open()` on it. */
  create: () => Storage | Promise<Storage>;
  /** Called after `close()` on every storage the suite created (delete files, flush keys...). */
  destroy?: (s: Storage) => Promise<void> | void;
}

export interface ConformanceContext {
  /** The opened storage shared by the tests of one suite (each test uses its own hub). */
  readonly storage: Storage;
  /** A fresh random task hub name. */
  hub(): string;
  readonly options: ConformanceOptions;
}

/** A lease that never runs out during a test. */
export const LONG_LEASE = 60_000;
/** A lease a test lets run out. */
export const SHORT_LEASE = 150;
/** How long to wait after taking a SHORT_LEASE before relying on its expiry: well past it, even on a loaded machine or a networked store. */
export const PAST_EXPIRY = 700;

export function createContext(options: ConformanceOptions): ConformanceContext & { set(s: Storage | undefined): void } {
  let current: Storage | undefined;
  return {
    get storage(): Storage {
      if (!current) throw new Error('the storage under test is not open (beforeAll failed?)');
      return current;
    },
    set(s) {
      current = s;
    },
    hub: randomHub,
    options,
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  let settled: { ok: true } | { ok: false; error: unknown };
  try {
    await promise;
    settled = { ok: true };
  } catch (error) {
    settled = { ok: false, error };
  }
  if (settled.ok) throw new Error('expected the call to be refused, but it succeeded');
  expect(settled.error).toBeInstanceOf(Error);
  return settled.error as Error & { code?: unknown };
}

export async function expectLeaseLost(promise: Promise<unknown>): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error.code).toBe('LEASE_LOST');
  expect(error.name).toBe('LeaseLostError');
}

/**
 * Calls that the contract calls "refused" but whose method returns nothing
 * (release, abandon with a stale token): resolving quietly or rejecting with
 * LEASE_LOST are both accepted. Anything else fails.
 */
export async function quietOrLeaseLost(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: unknown }).code).toBe('LEASE_LOST');
  }
}

/**
 * Locks everything lockable in the hub (calling until a call returns nothing,
 * since an adapter may hand out fewer than `max` at a time). Fails on a
 * duplicate. Returns the locks by instance id.
 */
export async function lockAll(s: Storage, hub: string, leaseMs: number = LONG_LEASE): Promise<Map<string, LockedInstance>> {
  const locks = new Map<string, LockedInstance>();
  for (;;) {
    const { items } = await s.lockInstances(hub, { max: 100, leaseMs });
    if (items.length === 0) return locks;
    for (const item of items) {
      expect(locks.has(item.instance.instanceId), `instance ${item.instance.instanceId} handed out twice`).toBe(false);
      locks.set(item.instance.instanceId, item);
    }
  }
}

/** Locks everything lockable and returns the lock of `instanceId` (which must be among them). */
export async function lockOne(s: Storage, hub: string, instanceId: string, leaseMs: number = LONG_LEASE): Promise<LockedInstance> {
  const locks = await lockAll(s, hub, leaseMs);
  const locked = locks.get(instanceId);
  expect(locked, `instance ${instanceId} should be lockable`).toBeDefined();
  return locked!;
}

/** Same for activity work items; returns them in the order handed out. */
export async function lockAllActivities(s: Storage, hub: string, leaseMs: number = LONG_LEASE): Promise<ActivityWorkItem[]> {
  const all: ActivityWorkItem[] = [];
  for (;;) {
    const { items } = await s.lockActivities(hub, { max: 100, leaseMs });
    if (items.length === 0) return all;
    for (const item of items) {
      expect(all.some((a) => a.id === item.id), `work item ${item.id} handed out twice`).toBe(false);
      all.push(item);
    }
  }
}

/** Creates an orchestration (status Pending, one ExecutionStarted message). */
export async function startInstance(s: Storage, hub: string, instanceId: string, overrides: Partial<InstanceRecord> = {}): Promise<InstanceRecord> {
  const record = orchestrationRecord(instanceId, overrides);
  const result = await s.createInstance(hub, record, message(instanceId, ev.started(record.name, record.input, record.executionId)));
  expect(result).toEqual({ created: true });
  return record;
}

/**
 * Creates an orchestration and commits its first episode: status Running,
 * history [ExecutionStarted], empty inbox, no lease. Only use in a hub where
 * no other instance has visible messages.
 */
export async function startAndRun(s: Storage, hub: string, instanceId: string, overrides: Partial<InstanceRecord> = {}): Promise<InstanceRecord> {
  await startInstance(s, hub, instanceId, overrides);
  const locked = await lockOne(s, hub, instanceId);
  const commit = commitFor(locked, { append: locked.messages.map((m) => m.event) });
  await s.commitOrchestration(hub, commit);
  return commit.instance;
}

export function collectNotices(s: Storage, hub: string, options?: SubscribeOptions): { notices: StorageNotice[]; off: () => void } {
  const notices: StorageNotice[] = [];
  const off = s.subscribe(hub, (notice) => notices.push(notice), options);
  return { notices, off };
}
