/**
 * kill -9 of redis-server while startNew and raiseEvent calls are in flight,
 * then a restart on the same AOF (`appendfsync always`): every acknowledged
 * call is applied exactly once, none twice, and no startNew that succeeded
 * is reported as InstanceExistsError (issue 12, defect 5: ioredis re-sent
 * commands whose reply the crash had swallowed). Calls either succeed or
 * fail with StorageError.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StorageError, createRuntime } from '@reprise/core';
import type { HistoryEvent } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');
const SENDERS = 24;
const TARGETS = 8;
const HUB = 'kill-writes';

describe.skipIf(!binary)('redis: kill -9 and restart during in-flight writes', () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ binary, appendfsync: 'always' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('applies every acknowledged startNew and raiseEvent exactly once', { timeout: 120_000 }, async () => {
    const storage = redisStorage({ url: server!.url, warn: () => {} });
    const runtime = createRuntime({ storage, taskHub: HUB, orchestrators: { O: function* () {} } });
    const targets = Array.from({ length: TARGETS }, (_, i) => `target-${i}`);
    for (const id of targets) await runtime.client.startNew('O', { instanceId: id });

    const acked = { started: new Set<string>(), raised: new Set<string>() };
    const failures: unknown[] = [];
    let pending = 0;
    let next = 0;
    let sending = true;
    const sender = async (s: number) => {
      while (sending) {
        const n = next++;
        pending++;
        try {
          if (n % 2 === 0) {
            const id = `new-${n}`;
            await runtime.client.startNew('O', { instanceId: id });
            acked.started.add(id);
          } else {
            const name = `e-${n}`;
            await runtime.client.raiseEvent(targets[(n + s) % TARGETS]!, name, n);
            acked.raised.add(name);
          }
        } catch (error) {
          failures.push(error);
        } finally {
          pending--;
        }
      }
    };

    try {
      const senders = Array.from({ length: SENDERS }, (_, s) => sender(s));
      while (next < 300) await new Promise((resolve) => setTimeout(resolve, 5));
      const inFlightAtKill = pending;
      await server!.restart('SIGKILL');
      const afterRestart = next;
      while (next < afterRestart + 300) await new Promise((resolve) => setTimeout(resolve, 5));
      sending = false;
      await Promise.all(senders);

      // What the store holds: every pending message of every instance (no worker ran).
      const admin = new Redis(server!.url);
      const keys = hubKeys(HUB);
      const raisedCount = new Map<string, number>();
      for (const id of targets) {
        for (const body of await admin.hvals(`${keys.prefix}m:${id}`)) {
          const event = JSON.parse(body) as HistoryEvent;
          if (event.EventType === 'EventRaised') raisedCount.set(event.Name, (raisedCount.get(event.Name) ?? 0) + 1);
        }
      }
      const startedCount = new Map<string, number>();
      for (const id of await admin.zrange(`${keys.prefix}idx`, 0, -1)) {
        if (!id.startsWith('new-')) continue;
        const inbox = await admin.hvals(`${keys.prefix}m:${id}`);
        startedCount.set(id, inbox.filter((body) => (JSON.parse(body) as HistoryEvent).EventType === 'ExecutionStarted').length);
      }
      admin.disconnect();

      const duplicates = [...raisedCount.values(), ...startedCount.values()].filter((count) => count > 1).length;
      const lost =
        [...acked.raised].filter((name) => !raisedCount.get(name)).length + [...acked.started].filter((id) => !startedCount.get(id)).length;
      const notStorageErrors = failures.filter((error) => !(error instanceof StorageError));
      console.log(
        `FIGURE redis-kill-writes: calls ${next}, in flight at kill ${inFlightAtKill}, acknowledged ${acked.started.size + acked.raised.size}, ` +
          `failed ${failures.length} (StorageError ${failures.length - notStorageErrors.length}), duplicates ${duplicates}, lost ${lost}`,
      );
      expect(inFlightAtKill).toBeGreaterThan(0);
      expect(notStorageErrors.map((error) => String(error))).toEqual([]);
      expect(duplicates).toBe(0);
      expect(lost).toBe(0);
      // Calls in flight at the kill were sent again once the server was back: none had to fail.
      expect(failures).toEqual([]);
    } finally {
      sending = false;
      await runtime.stop();
      await storage.close();
    }
  });
});
