/** What every peer program offers the child process that measures it. */
export type StartMode = 'all' | 'awaited';

export interface PeerProgram {
  /** n W3 orchestrations (3 sequential steps, x → x+3), started all at once or one by one; resolves when all completed with the right output. */
  run(mode: StartMode, n: number, tag: string): Promise<void>;
  /** W5: n workflows each waiting for an event, all waiting first; then, one at a time, the event sent → completion observed. */
  events?(n: number, tag: string): Promise<EventLatencies>;
  close(): Promise<void>;
}

export interface EventLatencies {
  p50Ms: number;
  p99Ms: number;
}

/** Times `roundTrip` on each item in turn (ms) → p50 and p99. */
export async function latencies<T>(items: T[], roundTrip: (item: T) => Promise<void>): Promise<EventLatencies> {
  const times: number[] = [];
  for (const item of items) {
    const start = performance.now();
    await roundTrip(item);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50Ms: at(50), p99Ms: at(99) };
}

/** Starts n items all at once, or each awaited before the next. */
export async function startAll<T>(mode: StartMode, n: number, start: (i: number) => Promise<T>): Promise<T[]> {
  if (mode === 'all') return Promise.all(Array.from({ length: n }, (_, i) => start(i)));
  const started: T[] = [];
  for (let i = 0; i < n; i++) started.push(await start(i));
  return started;
}

export function checkOutput(peer: string, i: number, output: unknown): void {
  if (Number(output) !== i + 3) throw new Error(`${peer}: orchestration ${i} returned ${String(output)}, expected ${i + 3}`);
}
