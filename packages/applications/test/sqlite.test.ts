import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { sqliteStorage } from '@reprise/sqlite';
import { applicationSuite } from './suite.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-apps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

applicationSuite('sqlite', () => sqliteStorage({ path: join(dir, `apps-${++files}.db`) }));
