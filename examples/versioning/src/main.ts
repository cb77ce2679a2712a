// Runs the deploy of docs/versioning.md on a SQLite file in a temporary directory, prints what happened, and exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy } from './deploy.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-versioning-'));
try {
  await deploy(join(dir, 'orders.db'), (line) => console.log(line));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
