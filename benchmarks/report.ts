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

/** The peers table: each peer beside the Reprise row on the same kind of store, with ratios. */
const PAIRS: Array<{ peer: string; peerLabel: string; reprise: string; repriseLabel: string }> = [
  { peer: 'dbos', peerLabel: 'DBOS Transact (PostgreSQL)', reprise: 'reprise-sqlite', repriseLabel: 'Reprise SQLite (NORMAL)' },
  { peer: 'dbos', peerLabel: 'DBOS Transact (PostgreSQL)', reprise: 'reprise-sqlite-full', repriseLabel: 'Reprise SQLite (FULL)' },
  { peer: 'bullmq-steps', peerLabel: 'BullMQ step jobs (Redis)', reprise: 'reprise-redis', repriseLabel: 'Reprise Redis' },
  { peer: 'bullmq-flow', peerLabel: 'BullMQ flows (Redis)', reprise: 'reprise-redis', repriseLabel: 'Reprise Redis' },
];

const PEER_HEADER = ['workload', 'Reprise', 'orch/s', 'CPU µs/orch (node + server)', 'peer', 'orch/s', 'CPU µs/orch (node + server)', 'orch/s ratio (Reprise ÷ peer)', 'CPU ratio (Reprise ÷ peer)'];

function peerRows(results: Result[]): string[][] {
  const get = (adapter: string, workload: string) => results.find((r) => r.adapter === adapter && r.workload === workload)?.median;
  const cpu = (m: Record<string, number>) => `${fmt(m.cpuUs, 0)} (${fmt(m.nodeCpuUs, 0)} + ${fmt(m.serverCpuUs, 0)})`;
  const out: string[][] = [];
  for (const workload of ['W3', 'W3-awaited']) {
    for (const pair of PAIRS) {
      const ours = get(pair.reprise, workload);
      const theirs = get(pair.peer, workload);
      if (!ours || !theirs) continue;
      out.push([workload, pair.repriseLabel, fmt(ours.perSecond, 0), cpu(ours), pair.peerLabel, fmt(theirs.perSecond, 0), cpu(theirs), `${fmt(ours.perSecond! / theirs.perSecond!, 2)}×`, `${fmt(ours.cpuUs! / theirs.cpuUs!, 2)}×`]);
    }
  }
  return out;
}

/** W5 beside BullMQ: an event's round trip (sent → completion observed), p50 / p99. */
function eventRows(results: Result[]): string[][] {
  const ours = results.find((r) => r.adapter === 'reprise-redis' && r.workload === 'W5')?.median;
  const theirs = results.find((r) => r.adapter === 'bullmq-events' && r.workload === 'W5')?.median;
  if (!ours || !theirs) return [];
  return [['W5', 'Reprise Redis', fmt(ours.p50Ms, 2), fmt(ours.p99Ms, 2), 'BullMQ delayed job promoted by the event', fmt(theirs.p50Ms, 2), fmt(theirs.p99Ms, 2), `${fmt(ours.p50Ms! / theirs.p50Ms!, 2)}×`]];
}

const EVENT_HEADER = ['workload', 'Reprise', 'p50 ms', 'p99 ms', 'peer', 'p50 ms', 'p99 ms', 'p50 ratio (Reprise ÷ peer)'];

export function renderPeersTable(results: Result[]): string {
  const table = [PEER_HEADER, ...peerRows(results)];
  const widths = PEER_HEADER.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

const PEERS_START = '<!-- peers:start (written by `pnpm bench --peers`) -->';
const PEERS_END = '<!-- peers:end -->';

export function renderPeersMarkdown(run: { date: string; commit: string; n: number; load: [number, number]; versions: Record<string, string>; sources?: boolean; results: Result[] }): string {
  return [
    PEERS_START,
    '## Peers',
    '',
    `Measured ${run.date.slice(0, 10)} at commit \`${run.commit}\` with \`pnpm bench --peers --n ${run.n}\`${run.sources ? ' (Reprise measured on its sources: `node --import tsx --conditions=@reprise/source run.ts --peers`)' : ''}: ${run.n} orchestrations of 3 sequential steps per run, one measured run per row after a warm-up batch, each in its own Node process. **Load average (1 min) ${run.load[0].toFixed(2)} before and ${run.load[1].toFixed(2)} after** on this shared 2-core machine, so orchestrations/s is noisy; CPU µs per orchestration (the Node process from \`process.cpuUsage\`, plus the store server from \`/proc/<pid>/stat\`, PostgreSQL's backends included) is the steadier figure. W3 starts every orchestration at once; W3-awaited starts them one by one, each start awaited. Versions: ${Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    `| ${PEER_HEADER.join(' | ')} |`,
    `| ${PEER_HEADER.map(() => '---').join(' | ')} |`,
    ...peerRows(run.results).map((r) => `| ${r.join(' | ')} |`),
    '',
    ...(eventRows(run.results).length > 0
      ? [
          'W5: 200 workflows each waiting for an event, then each event sent and its completion observed (a ratio below 1× favours Reprise):',
          '',
          `| ${EVENT_HEADER.join(' | ')} |`,
          `| ${EVENT_HEADER.map(() => '---').join(' | ')} |`,
          ...eventRows(run.results).map((r) => `| ${r.join(' | ')} |`),
          '',
        ]
      : []),
    'Durability: Reprise SQLite NORMAL (WAL) survives a process crash and can lose the last commits on power loss; FULL fsyncs every commit, like PostgreSQL with its defaults (DBOS). Reprise on Redis and BullMQ share one `redis-server` with AOF `appendfsync everysec`. BullMQ step jobs checkpoint with `job.updateData` after each step (durable per step, like Reprise); BullMQ flows run a job per step. A ratio above 1× in orch/s, or below 1× in CPU, favours Reprise.',
    PEERS_END,
    '',
  ].join('\n');
}

/** Replaces (or appends) the peers section of RESULTS.md, leaving the rest as it was. */
export function withPeersSection(markdown: string, section: string): string {
  const start = markdown.indexOf(PEERS_START);
  const end = markdown.indexOf(PEERS_END);
  if (start < 0 || end < 0) return `${markdown.trimEnd()}\n\n${section}`;
  return `${markdown.slice(0, start)}${section.trimEnd()}${markdown.slice(end + PEERS_END.length)}`;
}

/**
 * The sections other runs wrote into RESULTS.md (`--peers`, queries.ts, cluster-w3.ts: each between its
 * `<!-- name:start -->` and `<!-- name:end -->`), to keep when the main run rewrites the file.
 */
export function keptSectionsOf(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- ([a-z-]+):start[^>]*-->[\s\S]*?<!-- \1:end -->/g)].map((m) => `${m[0]}\n`);
}
