/**
 * Each fault test prints exactly one line of counts,
 * `FIGURE <test-name> key=value ...`, before its assertions (so a failing
 * test shows its figures too). Written to stdout directly: vitest passes a
 * worker's stdout through as it runs.
 */
export function figure(test: string, counts: Record<string, number | string | boolean>): void {
  const pairs = Object.entries(counts).map(([key, value]) => `${key}=${String(value).replace(/\s+/g, '_')}`);
  process.stdout.write(`FIGURE ${test} ${pairs.join(' ')}\n`);
}
