/**
 * Counts and list pages at 10,000 and 100,000 instances (issue 20): for
 * every filter the client offers, t(100k) / t(10k) must stay ≤ 2, because
 * counters and indices are kept in the same transaction as each change.
 *
 *   node --import tsx --conditions=@reprise/source queries.ts --only memory,sqlite,redis [--calls 15]
 *
 * Each adapter gets one hub, filled through the storage API in batches of
 * 1,000 concurrent `createInstance` calls (untimed): mixed statuses, 5
 * names, 10 namespaces, one instance per simulated second (so a created
 * range of one hour holds 3,600 instances at either size, as it would in a
 * store that grows by keeping more history). At 10k, then after adding
 * 90k more, it times `countInstances`, the first page (pageSize 100) and a
 * later page (the 2nd, through the first page's continuation token) per filter:
 * the median of `--calls` calls after 3 warm-up calls. Queries go straight
 * to the store, with `kind: 'orchestration'` as the client sends them.
 * Prints the table and writes it into RESULTS.md between the
 * `queries:start` / `queries:end` markers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execSync } from 'node:child_process';
import type { CountQuery, InstanceRecord, RuntimeStatus, Storage } from '@reprise/core';
import { availableAdapters } from './adapters.js';
import { medianCallMs } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('only')?.split(',');
const CALLS = Number(option('calls') ?? 15);
const SIZES = [10_000, 100_000];
const HUB = 'queries';
const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** A mix close to a live system: most instances done, some running, a few pending or failed. */
const STATUS_MIX: RuntimeStatus[] = ['Completed', 'Completed', 'Completed', 'Completed', 'Completed', 'Completed', 'Running', 'Running', 'Pending', 'Failed'];

function recordOf(i: number): InstanceRecord {
  const createdAt = T0 + i * SECOND;
  return {
    instanceId: `q-${String(i).padStart(7, '0')}`,
    kind: 'orchestration',
    // Namespace, status and name vary independently (i's last digit, its tens, its hundreds).
    name: `Flow${Math.floor(i / 100) % 5}`,
    executionId: `e${i}`,
    status: STATUS_MIX[Math.floor(i / 10) % STATUS_MIX.length]!,
    createdAt,
    updatedAt: createdAt,
    historyLength: 0,
    namespace: `ns${i % 10}`,
  };
}

async function fill(storage: Storage, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, to - start) }, (_, j) => {
        const record = recordOf(start + j);
        const started = { EventType: 'ExecutionStarted', Timestamp: new Date(record.createdAt).toISOString(), Name: record.name, ExecutionId: record.executionId } as const;
        return storage.createInstance(HUB, record, { instanceId: record.instanceId, event: started });
      }),
    );
  }
}

/** The filters the client offers (and the HTTP documents combine), at a given size. */
function filters(size: number): Array<{ name: string; query: CountQuery }> {
  const lastHour = { createdFrom: T0 + (size - 1) * SECOND - HOUR + SECOND, createdTo: T0 + (size - 1) * SECOND };
  const o = { kind: 'orchestration' } as const;
  return [
    { name: 'none', query: { ...o } },
    { name: 'status', query: { ...o, runtimeStatus: ['Running'] } },
    { name: 'statuses (2)', query: { ...o, runtimeStatus: ['Pending', 'Running'] } },
    { name: 'name', query: { ...o, name: 'Flow3' } },
    { name: 'namespace', query: { ...o, namespace: 'ns3' } },
    { name: 'created (last hour)', query: { ...o, ...lastHour } },
    { name: 'namespace + status', query: { ...o, namespace: 'ns3', runtimeStatus: ['Running'] } },
    { name: 'namespace + statuses (2)', query: { ...o, namespace: 'ns3', runtimeStatus: ['Pending', 'Failed'] } },
    { name: 'status + created', query: { ...o, runtimeStatus: ['Completed'], ...lastHour } },
  ];
}

const median = (call: () => Promise<unknown>) => medianCallMs(call, CALLS, 3);

type Timings = Record<string, { count: number; first: number; later: number }>;

async function measure(storage: Storage, size: number): Promise<Timings> {
  const out: Timings = {};
  for (const { name, query } of filters(size)) {
    const later = (await storage.queryInstances(HUB, { ...query, pageSize: 100 })).continuationToken;
    out[name] = {
      count: await median(() => storage.countInstances(HUB, query)),
      first: await median(() => storage.queryInstances(HUB, { ...query, pageSize: 100 })),
      later: later === undefined ? Number.NaN : await median(() => storage.queryInstances(HUB, { ...query, pageSize: 100, continuationToken: later })),
    };
  }
  return out;
}

const rows: string[][] = [];
const adapters = await availableAdapters(only);
for (const adapter of adapters) {
  const storage = await adapter.create();
  await storage.open();
  try {
    const bySize: Timings[] = [];
    let filled = 0;
    for (const size of SIZES) {
      const start = performance.now();
      await fill(storage, filled, size);
      filled = size;
      console.log(`[queries] ${adapter.name}: ${size} instances (filled in ${((performance.now() - start) / 1000).toFixed(1)} s)`);
      bySize.push(await measure(storage, size));
    }
    for (const { name } of filters(SIZES[0]!)) {
      for (const op of ['count', 'first', 'later'] as const) {
        const small = bySize[0]![name]![op];
        const large = bySize[1]![name]![op];
        const label = { count: 'count', first: 'first page', later: '2nd page (token)' }[op];
        rows.push([adapter.name, name, label, small.toFixed(3), large.toFixed(3), (large / small).toFixed(2)]);
      }
    }
  } finally {
    await storage.close();
    await adapter.dispose?.();
  }
}

const HEADER = ['adapter', 'filter', 'call', 't10k ms', 't100k ms', 'ratio'];
const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log([HEADER, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'));

const START = '<!-- queries:start (written by `node --import tsx --conditions=@reprise/source queries.ts`) -->';
const END = '<!-- queries:end -->';
const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const section = [
  START,
  '## Counts and pages at 10k and 100k instances',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} at commit \`${commit}\` with \`queries.ts --only ${adapters.map((a) => a.name).join(',')}\` (sources). One hub per adapter filled through the storage API: statuses 60 % Completed, 20 % Running, 10 % Pending, 10 % Failed; 5 names; 10 namespaces; one instance per simulated second (so "last hour" holds 3,600 instances at either size). Median of ${CALLS} calls after 3 warm-up calls, straight to the store with \`kind: 'orchestration'\` as the client sends it. Target (issue 20): ratio ≤ 2 on every row. Load average (1 min) at the end: ${(await import('node:os')).loadavg()[0]!.toFixed(2)}.`,
  '',
  `| ${HEADER.join(' | ')} |`,
  `| ${HEADER.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  END,
].join('\n');
// A partial run (some adapters) prints its table but leaves RESULTS.md as it was.
if (['memory', 'sqlite', 'redis'].some((name) => !adapters.some((a) => a.name === name))) {
  console.log('(partial run: RESULTS.md not written)');
  process.exit(0);
}
const file = join(here, 'RESULTS.md');
const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
const from = existing.indexOf('<!-- queries:start');
const to = existing.indexOf(END);
writeFileSync(file, from >= 0 && to >= 0 ? `${existing.slice(0, from)}${section}${existing.slice(to + END.length)}` : `${existing.trimEnd()}\n\n${section}\n`);
console.log('wrote the queries section of benchmarks/RESULTS.md');
process.exit(0);
