/**
 * Registers the Lua scripts on an ioredis client with `defineCommand`, which
 * runs them with EVALSHA and falls back to EVAL when the server's script
 * cache is empty (a restarted server, a failover).
 */
import type { Cluster, Redis } from 'ioredis';
import { ABANDON_ACTIVITY, ACTIVITY_STATES, COMPLETE_ACTIVITY, LOCK_ACTIVITIES, REPORT_PROGRESS } from './activities.js';
import { CANCEL_QUEUED, QUEUE_POSITION } from './groups.js';
import { COMMIT_ORCHESTRATION, CREATE_INSTANCE, LOCK_INSTANCES, RELEASE_INSTANCE, SEND_MESSAGES } from './instances.js';
import { COUNT_INDEXED, MIGRATE_INDEXES, PURGE_INSTANCES, QUERY_SCAN, RENEW_LEASES } from './maintenance.js';
import { PRELUDE } from './prelude.js';
import { HEARTBEAT_RUNTIME, LIST_RUNTIMES, PENDING_MESSAGES, STOP_RUNTIME } from './registry.js';
import { SET_INSTANCE_VERSION } from './versions.js';
import { FORWARD_MESSAGES } from '../partitions/forward-scripts.js';
import { CREATE_GUARD, MOVE_OUT, SEND_AT } from '../partitions/location-scripts.js';

const BODIES = {
  createInstance: CREATE_INSTANCE,
  sendMessages: SEND_MESSAGES,
  lockInstances: LOCK_INSTANCES,
  commitOrchestration: COMMIT_ORCHESTRATION,
  releaseInstance: RELEASE_INSTANCE,
  lockActivities: LOCK_ACTIVITIES,
  completeActivity: COMPLETE_ACTIVITY,
  abandonActivity: ABANDON_ACTIVITY,
  reportProgress: REPORT_PROGRESS,
  activityStates: ACTIVITY_STATES,
  renewLeases: RENEW_LEASES,
  purgeInstances: PURGE_INSTANCES,
  queryScan: QUERY_SCAN,
  queuePosition: QUEUE_POSITION,
  cancelQueued: CANCEL_QUEUED,
  countIndexed: COUNT_INDEXED,
  migrateIndexes: MIGRATE_INDEXES,
  pendingMessages: PENDING_MESSAGES,
  heartbeatRuntime: HEARTBEAT_RUNTIME,
  stopRuntime: STOP_RUNTIME,
  listRuntimes: LIST_RUNTIMES,
  setInstanceVersion: SET_INSTANCE_VERSION,
  forwardMessages: FORWARD_MESSAGES,
  // Partitioned hubs: a create that checks where its id is placed, and a move of an id between partitions.
  createInstanceAt: CREATE_GUARD + CREATE_INSTANCE,
  moveOut: MOVE_OUT,
  sendMessagesAt: SEND_AT,
} as const;

export type ScriptName = keyof typeof BODIES;

/** Runs one script on the hub whose anchor key is given. */
export type ScriptRunner = (name: ScriptName, anchor: string, args: Array<string | number>) => Promise<unknown>;

const COMMAND_PREFIX = 'reprise_';

export function defineScripts(client: Redis | Cluster): ScriptRunner {
  for (const [name, body] of Object.entries(BODIES)) {
    client.defineCommand(COMMAND_PREFIX + name, { numberOfKeys: 1, lua: PRELUDE + body });
  }
  const commands = client as unknown as Record<string, (key: string, ...args: Array<string | number>) => Promise<unknown>>;
  return (name, anchor, args) => commands[COMMAND_PREFIX + name]!.call(client, anchor, ...args);
}
