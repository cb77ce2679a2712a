/**
 * BullMQ peer of W5 (a workflow waiting for an external event; the event's
 * arrival → its completion observed), written from BullMQ's documentation
 * ("Process step jobs", delayed jobs): a job that must wait for an event
 * saves its step (`job.updateData`), moves itself to delayed far ahead
 * (`job.moveToDelayed` + `DelayedError`), and the event's sender writes the
 * event into its data and promotes it (`job.promote`); the worker runs it
 * again from the saved step. The sender observes completion with
 * `job.waitUntilFinished(queueEvents)`.
 */
import { DelayedError, Queue, QueueEvents, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { latencies } from './program.js';
import type { PeerProgram } from './program.js';

const CONCURRENCY = 100;
/** Far enough that no job wakes by itself during a run. */
const PARKED_MS = 3_600_000;

interface EventData {
  step: number;
  event?: number;
}

export function bullmqEventsPeer(): PeerProgram {
  const url = new URL(process.env.PEER_REDIS_URL!);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };

  async function awaitEvent(job: Job<EventData>, token?: string): Promise<number | undefined> {
    if (job.data.step === 0) {
      await job.updateData({ step: 1 });
      await job.moveToDelayed(Date.now() + PARKED_MS, token);
      throw new DelayedError();
    }
    return job.data.event;
  }

  return {
    async run() {
      throw new Error('bullmq-events runs W5 only');
    },
    async events(n, tag) {
      const queueName = `w5-${tag}`;
      const events = new QueueEvents(queueName, { connection });
      await events.waitUntilReady();
      const worker = new Worker(queueName, awaitEvent, { connection, concurrency: CONCURRENCY });
      const queue = new Queue<EventData>(queueName, { connection });
      try {
        const jobs = await Promise.all(Array.from({ length: n }, (_, i) => queue.add('AwaitEvent', { step: 0 }, { jobId: `e${i}` })));
        // Every job parked first, so only the round trip is timed (as W5 waits for Running).
        for (const job of jobs) while ((await job.getState()) !== 'delayed') await new Promise((r) => setTimeout(r, 2));
        return await latencies(jobs, async (job) => {
          await job.updateData({ step: 1, event: 1 });
          await job.promote();
          const output = await job.waitUntilFinished(events, 60_000);
          if (output !== 1) throw new Error(`bullmq-events: job ${job.id} returned ${String(output)}`);
        });
      } finally {
        await worker.close();
        await queue.close();
        await events.close();
      }
    },
    async close() {},
  };
}
