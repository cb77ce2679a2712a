/**
 * One peer measurement in its own process (so its CPU is its own): a warm-up
 * batch, then one measured batch; sends { totalMs, nodeCpuUs, serverCpuUs }.
 * Configured by the environment peers.ts sets.
 */
import { ownCpuMicros, serverCpuMicros } from './proc-cpu.js';
import type { PeerProgram, StartMode } from './program.js';

export type PeerName = 'reprise-sqlite' | 'reprise-sqlite-full' | 'reprise-redis' | 'bullmq-steps' | 'bullmq-flow' | 'bullmq-events' | 'dbos';

export interface ChildResult {
  totalMs: number;
  nodeCpuUs: number;
  serverCpuUs: number;
  /** W5 ('events' mode) only. */
  p50Ms?: number;
  p99Ms?: number;
}

async function program(peer: PeerName): Promise<PeerProgram> {
  switch (peer) {
    case 'reprise-sqlite':
      return (await import('./reprise-peer.js')).reprisePeer('sqlite');
    case 'reprise-sqlite-full':
      return (await import('./reprise-peer.js')).reprisePeer('sqlite-full');
    case 'reprise-redis':
      return (await import('./reprise-peer.js')).reprisePeer('redis');
    case 'bullmq-steps':
      return (await import('./bullmq-peer.js')).bullmqPeer('steps');
    case 'bullmq-flow':
      return (await import('./bullmq-peer.js')).bullmqPeer('flow');
    case 'bullmq-events':
      return (await import('./bullmq-events-peer.js')).bullmqEventsPeer();
    case 'dbos':
      return (await import('./dbos-peer.js')).dbosPeer();
  }
}

const peer = process.env.PEER as PeerName;
const mode = process.env.PEER_MODE as StartMode | 'events';
const n = Number(process.env.PEER_N);
const serverPid = process.env.PEER_SERVER_PID ? Number(process.env.PEER_SERVER_PID) : undefined;
const server = () => (serverPid === undefined ? 0 : serverCpuMicros(serverPid));

const subject = await program(peer);
// W5 ('events'): the same warm-up, then n event round trips, timed one by one.
const once = (count: number, tag: string) => (mode === 'events' ? subject.events!(count, tag) : subject.run(mode, count, tag));
await once(Math.min(n, 300), `${mode}-warmup`);
const cpu0 = ownCpuMicros();
const server0 = server();
const t0 = performance.now();
const latencies = await once(n, `${mode}-bench`);
const totalMs = performance.now() - t0;
const result: ChildResult = { totalMs, nodeCpuUs: ownCpuMicros() - cpu0, serverCpuUs: server() - server0, ...(latencies ?? {}) };
await subject.close();
process.send!(result);
process.disconnect();
