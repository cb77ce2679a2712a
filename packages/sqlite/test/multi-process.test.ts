// Several storages, and several processes, on one file: notices reach every subscriber.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageNotice } from '@reprise/core';
import { eventually, startInstance } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';
import { exitOf, forkFixture } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-mp-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('notices across storages and processes', () => {
  it('storages on the same file in one process hear each other at once, without polling', async () => {
    const path = join(dir, 'same-process.db');
    // Polling so slow it cannot be what delivers the notices.
    const a = sqliteStorage({ path, pollIntervalMs: 60_000, minPollIntervalMs: 60_000 });
    const b = sqliteStorage({ path: join(dir, '.', 'same-process.db'), pollIntervalMs: 60_000, minPollIntervalMs: 60_000 });
    await Promise.all([a.open(), b.open()]);
    const heard: StorageNotice[] = [];
    const off = b.subscribe('hub', (n) => heard.push(n));
    try {
      await startInstance(a, 'hub', 'x');
      expect(heard).toContainEqual({ type: 'instance-updated', instanceId: 'x', status: 'Pending' });
      expect(heard).toContainEqual({ type: 'orchestration-work' });
    } finally {
      off();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("another process's commit wakes subscribers (work and instance-updated), and its poll timer does not keep it alive", async () => {
    const path = join(dir, 'cross-process.db');
    const storage = sqliteStorage({ path, pollIntervalMs: 100 });
    await storage.open();
    const heard: StorageNotice[] = [];
    const off = storage.subscribe('hub', (n) => heard.push(n));
    try {
      const child = forkFixture('writer.ts', [path, 'hub', 'from-child']);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      // The child subscribed and closed without unsubscribing: it must still exit by itself.
      expect(await exitOf(child)).toBe(0);
      clearTimeout(timer);
      await eventually(() => heard.some((n) => n.type === 'instance-updated' && n.instanceId === 'from-child'), { timeoutMs: 2_000 });
      expect(heard).toContainEqual({ type: 'instance-updated', instanceId: 'from-child', status: 'Pending' });
      expect(heard).toContainEqual({ type: 'orchestration-work' });
      expect(heard).toContainEqual({ type: 'activity-work' });
      expect((await storage.getInstance('hub', 'from-child'))?.name).toBe('FromChild');
    } finally {
      off();
      await storage.close();
    }
  });
});
