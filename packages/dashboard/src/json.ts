/**
 * Values to JSON for the browser: decoded payloads may hold what JSON
 * cannot (BigInt, Map, Set, undefined inside arrays), so they are turned
 * into the nearest JSON shape instead of failing the whole answer.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
    if (v instanceof Set) return [...v];
    return v;
  });
}

export function jsonResponse(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(toJsonText(value), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}
