/** The results table, printed and written to RESULTS.md. */
import type { Result } from './harness.js';

const fmt = (value: number | undefined, digits = 1) => (value === undefined ? '' : value.toFixed(digits));

function rows(results: Result[]): string[][] {
  const adapters = [...new Set(results.map((r) => r.adapter))];
  const get = (adapter: string, workload: string) => results.find((r) => r.adapter === adapter && r.workload === workload)?.median;
  return adapters.map((adapter) => {
    const w1a = get(adapter, 'W1 chain N=100');
    const w1b = get(adapter, 'W1 chain N=1000');
    const ratio = w1a && w1b ? w1b.totalMs! / w1a.totalMs! : undefined;
    const w6 = [1, 2, 4].map((n) => get(adapter, `W6 scale-out ${n} proc`)?.perSecond);
    const e = [1, 1000].map((n) => get(adapter, `E signals 10k to ${n} ent`)?.perSecond);
    const q1 = get(adapter, 'Q1 groups 2000x3, 20x5');
    const q2 = get(adapter, 'Q2 namespaces 100k/10');
    return [
      adapter,
      fmt(w1b?.usPerStep),
      fmt(w1b?.totalMs),
      fmt(ratio, 2),
      fmt(get(adapter, 'W2 fan-out 1000')?.totalMs),
      fmt(get(adapter, 'W3 throughput 2000x3')?.perSecond, 0),
      fmt(get(adapter, 'W4 timers 500x100ms')?.overheadMs),
      fmt(get(adapter, 'W5 event round trip 200')?.p50Ms, 2),
      fmt(get(adapter, 'W5 event round trip 200')?.p99Ms, 2),
      w6.every((v) => v === undefined) ? '' : w6.map((v) => fmt(v, 0) || '–').join(' / '),
      e.every((v) => v === undefined) ? '' : e.map((v) => fmt(v, 0) || '–').join(' / '),
      q1 ? `${fmt(q1.perSecond, 0)} (${fmt(q1.maxRunningPerGroup, 0)})` : '',
      q2 ? `${fmt(q2.countMs, 2)} / ${fmt(q2.firstPageMs, 2)}` : '',
    ];
  });
}

const HEADER = ['adapter', 'W1 µs/step (N=1000)', 'W1 ms (N=1000)', 'W1 t1000/t100', 'W2 ms', 'W3 orch/s', 'W4 overhead ms', 'W5 p50 ms', 'W5 p99 ms', 'W6 orch/s (1/2/4 proc)', 'entity ops/s (1 / 1000 entities)', 'Q1 orch/s (max running per group)', 'Q2 ms count / first page'];

export function renderTable(results: Result[]): string {
  const table = [HEADER, ...rows(results)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

export function renderMarkdown(report: { date: string; commit: string; machine: Record<string, unknown>; runs: number; durationSeconds: number; results: Result[] }): string {
  const m = report.machine;
  return [
    '# Benchmark results',
    '',
    `Measured ${report.date.slice(0, 10)} at commit \`${report.commit}\` on ${String(m.cores)} × ${String(m.cpu)}, ${String(m.memoryGiB)} GiB, Node ${String(m.node)} (${String(m.platform)}).`,
    `Each figure is the median of ${report.runs} runs after a warm-up (the workload repeated for 1.5 s, so the JIT has settled), measured on the built packages; the whole run took ${report.durationSeconds} s. Default durability everywhere (SQLite \`synchronous=NORMAL\` in WAL mode; Redis with AOF \`appendfsync everysec\`).`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows(report.results).map((r) => `| ${r.join(' | ')} |`),
    '',
    'Workloads: W1 one orchestration of N sequential activities (x → x+1); W2 one orchestration fanning out to 1,000 activities and summing; W3 2,000 orchestrations of 3 sequential activities started at once, completed per second from first start to last completion; W4 500 orchestrations sleeping 100 ms on a durable timer (wall time beyond 100 ms); W5 200 orchestrations waiting for an external event, raiseEvent → observed completion; W6 W3 with 1, 2 and 4 worker processes sharing one store (this machine has 2 cores, shared by the client, the workers and the store). Entities: 10,000 signals to one entity, and spread over 1,000 entities, from the first signal to the last operation applied. Q1 W3 in 20 concurrency groups of limit 5 (the most instances of one group seen running at once must stay ≤ 5); Q2 `countInstances` and a filtered first page of 100 in one namespace of 10,000 among 100,000 instances in 10 namespaces (memory scans; SQLite and Redis use indexes).',
    '',
    'Reproduce: `npx --yes pnpm@10 install && npx --yes pnpm@10 bench` (raw numbers in `benchmarks/results/`). Profile the hot path with `npx --yes pnpm@10 bench --only memory --workloads W1 --cpu-prof`.',
    '',
  ].join('\n');
}
