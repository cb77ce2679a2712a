import { afterEach } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { Runtime, RuntimeOptions, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';

export { eventually, sleep } from '@reprise/testing/conformance';

const started: Runtime[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

/** Both ways the engine must behave identically: with the replay cache, and replaying every step. */
export const cacheModes = [
  { label: 'cached', cacheSize: 1000 },
  { label: 'no cache', cacheSize: 0 },
] as const;

export type TestRuntimeOptions = Omit<RuntimeOptions, 'storage'> & { storage?: Storage };

/** A started runtime on memory storage, stopped after the test. */
export async function startRuntime(options: TestRuntimeOptions): Promise<Runtime> {
  const runtime = createRuntime({ logger: () => {}, ...options, storage: options.storage ?? memoryStorage() });
  started.push(runtime);
  await runtime.start();
  return runtime;
}
