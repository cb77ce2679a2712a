/**
 * sqliteStorage's `onError` (issue 13, point 6): what a subscriber throws
 * (once a process warning) and a failing check for other processes' commits
 * (once silent, retried forever) reach the one handler; nothing is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, StorageError, isRepriseError } from '@reprise/core';
import type { ErrorHandler, StorageNotice } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { ev, message, orchestrationRecord } from '@reprise/testing/conformance';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-on-error-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('sqlite: onError', () => {
  it('receives what a subscriber threw; the commit succeeds, the other subscribers hear the notice', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const warning = vi.fn();
    process.on('warning', warning);
    const received: unknown[] = [];
    const storage = sqliteStorage({ path: join(dir, 'listener.db'), onError: (error) => received.push(error) });
    const failure = new Error('a listener bug');
    const heard: StorageNotice[] = [];
    try {
      storage.subscribe('hub', () => {
        throw failure;
      });
      storage.subscribe('hub', (notice) => heard.push(notice));
      const record = orchestrationRecord('x');
      const start = message('x', ev.started());
      await storage.createInstance('hub', record, start);

      expect(received.length).toBeGreaterThan(0);
      expect(received.every((e) => e === failure)).toBe(true);
      expect(heard).toContainEqual({ type: 'orchestration-work' });
      expect(await storage.getInstance('hub', 'x')).toMatchObject({ status: 'Pending' });
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
      expect(warning).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      process.off('warning', warning);
      await storage.close();
    }
  });

  it("without onError, what a subscriber threw goes to console.error with the '[reprise/sqlite]' prefix", async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const storage = sqliteStorage({ path: join(dir, 'default.db') });
    const failure = new Error('a listener bug');
    try {
      storage.subscribe('hub', () => {
        throw failure;
      });
      const record = orchestrationRecord('x');
      const start = message('x', ev.started());
      await storage.createInstance('hub', record, start);
      expect(consoleError).toHaveBeenCalledWith('[reprise/sqlite]', failure);
    } finally {
      await storage.close();
    }
  });

  it("a failing check for another process's commits is reported once, as a StorageError, and watching resumes after", async () => {
    const consoleError = vi.spyOn(console, 'error');
    const path = join(dir, 'poll.db');
    const received: unknown[] = [];
    const onError: ErrorHandler = (error) => received.push(error);
    const storage = sqliteStorage({ path, onError, minPollIntervalMs: 2, pollIntervalMs: 10 });
    const heard: StorageNotice[] = [];
    // Another process's connection (a raw one, as another version of the library might hold).
    const other = new Database(path);
    try {
      await storage.open();
      storage.subscribe('hub', (notice) => heard.push(notice));
      // The check reads the instances table: take it away, so the next check fails.
      other.exec('ALTER TABLE instances RENAME TO instances_elsewhere');
      heard.length = 0;
      await until(() => received.length > 0, 'the check failure');
      await new Promise((resolve) => setTimeout(resolve, 100)); // many more checks
      other.exec('ALTER TABLE instances_elsewhere RENAME TO instances');

      expect(received).toHaveLength(1);
      const error = received[0] as StorageError;
      expect(error).toBeInstanceOf(StorageError);
      expect(isRepriseError(error, 'STORAGE')).toBe(true);
      expect(error.message).toMatch(/no such table: instances/);

      // Watching goes on: the other connection's commit (the rename back) is heard, by polling alone.
      await until(() => heard.some((n) => n.type === 'orchestration-work'), 'a notice after the failure');
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      other.close();
      await storage.close();
    }
  });

  it('refuses an onError that is not a function', () => {
    expect(() => sqliteStorage({ path: join(dir, 'x.db'), onError: 'log' as unknown as ErrorHandler })).toThrow(InvalidArgumentError);
  });
});
