import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStorageConformance } from '@reprise/testing/conformance';
import type { Storage } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';

const dirs = new WeakMap<Storage, string>();

describeStorageConformance('sqlite', {
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-'));
    const storage = sqliteStorage({ path: join(dir, 'reprise.db') });
    dirs.set(storage, dir);
    return storage;
  },
  destroy: (storage) => rmSync(dirs.get(storage)!, { recursive: true, force: true }),
});
