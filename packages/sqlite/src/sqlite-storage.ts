/**
 * `sqliteStorage`: the Storage contract on one SQLite file (WAL mode), which
 * several Node processes may share.
 *
 * Every operation goes through the group-commit queue in call order: writes
 * share one BEGIN IMMEDIATE transaction per tick (see group-commit.ts), reads
 * run in the same order without taking the write lock. Leases are judged by
 * this process's clock (`Date.now()` unless a clock is given): SQLite has no
 * server clock, and processes on one machine share one.
 */
import type Database from 'better-sqlite3';
import { nanoid } from 'nanoid';
import { StorageError } from '@reprise/core';
import type { Storage } from '@reprise/core';
import { abandonActivity, completeActivity, lockActivities, reportProgress } from './activity-ops.js';
import { GroupCommit } from './group-commit.js';
import { commitOrchestration, createInstance, lockInstances, releaseInstance, sendMessages, setInstanceVersion } from './instance-ops.js';
import { renewLeases } from './lease-ops.js';
import { purgeInstances } from './purge-ops.js';
import { Notifier } from './notifier.js';
import type { Op } from './op-context.js';
import { isMemoryPath, openDatabase, resolvedPath } from './open-database.js';
import { resolveOptions } from './options.js';
import type { SqliteStorageOptions } from './options.js';
import { countInstances, getActivityStates, getHistory, getInstance, getLogs, getMessages, queryInstances } from './queries.js';
import { heartbeatRuntime, listRuntimes, stopRuntime } from './runtime-ops.js';
import { cancelQueued, getQueuePosition } from './group-ops.js';
import { prepareStatements } from './statements.js';

interface Connection {
  db: Database.Database;
  commits: GroupCommit;
}

export function sqliteStorage(options: SqliteStorageOptions): Storage {
  const opts = resolveOptions(options);
  // In-process notices are shared by every storage on the same file; ':memory:' is private.
  const key = isMemoryPath(opts.path) ? `:memory:#${nanoid()}` : resolvedPath(opts.path);
  const notifier = new Notifier(key, opts.minPollIntervalMs, opts.pollIntervalMs, opts.onError);
  let connection: Connection | undefined;
  let opening: Promise<Connection> | undefined;
  let closing: Promise<void> | undefined;
  let everOpened = false;

  async function connect(): Promise<Connection> {
    const db = await openDatabase(opts);
    const s = prepareStatements(db);
    const commits = new GroupCommit(db, s, {
      maxBatchSize: opts.maxBatchSize,
      busyTimeoutMs: opts.busyTimeoutMs,
      clock: opts.clock,
      onCommitted: (notices, wrote, changes) => notifier.committed(notices, wrote, changes),
    });
    notifier.attach(db, s);
    return { db, commits };
  }

  function open(): Promise<Connection> {
    if (connection) return Promise.resolve(connection);
    if (!opening) {
      everOpened = true;
      const pending = (closing ?? Promise.resolve()).then(connect);
      opening = pending;
      pending.then(
        (c) => {
          connection = c;
          opening = undefined;
        },
        () => {
          opening = undefined;
        },
      );
    }
    return opening;
  }

  async function run<T>(hub: string, write: boolean, op: Op<T>): Promise<T> {
    // The first call opens lazily; after close() nothing runs until open() is called again.
    if (!connection && !opening && (everOpened || closing)) throw new StorageError('sqliteStorage: the storage is closed');
    const c = connection ?? (await open());
    return c.commits.submit(hub, write, op);
  }

  async function close(): Promise<void> {
    if (closing) return closing;
    const current = connection ?? (opening ? await opening.catch(() => undefined) : undefined);
    if (!current) return;
    connection = undefined;
    closing = (async () => {
      await current.commits.close();
      notifier.detach();
      try {
        current.db.pragma('optimize');
      } catch {
        // statistics are an optimisation; a busy file must not stop close()
      }
      current.db.close();
    })();
    try {
      await closing;
    } finally {
      closing = undefined;
    }
  }

  return {
    capabilities: { eagerDispatch: true, versioning: true, stepCommit: true },
    async open() {
      await open();
    },
    close,
    createInstance: (hub, record, message, admission) => run(hub, true, createInstance(hub, record, message, admission)),
    sendMessages: (hub, messages) => run(hub, true, sendMessages(hub, messages)),
    getInstance: (hub, instanceId) => run(hub, false, getInstance(hub, instanceId)),
    getHistory: (hub, instanceId) => run(hub, false, getHistory(hub, instanceId)),
    getLogs: (hub, instanceId) => run(hub, false, getLogs(hub, instanceId)),
    queryInstances: (hub, query) => run(hub, false, queryInstances(hub, query)),
    countInstances: (hub, query) => run(hub, false, countInstances(hub, query)),
    getQueuePosition: (hub, instanceId) => run(hub, false, getQueuePosition(hub, instanceId)),
    cancelQueued: (hub, instanceId, cancel) => run(hub, true, cancelQueued(hub, instanceId, cancel)),
    lockInstances: (hub, lockOptions) => run(hub, true, lockInstances(hub, lockOptions)),
    setInstanceVersion: (hub, instanceId, change) => run(hub, true, setInstanceVersion(hub, instanceId, change)),
    commitOrchestration: (hub, commit) => run(hub, true, commitOrchestration(hub, commit)),
    releaseInstance: (hub, instanceId, lockToken, giveBack) => run(hub, true, releaseInstance(hub, instanceId, lockToken, giveBack)),
    lockActivities: (hub, lockOptions) => run(hub, true, lockActivities(hub, lockOptions)),
    completeActivity: (hub, completion) => run(hub, true, completeActivity(hub, completion)),
    abandonActivity: (hub, workItemId, lockToken, giveBack) => run(hub, true, abandonActivity(hub, workItemId, lockToken, giveBack)),
    reportProgress: (hub, workItemId, lockToken, progress) => run(hub, true, reportProgress(hub, workItemId, lockToken, progress)),
    getActivityStates: (hub, instanceId) => run(hub, false, getActivityStates(hub, instanceId)),
    renewLeases: (hub, leases, leaseMs) => run(hub, true, renewLeases(hub, leases, leaseMs)),
    purgeInstances: (hub, target) => run(hub, true, purgeInstances(hub, target)),
    getMessages: (hub, instanceId) => run(hub, false, getMessages(hub, instanceId)),
    heartbeatRuntime: (hub, registration, ttlMs) => run(hub, true, heartbeatRuntime(hub, registration, ttlMs)),
    stopRuntime: (hub, runtimeId) => run(hub, true, stopRuntime(hub, runtimeId)),
    listRuntimes: (hub) => run(hub, false, listRuntimes(hub)),
    subscribe: (hub, listener) => notifier.subscribe(hub, listener),
  };
}
