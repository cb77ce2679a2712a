/**
 * S1: N schedules firing every second for S seconds, per adapter (not part of
 * `pnpm bench`: it runs in real time). From this folder:
 *
 *   node --import tsx --conditions=@reprise/source s1.ts --only sqlite,redis --schedules 1000 --seconds 30
 *
 * Prints runs per due time (must be exactly 1), lateness of each start
 * against its due time (p50/p99/max) and process CPU per firing.
 */
import { availableAdapters } from './adapters.js';
import { runS1 } from './workloads/s1-schedules.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = (option('only') ?? 'sqlite,redis').split(',');
const schedules = Number(option('schedules') ?? 1000);
const seconds = Number(option('seconds') ?? 30);

const adapters = await availableAdapters(only);
try {
  for (const adapter of adapters) {
    const r = await runS1(adapter, { schedules, seconds });
    console.log(
      `${r.adapter.padEnd(7)} S1 ${r.schedules} schedules x ${r.seconds} s: runs per due time ${r.minRunsPerDue}..${r.maxRunsPerDue} (missing ${r.missing}, duplicates ${r.duplicates} of ${r.expectedRuns}); ` +
        `lateness p50 ${r.latenessP50Ms} ms, p99 ${r.latenessP99Ms} ms, max ${r.latenessMaxMs} ms; CPU ${r.cpuMsPerFiring.toFixed(2)} ms per firing; setup ${(r.setupMs / 1000).toFixed(1)} s`,
    );
  }
} finally {
  for (const adapter of adapters) await adapter.dispose?.();
}
