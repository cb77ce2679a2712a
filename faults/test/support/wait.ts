import type { OrchestrationClient } from '@reprise/core';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * Polls until every instance is terminal, independent of store notices (so a
 * lost notice cannot hang a test); resolves with the ids still running when
 * `timeoutMs` ran out (empty when all finished).
 */
export async function settle(client: OrchestrationClient, ids: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ids);
  for (;;) {
    for (const id of [...pending]) {
      const status = await client.getStatus(id).catch(() => undefined);
      if (status && TERMINAL.has(status.runtimeStatus)) pending.delete(id);
    }
    if (pending.size === 0 || Date.now() > deadline) return [...pending];
    await sleep(100);
  }
}
