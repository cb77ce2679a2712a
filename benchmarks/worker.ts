/** A W6 worker process: opens the shared store named by the environment and runs until told to stop. */
import { createRuntime } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { throughputDefinitions } from './workloads/w3-throughput.js';

async function openStorage(): Promise<Storage> {
  if (process.env.REPRISE_SQLITE_PATH) {
    const { sqliteStorage } = await import('@reprise/sqlite');
    return sqliteStorage({ path: process.env.REPRISE_SQLITE_PATH });
  }
  if (process.env.REPRISE_REDIS_URL) {
    const { redisStorage } = await import('@reprise/redis');
    return redisStorage({ url: process.env.REPRISE_REDIS_URL });
  }
  throw new Error('worker: set REPRISE_SQLITE_PATH or REPRISE_REDIS_URL');
}

const storage = await openStorage();
const runtime = createRuntime({ storage, taskHub: process.env.REPRISE_TASK_HUB!, ...throughputDefinitions, logger: () => {} });
await runtime.start();
process.send?.('ready');
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await runtime.stop();
  await storage.close();
  process.exit(0);
});
