/**
 * Clauses of optional storage features (`StorageCapabilities` in core). Such
 * a clause runs only against a store that declares the capability; for any
 * other store it is reported skipped with a note naming the capability, so a
 * new adapter passes the suite without the feature and a skip is never
 * mistaken for a pass.
 *
 * The check runs inside the test, not at collection: the suite creates its
 * store in `beforeAll`, and the capability is read from that store itself.
 */
import { it } from 'vitest';
import type { StorageCapabilities } from '@reprise/core';
import type { ConformanceContext } from './context.js';

export type Capability = keyof StorageCapabilities;

/** The note a skipped clause carries. */
export function skipReason(capability: Capability): string {
  return `skipped: the adapter does not declare capabilities.${capability}`;
}

/** `it` for a clause that needs `capability`. */
export function itWithCapability(ctx: ConformanceContext, capability: Capability): (title: string, fn: () => Promise<void>) => void {
  return (title, fn) =>
    it(`${title} (optional: capabilities.${capability})`, async (test) => {
      if (ctx.storage.capabilities?.[capability] !== true) test.skip(skipReason(capability));
      await fn();
    });
}
