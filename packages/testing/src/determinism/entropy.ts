/**
 * Controlled entropy for orchestrator code under the determinism check.
 *
 * Orchestrator code runs synchronously inside `executor.apply()`, so for the
 * duration of that call (and only then: nothing else can run on the thread
 * meanwhile) the check swaps in its own `Math.random`, `Date.now`,
 * `new Date()` and `performance.now`. Every execution of the code (the first
 * run, each replay, the second run) gets its own seeded stream, so code that
 * reads them takes different paths in different executions, reliably and
 * reproducibly: the same scenario always fails the same way, which is what
 * lets fast-check shrink it. Real randomness (crypto, nanoid) is left alone;
 * it differs between executions anyway.
 */

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix integers into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h ^= part >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

export interface EntropySource {
  random(): number;
  /** Wall-clock milliseconds as the code would read them. */
  now(): number;
}

/** One execution's stream: random numbers, and a wall clock that starts at some seeded offset from the virtual time and ticks. */
export function entropySource(seed: number, virtualNow: () => number): EntropySource {
  const next = prng(seed);
  // Up to ~11.5 days ahead of the deterministic time, so any Date.now() arithmetic (parity, hour of day, deadlines) differs.
  const offset = Math.floor(next() * 1_000_000_000);
  let ticks = 0;
  return {
    random: next,
    now: () => virtualNow() + offset + (ticks += 1 + Math.floor(next() * 50)),
  };
}

const RealDate = Date;
const realRandom = Math.random;

/** Run `fn` with the globals reading from `source`. Restores them whatever happens; nests safely. */
export function withEntropy<T>(source: EntropySource, fn: () => T): T {
  const savedDate = globalThis.Date;
  const savedRandom = Math.random;
  const perf = globalThis.performance as { now?: () => number } | undefined;
  const savedPerfNow = perf?.now;
  const FakeDate: DateConstructor = new Proxy(savedDate, {
    construct(target, args, newTarget): object {
      return Reflect.construct(target, args.length === 0 ? [source.now()] : args, newTarget === FakeDate ? target : newTarget);
    },
    apply(): string {
      return new RealDate(source.now()).toString();
    },
    get(target, key, receiver): unknown {
      if (key === 'now') return () => source.now();
      return Reflect.get(target, key, receiver === FakeDate ? target : receiver);
    },
  });
  globalThis.Date = FakeDate;
  Math.random = () => source.random();
  let perfPatched = false;
  if (perf && savedPerfNow) {
    try {
      const start = source.now();
      perf.now = () => source.now() - start;
      perfPatched = true;
    } catch {
      // read-only in some environments: leave it
    }
  }
  try {
    return fn();
  } finally {
    globalThis.Date = savedDate;
    Math.random = savedRandom;
    if (perfPatched) perf!.now = savedPerfNow!;
  }
}

/** For tests of this module: the untouched originals. */
export const originals = { Date: RealDate, random: realRandom };
