import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { deploy } from '../src/deploy.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-example-versioning-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('the check finds the orders the unpatched code breaks; with the patch, old orders keep their path and new ones get the fraud check', async () => {
  const lines: string[] = [];
  const result = await deploy(join(dir, 'orders.db'), (line) => lines.push(line));
  expect(result.brokenByUnpatched).toEqual(['A-1', 'A-2']);
  expect(result.brokenByPatched).toEqual([]);
  expect(result.orders).toEqual([
    { instanceId: 'A-1', version: '1.0.0', steps: ['reserved A-1', 'charged A-1', 'shipped A-1'], patchMarkers: [] },
    { instanceId: 'A-2', version: '1.0.0', steps: ['reserved A-2', 'charged A-2', 'shipped A-2'], patchMarkers: [] },
    { instanceId: 'B-1', version: '1.1.0', steps: ['reserved B-1', 'fraud-checked B-1', 'charged B-1', 'shipped B-1'], patchMarkers: ['fraud-check'] },
  ]);
  expect(lines.join('\n')).toContain("instance 'A-1' (Order) diverges at #1:");
});
