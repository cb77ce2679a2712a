/**
 * redis-server restarts (same port, same AOF directory) while orchestrations
 * run: ioredis reconnects, calls in flight fail or are retried, and every
 * instance completes with the right output. Once with a clean shutdown
 * (SIGTERM), once with a crash (SIGKILL) under `appendfsync always`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { STEPS, expectedOutput, stepDefinitions, waitAllTerminal } from './fixtures/steps.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');
const INSTANCES = 20;

describe.skipIf(!binary)('redis: server restart while orchestrations run', () => {
  let server: RedisServer | undefined;

  beforeAll(async () => {
    server = await startRedisServer({ binary, appendfsync: 'always' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`every instance completes across a restart (${signal})`, { timeout: 90_000 }, async () => {
      let executions = 0;
      // The caller's own client (the `client` option), configured as the README asks; it tells us when the connection drops.
      const client = new Redis(server!.url, { enableAutoPipelining: true, autoResendUnfulfilledCommands: false });
      let drops = 0;
      client.on('close', () => drops++);
      client.on('error', () => {});
      const storage = redisStorage({ client });
      const runtime = createRuntime({
        storage,
        taskHub: `restart-${signal}`,
        leaseMs: 2_000,
        ...stepDefinitions({ activityMs: 60, onActivity: (_ctx, _input, phase) => void (phase === 'done' && executions++) }),
      });
      await runtime.start();
      const ids = Array.from({ length: INSTANCES }, (_, i) => `restart-${i}`);
      try {
        await Promise.all(ids.map((id, i) => runtime.client.startNew('Steps', { input: i, instanceId: id })));

        const deadline = Date.now() + 20_000;
        while (executions < INSTANCES) {
          if (Date.now() > deadline) throw new Error('no progress before the restart');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const before = executions;
        await server!.restart(signal);
        expect(before).toBeLessThan(INSTANCES * STEPS); // the restart lands mid-run

        await waitAllTerminal((id) => runtime.client.getStatus(id), ids, 60_000);
        for (const [i, id] of ids.entries()) {
          const status = await runtime.client.getStatus(id, { showHistory: true });
          expect(status?.runtimeStatus, id).toBe('Completed');
          expect(status?.output, id).toBe(expectedOutput(i));
          const types = (status as unknown as { history: Array<{ EventType: string }> }).history.map((e) => e.EventType);
          expect(types.filter((t) => t === 'TaskCompleted'), id).toHaveLength(STEPS);
          expect(types.at(-1), id).toBe('ExecutionCompleted');
        }
        // The connection did drop, and work went on after the restart.
        expect(drops).toBeGreaterThan(0);
        expect(executions).toBeGreaterThan(before);
      } finally {
        await runtime.stop();
        await storage.close();
        client.disconnect();
      }
    });
  }
});
