/**
 * checkCompatibility: the pre-deploy check. Replays every non-terminal
 * orchestration of a store (or a sample) against the orchestrator code about
 * to ship, exactly as a runtime would replay it after the deploy, and says
 * which live runs the change would break. Read-only: it only reads rows and
 * histories (queries, getHistory), never leases or writes.
 */
import { InvalidArgumentError, isRepriseError } from '@reprise/core';
import type { HistoryEvent, InstanceRecord, OrchestratorFunction, OrchestratorRegistration, Registry, RuntimeStatus, Storage } from '@reprise/core';
import { replayRecorded, toRegistryMap } from '@reprise/core/internal';

const LIVE: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];

export interface CheckCompatibilityOptions {
  storage: Storage;
  /** @default 'default' (the runtime's default hub) */
  taskHub?: string;
  /** The code to check: what `createRuntime({ orchestrators })` takes. */
  orchestrators: Registry<OrchestratorRegistration>;
  /** Check exactly this many non-terminal instances (spread over the store), instead of all. */
  sample?: number;
  /** Only these namespaces. @default every namespace */
  namespaces?: string[];
}

export interface CompatibilityDivergence {
  instanceId: string;
  orchestrator: string;
  /** Sequence number of the action where code and history part. */
  at: number;
  /** What the history records, e.g. `callActivity('Charge') #2`. */
  expected: string;
  /** What the code does instead. */
  got: string;
  /** The same readable text replayHistory's error carries (with the history event's index). */
  source?: string;
}

export interface CompatibilityReport {
  /** Non-terminal instances replayed. */
  checked: number;
  compatible: number;
  diverged: CompatibilityDivergence[];
  /** Instances whose orchestrator the code does not have (not replayed, not counted in `checked`). */
  unknownOrchestrators: Array<{ instanceId: string; orchestrator: string }>;
}

export async function checkCompatibility(options: CheckCompatibilityOptions): Promise<CompatibilityReport> {
  if (!options || typeof options !== 'object' || !options.storage) throw new InvalidArgumentError('checkCompatibility needs { storage, orchestrators, taskHub? }');
  const { storage } = options;
  const hub = options.taskHub ?? 'default';
  const code = toRegistryMap<OrchestratorFunction>(options.orchestrators);
  if (options.sample !== undefined && (!Number.isInteger(options.sample) || options.sample < 1)) throw new InvalidArgumentError(`sample must be a positive integer, got ${String(options.sample)}`);
  if (options.namespaces !== undefined && (!Array.isArray(options.namespaces) || options.namespaces.some((n) => typeof n !== 'string'))) {
    throw new InvalidArgumentError('namespaces must be an array of namespace names');
  }
  let live = await liveInstances(storage, hub, options.namespaces);
  if (options.sample !== undefined && options.sample < live.length) live = spread(live, options.sample);
  const report: CompatibilityReport = { checked: 0, compatible: 0, diverged: [], unknownOrchestrators: [] };
  for (const record of live) {
    const fn = code.get(record.name);
    if (!fn) {
      report.unknownOrchestrators.push({ instanceId: record.instanceId, orchestrator: record.name });
      continue;
    }
    report.checked += 1;
    const history: HistoryEvent[] = record.historyLength > 0 ? await storage.getHistory(hub, record.instanceId) : [];
    try {
      replayRecorded(record.instanceId, record.name, fn, history);
      report.compatible += 1;
    } catch (error) {
      if (!isRepriseError(error, 'NONDETERMINISM')) throw error;
      report.diverged.push({ instanceId: record.instanceId, orchestrator: record.name, at: error.sequence, expected: error.expected, got: error.actual, source: error.message });
    }
  }
  return report;
}

async function liveInstances(storage: Storage, hub: string, namespaces: string[] | undefined): Promise<InstanceRecord[]> {
  const all: InstanceRecord[] = [];
  for (const namespace of namespaces ?? [undefined]) {
    let continuationToken: string | undefined;
    do {
      const page = await storage.queryInstances(hub, {
        kind: 'orchestration',
        runtimeStatus: LIVE,
        pageSize: 1000,
        ...(namespace !== undefined && { namespace }),
        ...(continuationToken !== undefined && { continuationToken }),
      });
      all.push(...page.instances);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }
  return all;
}

/** `n` of `items`, evenly spread, deterministic (the same store gives the same sample). */
function spread<T>(items: readonly T[], n: number): T[] {
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/** The report as text, for a CLI or a CI log. */
export function formatCompatibilityReport(report: CompatibilityReport): string {
  const lines = [`checked ${report.checked} in-flight instance(s): ${report.compatible} compatible, ${report.diverged.length} diverged`];
  for (const d of report.diverged) {
    lines.push('', `instance '${d.instanceId}' (${d.orchestrator}) diverges at #${d.at}:`, `  expected: ${d.expected}`, `  got:      ${d.got}`);
  }
  if (report.unknownOrchestrators.length > 0) {
    lines.push('', `${report.unknownOrchestrators.length} instance(s) of orchestrators the code does not have: ${[...new Set(report.unknownOrchestrators.map((u) => u.orchestrator))].join(', ')}`);
  }
  return lines.join('\n');
}
