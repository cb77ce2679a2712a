/** What every peer program offers the child process that measures it. */
export type StartMode = 'all' | 'awaited';

export interface PeerProgram {
  /** n W3 orchestrations (3 sequential steps, x → x+3), started all at once or one by one; resolves when all completed with the right output. */
  run(mode: StartMode, n: number, tag: string): Promise<void>;
  close(): Promise<void>;
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
