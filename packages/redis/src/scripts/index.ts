/**
 * Runs the Lua scripts on an ioredis client with EVALSHA, falling back to
 * EVAL when the server's script cache does not have one (a restarted server,
 * a failover). The command is built once from the caller's argument array
 * (ioredis' defineCommand copied the arguments three times per call and
 * chained two more promises: part of the adapter's own cost, issue 20).
 */
import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { Cluster, Redis } from 'ioredis';
import { ABANDON_ACTIVITY, ACTIVITY_STATES, COMPLETE_ACTIVITY, LOCK_ACTIVITIES, REPORT_PROGRESS } from './activities.js';
import { CANCEL_QUEUED, QUEUE_POSITION } from './groups.js';
import { COMMIT_ORCHESTRATION, CREATE_INSTANCE, LOCK_INSTANCES, RELEASE_INSTANCE, SEND_MESSAGES } from './instances.js';
import { COUNT_INDEXED, MIGRATE_INDEXES, PURGE_INSTANCES, QUERY_SCAN, RENEW_LEASES } from './maintenance.js';
import { preludeFor } from './link.js';
import { HEARTBEAT_RUNTIME, LIST_RUNTIMES, PENDING_MESSAGES, STOP_RUNTIME } from './registry.js';
import { SET_INSTANCE_VERSION } from './versions.js';
import { FORWARD_MESSAGES } from '../partitions/forward-scripts.js';
import { CREATE_GUARD, MOVE_OUT, SEND_AT } from '../partitions/location-scripts.js';

/**
 * Each script: its body and the prelude helpers it calls (link.ts adds what those call).
 * test/script-deps.test.ts fails when a body calls a helper its list leaves out.
 */
export const SCRIPTS = {
  createInstance: { body: CREATE_INSTANCE, uses: ['first_result', 'queue_rank', 'judge_admission', 'leave_group', 'remove_instance', 'put_row', 'join_group', 'enqueue', 'remember_result', 'publish'] },
  sendMessages: { body: SEND_MESSAGES, uses: ['first_result', 'enqueue_argv', 'remember_result', 'publish'] },
  lockInstances: { body: LOCK_INSTANCES, uses: ['set_version_filter', 'instance_leased', 'mark_ready', 'num', 'version_ok', 'park_instance', 'lease_instance', 'accepted_parking', 'publish'] },
  commitOrchestration: { body: COMMIT_ORCHESTRATION, uses: ['num', 'call_many', 'put_row', 'leave_group', 'enqueue_argv', 'promote_due', 'earliest_lease', 'mark_ready', 'publish'] },
  releaseInstance: { body: RELEASE_INSTANCE, uses: ['num', 'mark_ready', 'publish'] },
  lockActivities: { body: LOCK_ACTIVITIES, uses: ['set_version_filter', 'version_ok', 'num', 'park_activity', 'accepted_parking'] },
  completeActivity: { body: COMPLETE_ACTIVITY, uses: ['num', 'call_many', 'enqueue', 'promote_due', 'earliest_lease', 'lease_instance', 'publish'] },
  abandonActivity: { body: ABANDON_ACTIVITY, uses: ['num', 'publish'] },
  reportProgress: { body: REPORT_PROGRESS, uses: ['num'] },
  activityStates: { body: ACTIVITY_STATES, uses: ['num'] },
  renewLeases: { body: RENEW_LEASES, uses: ['num'] },
  purgeInstances: { body: PURGE_INSTANCES, uses: ['first_result', 'leave_group', 'remove_instance', 'remember_result'] },
  queryScan: { body: QUERY_SCAN, uses: ['num'] },
  queuePosition: { body: QUEUE_POSITION, uses: ['queue_rank'] },
  cancelQueued: { body: CANCEL_QUEUED, uses: ['leave_group', 'put_row', 'call_many', 'enqueue_argv', 'publish'] },
  countIndexed: { body: COUNT_INDEXED, uses: [] },
  migrateIndexes: { body: MIGRATE_INDEXES, uses: ['index_row'] },
  pendingMessages: { body: PENDING_MESSAGES, uses: [] },
  heartbeatRuntime: { body: HEARTBEAT_RUNTIME, uses: [] },
  stopRuntime: { body: STOP_RUNTIME, uses: [] },
  listRuntimes: { body: LIST_RUNTIMES, uses: [] },
  setInstanceVersion: { body: SET_INSTANCE_VERSION, uses: ['num', 'park_suffix', 'mark_ready', 'publish'] },
  forwardMessages: { body: FORWARD_MESSAGES, uses: ['enqueue_argv', 'publish'] },
  // Partitioned hubs: a create that checks where its id is placed, and a move of an id between partitions.
  createInstanceAt: { body: CREATE_GUARD + CREATE_INSTANCE, uses: ['first_result', 'queue_rank', 'judge_admission', 'leave_group', 'remove_instance', 'put_row', 'join_group', 'enqueue', 'remember_result', 'publish'] },
  moveOut: { body: MOVE_OUT, uses: ['leave_group', 'remove_instance'] },
  sendMessagesAt: { body: SEND_AT, uses: ['first_result', 'enqueue_argv', 'remember_result', 'publish'] },
} as const satisfies Record<string, { body: string; uses: readonly string[] }>;

export type ScriptName = keyof typeof SCRIPTS;

/** Runs one script on the hub whose anchor key is given. */
export type ScriptRunner = (name: ScriptName, anchor: string, args: Array<string | number>) => Promise<unknown>;

/** Each script's full Lua text: the prelude it needs, then its body. */
export const SOURCES = Object.fromEntries(Object.entries(SCRIPTS).map(([name, { body, uses }]) => [name, preludeFor(uses) + '\n' + body])) as Record<ScriptName, string>;

const SHAS = Object.fromEntries(Object.entries(SOURCES).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')])) as Record<ScriptName, string>;

export function defineScripts(client: Redis | Cluster): ScriptRunner {
  // The client's keyPrefix applies to the declared key, as for any command.
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  const commandOptions = { keyPrefix: options.keyPrefix ?? options.redisOptions?.keyPrefix, replyEncoding: 'utf8' as const };
  const send = (name: 'evalsha' | 'eval', argv: Array<string | number>) => {
    const command = new Command(name, argv, commandOptions);
    void client.sendCommand(command);
    return command.promise;
  };
  // As ioredis does: a script's first run on a socket is an EVAL (which caches it), so no
  // call pays a NOSCRIPT round trip, nor loses its reply to one. A Cluster has no one socket.
  // A command sent while not ready waits in ioredis' offline queue for a socket yet to come.
  const cluster = 'isCluster' in client && client.isCluster;
  const sentOn = new Map<ScriptName, unknown>();
  return (name, anchor, args) => {
    const stream = (client as { stream?: unknown }).stream;
    const first = !cluster && (client.status !== 'ready' || sentOn.get(name) !== stream);
    if (first && client.status === 'ready') sentOn.set(name, stream);
    const argv: Array<string | number> = [first ? SOURCES[name] : SHAS[name], 1, anchor];
    for (let i = 0; i < args.length; i++) argv.push(args[i]!);
    if (first) return send('eval', argv);
    return send('evalsha', argv).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      argv[0] = SOURCES[name];
      return send('eval', argv);
    });
  };
}
