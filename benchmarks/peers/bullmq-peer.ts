/**
 * BullMQ peers of W3, written from BullMQ's documentation:
 * - `steps`: its step-job pattern, one job per workflow that checkpoints with
 *   `job.updateData` after each step (a restarted job resumes at the saved step);
 * - `flow`: a FlowProducer chain, a job per step (step1 is the leaf; a parent
 *   runs once its child completed and reads the child's value).
 * One Worker with concurrency 100 (Reprise's default `maxConcurrentActivities`);
 * completions observed through QueueEvents, as a BullMQ client would.
 */
import { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { checkOutput, startAll } from './program.js';
import type { PeerProgram } from './program.js';

const CONCURRENCY = 100;

interface StepData {
  x: number;
  step: number;
}

export function bullmqPeer(pattern: 'steps' | 'flow'): PeerProgram {
  const url = new URL(process.env.PEER_REDIS_URL!);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };

  async function stepJob(job: Job<StepData>): Promise<number> {
    let { x, step } = job.data;
    while (step < 3) {
      x += 1;
      step += 1;
      await job.updateData({ x, step });
    }
    return x;
  }

  async function flowStep(job: Job<{ x?: number }>): Promise<number> {
    if (job.data.x !== undefined) return job.data.x + 1;
    const values = Object.values(await job.getChildrenValues<number>());
    return values[0]! + 1;
  }

  return {
    async run(mode, n, tag) {
      const queueName = `w3-${pattern}-${tag}`;
      const events = new QueueEvents(queueName, { connection });
      await events.waitUntilReady();
      const outputs = new Map<string, unknown>();
      const done = new Promise<void>((resolve, reject) => {
        events.on('completed', ({ jobId, returnvalue }) => {
          if (!jobId.startsWith('w')) return; // a flow's inner step
          outputs.set(jobId, returnvalue);
          if (outputs.size === n) resolve();
        });
        events.on('failed', ({ jobId, failedReason }) => reject(new Error(`bullmq ${pattern}: job ${jobId} failed: ${failedReason}`)));
      });
      const worker = new Worker(queueName, pattern === 'steps' ? stepJob : flowStep, { connection, concurrency: CONCURRENCY });
      const queue = pattern === 'steps' ? new Queue<StepData>(queueName, { connection }) : undefined;
      const flows = pattern === 'flow' ? new FlowProducer({ connection }) : undefined;
      try {
        await startAll(mode, n, async (i) => {
          const jobId = `w${i}`;
          if (queue) return queue.add('ThreeSteps', { x: i, step: 0 }, { jobId });
          return flows!.add({
            name: 'step3',
            queueName,
            data: {},
            opts: { jobId },
            children: [{ name: 'step2', queueName, data: {}, children: [{ name: 'step1', queueName, data: { x: i } }] }],
          });
        });
        await done;
        for (let i = 0; i < n; i++) checkOutput(`bullmq-${pattern}`, i, outputs.get(`w${i}`));
      } finally {
        await worker.close();
        await queue?.close();
        await flows?.close();
        await events.close();
      }
    },
    async close() {},
  };
}
