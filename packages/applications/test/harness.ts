/** A runtime with the test applications on a given store, stopped (and its store closed) after each test. */
import { afterEach } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { Runtime, Storage } from '@reprise/core';
import { applicationsClient, withApplications } from '@reprise/applications';
import type { ApplicationsClient } from '@reprise/applications';
import { kiosk, publicSite, publicSiteV2, registrations } from './fixtures.js';

import { sleep } from '@reprise/testing/conformance';

/** Retries an assertion every 20 ms until it passes; after `timeoutMs` its last failure is thrown. */
export async function eventually(assertion: () => unknown, options: { timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface Harness {
  runtime: Runtime;
  apps: ApplicationsClient;
}

let hubs = 0;

export async function startApps(storage: Storage, options: { start?: boolean } = {}): Promise<Harness> {
  hubs += 1;
  const runtime = createRuntime({ ...withApplications([publicSite, publicSiteV2, kiosk], registrations()), storage, logger: () => {}, taskHub: `apps-${process.pid}-${hubs}` });
  cleanups.push(() => runtime.close());
  if (options.start !== false) await runtime.start();
  return { runtime, apps: applicationsClient(runtime) };
}
