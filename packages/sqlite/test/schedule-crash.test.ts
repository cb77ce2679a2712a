// Real processes on one file: three workers fire one schedule; a worker
// SIGKILLs itself right after creating a run, before its firing activity
// completes (twice over). Another worker redelivers that firing and finds the
// run started: every due time still starts exactly one run, none is lost.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { exitOf, forkFixture } from './helpers.js';

const WORKERS = 3;
const KILLS = 2;
const LEASE_MS = 1000;
const HUB = 'schedule-crash';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-schedule-crash-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exitOf));
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readStarts(path: string): Array<{ worker: string; runId: string }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [worker, runId] = line.split(' ');
      return { worker: worker!, runId: runId! };
    });
}

describe('schedule firing with a worker killed (real processes)', () => {
  it('a worker SIGKILLed between starting a run and completing its firing: exactly one run per due time', async () => {
    const path = join(dir, 'schedules.db');
    const startsLog = join(dir, 'starts.log');
    const client = sqliteStorage({ path });
    await client.open();
    for (let i = 0; i < WORKERS; i++) children.push(forkFixture('schedule-worker.ts', [path, startsLog, `w${i}`, String(LEASE_MS), HUB, String(KILLS)]));
    await Promise.all(children.map((child) => new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    })));

    const runtime = createRuntime({ storage: client, taskHub: HUB, leaseMs: LEASE_MS, logger: () => {}, orchestrators: { Job: function* (ctx: OrchestrationContext) { return ctx.instanceId; } } });
    const startAt = Date.now() + 500;
    await runtime.client.schedules.create({ scheduleId: 'nightly', orchestrator: 'Job', every: 1000, startAt: new Date(startAt), overlap: 'allow', catchUp: 'all' });

    // Until both kills happened and a few due times passed after them.
    const deadline = Date.now() + 40_000;
    while (children.filter((c) => c.signalCode === 'SIGKILL').length < KILLS || Date.now() < startAt + 7000) {
      if (Date.now() > deadline) throw new Error('the kills did not happen in time');
      await sleep(50);
    }
    await sleep(3000);
    const survivor = children.find((c) => c.exitCode === null && c.signalCode === null)!;
    const [schedule] = (await runtime.client.schedules.list()).schedules;
    await runtime.client.schedules.pause('nightly').catch(() => undefined);
    survivor.send('stop');
    await exitOf(survivor);

    const starts = readStarts(startsLog);
    const killedWorkers = new Set(starts.slice(0, KILLS).map((s) => s.worker));
    expect(killedWorkers.size).toBe(KILLS); // each kill landed on a different worker, right after a start
    const ids = starts.map((s) => s.runId);
    expect(new Set(ids).size).toBe(ids.length); // no run id started twice
    const dues = ids.map((id) => Date.parse(id.slice('nightly@'.length))).sort((a, b) => a - b);
    expect(dues.length).toBeGreaterThanOrEqual(7);
    expect(dues).toEqual(dues.map((_, k) => startAt + k * 1000)); // no due time lost
    const runs = await runtime.client.getStatusBy({ scheduleId: 'nightly' });
    expect(runs.map((r) => r.instanceId).sort()).toEqual([...ids].sort());
    expect(schedule!.lastRuns.length).toBeGreaterThan(0);
    await client.close();
  });
});
