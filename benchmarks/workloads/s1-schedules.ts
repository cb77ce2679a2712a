/**
 * S1 schedules: N interval schedules firing every second for S seconds on one
 * runtime. Counts the run instances the store created per due time (through
 * a storage proxy, so a second start of one id would show), the lateness of
 * each start against its due time, and the process CPU per firing.
 */
import { createRuntime } from '@reprise/core';
import type { InstanceRecord, NewMessage, OrchestrationContext, Storage } from '@reprise/core';
import type { Adapter } from '../harness.js';

export interface S1Options {
  schedules: number;
  seconds: number;
}

export interface S1Result {
  adapter: string;
  schedules: number;
  seconds: number;
  expectedRuns: number;
  /** Due times in the window that started no run. */
  missing: number;
  /** Run ids created more than once. */
  duplicates: number;
  minRunsPerDue: number;
  maxRunsPerDue: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** Process CPU (user + system) over the window, per firing; the Redis server's own CPU is not included. */
  cpuMsPerFiring: number;
  setupMs: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts createInstance calls that created a run (ids with '@'), with their creation time. */
function countingStarts(storage: Storage, starts: Map<string, number[]>): Storage {
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'createInstance') {
        return async (hub: string, record: InstanceRecord, message: NewMessage) => {
          const result = await target.createInstance(hub, record, message);
          if (result.created && record.instanceId.includes('@')) {
            const list = starts.get(record.instanceId) ?? [];
            list.push(record.createdAt);
            starts.set(record.instanceId, list);
          }
          return result;
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function runS1(adapter: Adapter, options: S1Options): Promise<S1Result> {
  const starts = new Map<string, number[]>();
  const inner = await adapter.create();
  const storage = countingStarts(inner, starts);
  const runtime = createRuntime({
    storage,
    logger: () => {},
    taskHub: 's1',
    maxConcurrentOrchestrations: 200,
    maxConcurrentActivities: 200,
    orchestrators: {
      Noop: function* (ctx: OrchestrationContext) {
        return ctx.instanceId;
      },
    },
  });
  await runtime.start();
  try {
    const setupStart = performance.now();
    // Due times on whole seconds, far enough ahead that every schedule is created and asleep on its timer.
    const startAt = Math.ceil((Date.now() + 3000 + options.schedules * 5) / 1000) * 1000;
    const ids = Array.from({ length: options.schedules }, (_, i) => `s${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((scheduleId) => runtime.client.schedules.create({ scheduleId, orchestrator: 'Noop', every: 1000, startAt: new Date(startAt), endAt: new Date(startAt + (options.seconds - 1) * 1000), overlap: 'allow', catchUp: 'all' })));
    }
    const setupMs = performance.now() - setupStart;
    if (Date.now() > startAt) console.warn(`[S1] setup ran past the first due time by ${Date.now() - startAt} ms`);
    await sleep(Math.max(0, startAt - Date.now()));
    const cpuStart = process.cpuUsage();
    const expectedRuns = options.schedules * options.seconds;
    // The window, then until every run started (late ones too), at most 60 s more.
    const deadline = startAt + options.seconds * 1000 + 60_000;
    while (starts.size < expectedRuns && Date.now() < deadline) await sleep(200);
    const cpu = process.cpuUsage(cpuStart);

    let duplicates = 0;
    let missing = 0;
    let minRunsPerDue = Infinity;
    let maxRunsPerDue = 0;
    const lateness: number[] = [];
    for (const scheduleId of ids) {
      for (let k = 0; k < options.seconds; k++) {
        const due = startAt + k * 1000;
        const created = starts.get(`${scheduleId}@${new Date(due).toISOString()}`) ?? [];
        if (created.length === 0) missing++;
        if (created.length > 1) duplicates++;
        minRunsPerDue = Math.min(minRunsPerDue, created.length);
        maxRunsPerDue = Math.max(maxRunsPerDue, created.length);
        for (const at of created) lateness.push(at - due);
      }
    }
    lateness.sort((a, b) => a - b);
    return {
      adapter: adapter.name,
      schedules: options.schedules,
      seconds: options.seconds,
      expectedRuns,
      missing,
      duplicates,
      minRunsPerDue,
      maxRunsPerDue,
      latenessP50Ms: percentile(lateness, 50),
      latenessP99Ms: percentile(lateness, 99),
      latenessMaxMs: lateness.at(-1) ?? NaN,
      cpuMsPerFiring: (cpu.user + cpu.system) / 1000 / Math.max(1, starts.size),
      setupMs,
    };
  } finally {
    await runtime.stop();
    await inner.close();
  }
}
