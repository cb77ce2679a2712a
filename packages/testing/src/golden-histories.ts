/**
 * Golden histories: `exportHistories` writes recorded histories from a store
 * to files (one JSON file per instance, in the getStatus form replayHistory
 * reads), and `replayHistories` replays every file of a directory against
 * the current code, so a repository keeps the histories of its important
 * orchestrators and CI fails when a code change breaks them.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, isRepriseError } from '@reprise/core';
import type { OrchestratorFunction, OrchestratorRegistration, Registry, Storage } from '@reprise/core';
import { renderHistory } from '@reprise/core/internal';
import { replayHistory } from './replay-history.js';
import type { ReplaySummary } from './replay-history.js';

export interface ExportHistoriesOptions {
  storage: Storage;
  /** @default 'default' */
  taskHub?: string;
  /** Where the files go (created when missing). */
  dir: string;
  /** The instances to export. @default every orchestration in the hub */
  instanceIds?: string[];
}

/** Writes `<dir>/<instanceId>.json` per instance; returns the paths written. */
export async function exportHistories(options: ExportHistoriesOptions): Promise<string[]> {
  if (!options?.storage || typeof options.dir !== 'string' || options.dir.length === 0) throw new InvalidArgumentError('exportHistories needs { storage, dir, taskHub?, instanceIds? }');
  const hub = options.taskHub ?? 'default';
  const ids = options.instanceIds ?? (await allOrchestrations(options.storage, hub));
  await mkdir(options.dir, { recursive: true });
  const written: string[] = [];
  for (const instanceId of ids) {
    const record = await options.storage.getInstance(hub, instanceId);
    if (!record || record.kind !== 'orchestration') throw new InvalidArgumentError(`exportHistories: no orchestration '${instanceId}' in hub '${hub}'`);
    const history = await options.storage.getHistory(hub, instanceId);
    const file = join(options.dir, `${encodeURIComponent(instanceId)}.json`);
    const body = { instanceId, name: record.name, ...(record.version !== undefined && { version: record.version }), history: renderHistory(history, true) };
    await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

async function allOrchestrations(storage: Storage, hub: string): Promise<string[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await storage.queryInstances(hub, { kind: 'orchestration', pageSize: 1000, ...(continuationToken !== undefined && { continuationToken }) });
    ids.push(...page.instances.map((r) => r.instanceId));
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return ids;
}

export interface ReplayHistoriesResult {
  /** Files replayed cleanly. */
  passed: Array<{ file: string; summary: ReplaySummary }>;
  /** Files whose history the code no longer reproduces. */
  failed: Array<{ file: string; error: Error }>;
}

/**
 * Replays every `.json` file of `dir` against `orchestrators` (name →
 * generator). Rejects with the first divergence's NonDeterminismError (its
 * message names the file) unless `{ collect: true }`, which returns them all.
 */
export async function replayHistories(dir: string, orchestrators: Registry<OrchestratorRegistration>, options: { collect?: boolean } = {}): Promise<ReplayHistoriesResult> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new InvalidArgumentError(`replayHistories: no .json history files in '${dir}'`);
  const result: ReplayHistoriesResult = { passed: [], failed: [] };
  for (const name of files) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    const parsed = JSON.parse(text) as { name?: unknown };
    if (typeof parsed.name !== 'string') throw new InvalidArgumentError(`replayHistories: '${file}' has no orchestrator name (write it with exportHistories)`);
    try {
      const summary = await replayHistory({ orchestrators: orchestrators as Registry<OrchestratorFunction> }, parsed.name, text);
      result.passed.push({ file, summary });
    } catch (error) {
      if (!isRepriseError(error, 'NONDETERMINISM')) throw error;
      error.message = `${file}: ${error.message}`;
      if (!options.collect) throw error;
      result.failed.push({ file, error });
    }
  }
  return result;
}
