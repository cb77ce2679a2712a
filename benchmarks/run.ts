/**
 * `pnpm bench`: the workloads of benchmarks/README.md (W1–W6) on every available
 * adapter, 3 runs after a warm-up, medians printed and written to
 * benchmarks/results/<date>.json and benchmarks/RESULTS.md. It measures the
 * built packages (dist/), as users run them; `pnpm bench` builds first.
 *
 * Options: --only memory,sqlite,redis   --workloads W1,W3   --runs 3
 *          --cpu-prof  (re-runs under `node --cpu-prof`; profiles in benchmarks/profiles/)
 *          --workers 1,2,4  (W6 process counts)
 *          --otel  (an OpenTelemetry SDK registered globally: the instrumentation's overhead, see otel.ts)
 *          --peers [--n 2000] [--peers-only dbos,bullmq-steps,...]  (W3 beside BullMQ and DBOS Transact only, see peers.ts)
 * E: entity signals (10,000 to one entity, and to 1,000 entities), operations per second.
 * Q1: 2,000 orchestrations in 20 concurrency groups of limit 5. Q2: counts and pages over 100,000 instances in 10 namespaces.
 */
import { spawnSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableAdapters } from './adapters.js';
import { measure } from './harness.js';
import type { Result, Workload } from './harness.js';
import { chain } from './workloads/w1-chain.js';
import { fanOut } from './workloads/w2-fanout.js';
import { throughput } from './workloads/w3-throughput.js';
import { timers } from './workloads/w4-timers.js';
import { events } from './workloads/w5-events.js';
import { scaleOut } from './workloads/w6-scale-out.js';
import { entityWorkloads } from './workloads/e-entities.js';
import { groups } from './workloads/q1-groups.js';
import { namespaces } from './workloads/q2-namespaces.js';
import { chainWithProgress, getStepsOf } from './workloads/s-steps.js';
import { keptSectionsOf, renderMarkdown, renderPeersMarkdown, renderPeersTable, renderTable, withPeersSection } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes('--cpu-prof') && !process.env.REPRISE_BENCH_PROFILING) {
  const dir = join(here, 'profiles');
  mkdirSync(dir, { recursive: true });
  const rest = args.filter((a) => a !== '--cpu-prof');
  const child = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...process.execArgv, join(here, 'run.ts'), ...rest], {
    stdio: 'inherit',
    env: { ...process.env, REPRISE_BENCH_PROFILING: '1' },
  });
  console.log(`CPU profiles (open in Chrome DevTools or speedscope) in ${dir}`);
  process.exit(child.status ?? 1);
}

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: here }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const resultsFile = join(here, 'RESULTS.md');

if (args.includes('--peers')) {
  const { runPeers } = await import('./peers.js');
  const peersOnly = option('peers-only')?.split(',');
  const run = await runPeers(Number(option('n') ?? 2000), peersOnly);
  console.log(`\n${renderPeersTable(run.results)}\nload average ${run.load[0].toFixed(2)} → ${run.load[1].toFixed(2)}`);
  if (!peersOnly) {
    // The pinned versions (DBOS's package exports no package.json to read).
    const pinned = (JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    const version = (name: string) => pinned[name] ?? 'unknown';
    const date = new Date().toISOString();
    const report = { date, commit, n: run.n, load: run.load, versions: { bullmq: version('bullmq'), '@dbos-inc/dbos-sdk': version('@dbos-inc/dbos-sdk'), node: process.version }, sources: process.execArgv.some((a) => a.includes('@reprise/source')), results: run.results };
    mkdirSync(join(here, 'results'), { recursive: true });
    const file = join(here, 'results', `${date.slice(0, 10)}-peers.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const existing = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '# Benchmark results\n';
    writeFileSync(resultsFile, withPeersSection(existing, renderPeersMarkdown(report)));
    console.log(`wrote ${file} and the Peers section of benchmarks/RESULTS.md`);
  } else {
    console.log('(partial run: results files not written)');
  }
  process.exit(0);
}

if (args.includes('--otel')) {
  const { registerOtel } = await import('./otel.js');
  registerOtel();
}
const only = option('only')?.split(',');
const selected = option('workloads')?.split(',').map((w) => w.toUpperCase());
const runs = Number(option('runs') ?? 3);

const workloads: Array<{ id: string; workload: Workload }> = [
  { id: 'W1', workload: chain(100) },
  { id: 'W1', workload: chain(1000) },
  { id: 'W2', workload: fanOut },
  { id: 'W3', workload: throughput },
  { id: 'W4', workload: timers },
  { id: 'W5', workload: events },
  ...entityWorkloads.map((workload) => ({ id: 'E', workload })),
  { id: 'Q1', workload: groups },
  { id: 'S', workload: chainWithProgress(1000) },
  { id: 'S', workload: getStepsOf(1000) },
];

const adapters = await availableAdapters(only);
const results: Result[] = [];
const started = Date.now();
try {
  for (const adapter of adapters) {
    for (const { id, workload } of workloads) {
      if (selected && !selected.includes(id)) continue;
      process.stdout.write(`${adapter.name.padEnd(7)} ${workload.name.padEnd(26)} `);
      const result = await measure(adapter, workload, runs);
      results.push(result);
      console.log(Object.entries(result.median).map(([k, v]) => `${k}=${v.toFixed(k.endsWith('Ms') ? 1 : 2)}`).join('  '));
    }
    if (!selected || selected.includes('Q2')) {
      const result = await namespaces(adapter, runs);
      results.push(result);
      console.log(`${adapter.name.padEnd(7)} ${result.workload.padEnd(26)} ${Object.entries(result.median).map(([k, v]) => `${k}=${v.toFixed(2)}`).join('  ')}`);
    }
    if (!selected || selected.includes('W6')) {
      const workers = (option('workers') ?? '1,2,4').split(',').map(Number);
      for (const result of await scaleOut(adapter, runs, workers)) {
        results.push(result);
        console.log(`${adapter.name.padEnd(7)} ${result.workload.padEnd(26)} perSecond=${result.median.perSecond!.toFixed(0)}`);
      }
    }
  }
} finally {
  for (const adapter of adapters) await adapter.dispose?.();
}

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
const report = { date: new Date().toISOString(), commit, machine, runs, durationSeconds: Math.round((Date.now() - started) / 1000), results };

console.log(`\n${renderTable(results)}`);
if (!selected && !only) {
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${report.date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  // Keep the sections other runs write (peers, queries, the Cluster) when the main table is rewritten.
  const kept = existsSync(resultsFile) ? keptSectionsOf(readFileSync(resultsFile, 'utf8')) : [];
  writeFileSync(resultsFile, [renderMarkdown(report), ...kept].join('\n'));
  console.log(`wrote ${file} and benchmarks/RESULTS.md`);
} else {
  console.log('(partial run: results files not written)');
}
