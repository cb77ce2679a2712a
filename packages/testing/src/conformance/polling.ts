/**
 * Waiting in tests without fake timers: the one `sleep` and `eventually` the
 * suite and the adapters' own tests share.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface EventuallyOptions {
  /** @default 10_000 */
  timeoutMs?: number;
  /** Called every `retriggerMs` while waiting (for stores whose subscriptions start asynchronously). */
  retrigger?: () => Promise<unknown>;
  /** @default 400 */
  retriggerMs?: number;
  /** Named in the timeout error. @default 'condition' */
  what?: string;
}

/**
 * Resolves with the probe's first truthy value, probing every 10 ms; for
 * observing intermediate states only (await the result itself when you can).
 */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, retrigger, retriggerMs = 400, what = 'condition' }: EventuallyOptions = {},
): Promise<T> {
  const start = Date.now();
  let lastTrigger = start;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
    if (retrigger && Date.now() - lastTrigger >= retriggerMs) {
      lastTrigger = Date.now();
      await retrigger();
    }
  }
}
