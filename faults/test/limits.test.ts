/**
 * Limits under abuse, on real stores: an orchestrator that never ends gets
 * the typed HistoryTooLongError at `maxHistoryEvents`; 10 MB payloads are
 * refused with PayloadTooLargeError before anything is stored, and under a
 * limit that admits them they come back byte-identical after episodes that
 * all replay (cacheSize 0).
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { RuntimeOptions } from '@reprise/core';
import { workloads } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { useStores } from './support/lifecycle.js';
import { STORES, unavailable } from './support/stores.js';
import type { StoreUnderTest } from './support/stores.js';

const HISTORY_LIMIT = 60;
const TEN_MB = 10 * 1024 * 1024;

const errorName = (promise: Promise<unknown>) => promise.then(() => 'none', (error: unknown) => (error as Error).name);
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** 10 MB of text that is not all ASCII, so an encoding slip would show. */
function bigText(): string {
  const chunk = `${randomBytes(3000).toString('base64')}é😀\u2028`;
  return chunk.repeat(Math.ceil(TEN_MB / chunk.length)).slice(0, TEN_MB);
}

function runtimeOn(store: StoreUnderTest, hub: string, options: Partial<RuntimeOptions> = {}) {
  return createRuntime({ storage: store.storage(), taskHub: hub, logger: () => {}, ...workloads(() => {}), ...options });
}

describe('limits', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: a runaway orchestrator fails with HistoryTooLongError at the limit`, { timeout: 60_000 }, async () => {
      const store = await openStore(kind);
      const runtime = runtimeOn(store, 'runaway', { maxHistoryEvents: HISTORY_LIMIT });
      await runtime.start();
      try {
        await runtime.client.startNew('Runaway', { instanceId: 'runaway' });
        const status = await runtime.client.waitForCompletion('runaway', { timeoutMs: 30_000 });
        const history = await store.storage().getHistory('runaway', 'runaway');
        const error = (status.output as { name?: string } | undefined)?.name ?? 'none';
        figure(`runaway-history-${kind}`, { limit: HISTORY_LIMIT, storedEvents: history.length, status: status.runtimeStatus, error });
        expect(status.runtimeStatus).toBe('Failed');
        expect(error).toBe('HistoryTooLongError');
        expect(history.length).toBeLessThanOrEqual(HISTORY_LIMIT);
        expect(history.at(-1)?.EventType).toBe('ExecutionFailed');
      } finally {
        await runtime.stop();
      }
    });

    it.skipIf(unavailable(kind))(`${kind}: 10 MB payloads: typed refusal before storing, byte-identical after forced replays`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      const big = bigText();

      // The default limit (4 MiB): refused, nothing stored.
      const strict = runtimeOn(store, 'strict');
      await strict.start();
      let refusedStart: string;
      let refusedEvent: string;
      let refusedResult: string;
      let storedAfterRefusal: boolean;
      let historyGrew: boolean;
      try {
        refusedStart = await errorName(strict.client.startNew('BigEcho', { instanceId: 'too-big', input: big }));
        storedAfterRefusal = (await strict.client.getStatus('too-big')) !== undefined;
        await strict.client.startNew('Collector', { instanceId: 'inbox' });
        const before = (await store.storage().getHistory('strict', 'inbox')).length;
        refusedEvent = await errorName(strict.client.raiseEvent('inbox', 'e', big));
        await strict.client.raiseEvent('inbox', 'e', { end: true });
        await strict.client.waitForCompletion('inbox', { timeoutMs: 20_000 });
        const inbox = await strict.client.getStatus('inbox');
        historyGrew = JSON.stringify(inbox?.output) !== '[]' || (await store.storage().getHistory('strict', 'inbox')).length < before;
        await strict.client.startNew('GrowCatch', { instanceId: 'grow', input: TEN_MB });
        refusedResult = String((await strict.client.waitForCompletion('grow', { timeoutMs: 30_000 })).output);
      } finally {
        await strict.stop();
      }

      // A limit that admits them, and no replay cache: every episode replays the 10 MB history.
      const roomy = runtimeOn(store, 'roomy', { maxPayloadBytes: 16 * 1024 * 1024, cacheSize: 0 });
      await roomy.start();
      let identical = false;
      let same = false;
      try {
        await roomy.client.startNew('BigEcho', { instanceId: 'big', input: big });
        await roomy.client.raiseEvent('big', 'big', big);
        const status = await roomy.client.waitForCompletion('big', { timeoutMs: 60_000 });
        const output = status.output as { same: boolean; echo: string };
        same = output.same;
        identical = sha(output.echo) === sha(big) && output.echo.length === big.length;
      } finally {
        await roomy.stop();
      }

      figure(`payload-10mb-${kind}`, { bytes: Buffer.byteLength(big), refusedStart, storedAfterRefusal, refusedEvent, eventStored: historyGrew, refusedResult, replayedSame: same, identical });
      expect(refusedStart).toBe('PayloadTooLargeError');
      expect(storedAfterRefusal).toBe(false);
      expect(refusedEvent).toBe('PayloadTooLargeError');
      expect(historyGrew).toBe(false);
      expect(refusedResult).toBe('PayloadTooLargeError');
      expect(same).toBe(true);
      expect(identical).toBe(true);
    });
  }
});
