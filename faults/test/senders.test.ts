/**
 * Four sender processes raise 250 events each at one instance, all at once.
 * The instance receives all 1,000: none lost, none twice, and each sender's
 * events in the order it sent them.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figure } from './support/figure.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startChild, startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { settle } from './support/wait.js';

const SENDERS = 4;
const EVENTS = 250;
const HUB = 'senders';
const ID = 'inbox';

describe('concurrent senders to one instance', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: ${SENDERS} senders x ${EVENTS} events: 0 lost, duplicated or reordered`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      if (kind === 'sqlite') await store.storage().open();
      const worker = await startWorker('w', { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: join(store.dir, 'ledger.jsonl') });
      const runtime = clientRuntime(store, HUB);
      await runtime.client.startNew('Collector', { instanceId: ID });
      const senders = await Promise.all(
        Array.from({ length: SENDERS }, (_, i) => startChild('sender.ts', `s${i}`, { ...store.env, FAULT_HUB: HUB, FAULT_SENDER: `s${i}`, FAULT_INSTANCE: ID, FAULT_EVENTS: String(EVENTS) })),
      );
      const done = senders.map((s) => s.next<{ errors: string[] }>('done', 60_000));
      for (const s of senders) s.send('go');
      const sendErrors = (await Promise.all(done)).flatMap((d) => d.errors);
      await runtime.client.raiseEvent(ID, 'e', { end: true });

      const unfinished = await settle(runtime.client, [ID], 30_000);
      const received = ((await runtime.client.getStatus(ID))?.output ?? []) as Array<{ s: string; n: number }>;
      await stopWorker(worker);
      let lost = 0;
      let duplicated = 0;
      let reordered = 0;
      for (let i = 0; i < SENDERS; i++) {
        const ns = received.filter((e) => e.s === `s${i}`).map((e) => e.n);
        duplicated += ns.length - new Set(ns).size;
        lost += EVENTS - new Set(ns).size;
        for (let k = 1; k < ns.length; k++) if (ns[k]! < ns[k - 1]!) reordered++;
      }

      figure(`senders-${kind}`, {
        senders: SENDERS,
        eventsEach: EVENTS,
        received: received.length,
        lost,
        duplicated,
        reordered,
        sendErrors: sendErrors.length,
        unfinished: unfinished.length,
      });
      expect(sendErrors).toEqual([]);
      expect(unfinished).toEqual([]);
      expect(received).toHaveLength(SENDERS * EVENTS);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect(reordered).toBe(0);
    });
  }
});
