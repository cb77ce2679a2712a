/**
 * Redis storage: durable state shared by many worker processes on many
 * machines. Every mutation that must be atomic is one Lua script (see
 * ./scripts) that reads the server's clock with TIME, checks the lease's
 * fencing token and publishes its notices; reads are plain commands.
 *
 * No operation is ever applied twice, even when a reply is lost and the
 * same script runs again (a retry here, or a client that re-sends):
 * - create, send and purge carry a request id made once per call; the
 *   script returns the first run's result for a repeat (see prelude.ts);
 * - commit, completeActivity, release and abandon are fenced by the lease
 *   token, which the first run consumes: a repeat finds it gone and changes
 *   nothing (a commit or completion then reports LeaseLostError, and any
 *   work it leased eagerly is redelivered when that lease runs out);
 * - renew sets the same expiry again; a repeated lock leases more work to a
 *   reply nobody reads, redelivered after its lease. The connections the
 *   storage makes never re-send (./connection.ts), so only a caller's own
 *   re-sending client can repeat those.
 */
import { nanoid } from 'nanoid';
import { RUNTIME_RETENTION_MS, StorageError, leaseLost } from '@reprise/core';
import type { CreateInstanceResult, HistoryEvent, InstanceQuery, InstanceRecord, LogEntry, QueuePosition, Storage } from '@reprise/core';
import { decodeRuntime, activityArgs, checkAdmission, decodeActivity, decodeActivityState, decodeLockedInstance, lockExtras, messageArgs, messagesArgs, redeliveredArg, rowArgs, versionArg } from './codec.js';
import type { ActivityReply, ActivityStateReply, Arg, LockReply, LockedInstanceReply } from './codec.js';
import { Connections } from './connection.js';
import { hubKeys } from './keys.js';
import { resolveOptions } from './options.js';
import type { RedisStorageOptions } from './options.js';
import { countInstances, indexMigration, queryInstances, scanIndex } from './query-scan.js';
import { checkPartitionCount, withPartitions } from './partitions/index.js';

const PURGE_BATCH = 500;
/** cancelQueued re-reads a row that changed under it at most this often (a queued instance rarely changes). */
const CANCEL_ATTEMPTS = 20;

export function redisStorage(options: RedisStorageOptions): Storage {
  const resolved = resolveOptions(options);
  const partitions = checkPartitionCount(options.partitions);
  const redis = new Connections(resolved);
  const indexed = indexMigration(redis);

  const storage: Storage = {
    capabilities: { eagerDispatch: true, versioning: true, stepCommit: true },
    open: () => redis.open(),
    close: () => redis.close(),

    async createInstance(hub, record, message, admission): Promise<CreateInstanceResult> {
      if (admission) checkAdmission(admission);
      const args: Arg[] = [record.instanceId, ...rowArgs(record), JSON.stringify(message.event), message.visibleAt ?? '', nanoid()];
      if (admission) args.push(admission.group, admission.limit, admission.maxQueued ?? '', admission.onFull);
      else args.push('', '', '', '');
      const reply = await redis.script<[number, string, number?]>('createInstance', hub, args, true);
      if (reply[0] === 0) return { created: false, existing: JSON.parse(reply[1]) as InstanceRecord };
      if (reply[0] === 2) return { created: false, refused: reply[1] as 'limit' | 'queueFull' };
      if (redis.waitsForReplicas) await redis.replicated();
      const position = Number(reply[2] ?? 0);
      return admission && position > 0 ? { created: true, queued: { group: admission.group, position } } : { created: true };
    },

    async sendMessages(hub, messages) {
      if (messages.length === 0) return;
      const args: Arg[] = [nanoid()];
      messagesArgs(messages, args);
      await redis.script('sendMessages', hub, args, true);
      if (redis.waitsForReplicas) await redis.replicated();
    },

    async getInstance(hub, instanceId) {
      const row = await redis.read((client) => client.hget(hubKeys(hub).instance(instanceId), 'row'));
      return row === null ? undefined : (JSON.parse(row) as InstanceRecord);
    },

    async getHistory(hub, instanceId) {
      const items = await redis.read((client) => client.lrange(hubKeys(hub).history(instanceId), 0, -1));
      return items.map((item) => JSON.parse(item) as HistoryEvent);
    },

    async getLogs(hub, instanceId) {
      const items = await redis.read((client) => client.lrange(hubKeys(hub).logs(instanceId), 0, -1));
      return items.map((item) => JSON.parse(item) as LogEntry);
    },

    async queryInstances(hub, query) {
      await indexed(hub);
      return queryInstances(redis, hub, query);
    },

    async countInstances(hub, query) {
      await indexed(hub);
      return countInstances(redis, hub, query);
    },

    async getQueuePosition(hub, instanceId): Promise<QueuePosition | undefined> {
      const reply = await redis.script<[string, number] | []>('queuePosition', hub, [instanceId], true);
      return reply.length === 2 ? { group: reply[0], position: Number(reply[1]) } : undefined;
    },

    async cancelQueued(hub, instanceId, cancel) {
      for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
        const read = await redis.read((client) => client.hget(hubKeys(hub).instance(instanceId), 'row'));
        if (read === null) return false;
        const row = JSON.parse(read) as InstanceRecord;
        const canceled: InstanceRecord = { ...row, status: 'Canceled', updatedAt: cancel.updatedAt, historyLength: row.historyLength + cancel.history.length };
        if (cancel.output === undefined) delete canceled.output;
        else canceled.output = cancel.output;
        const args: Arg[] = [instanceId, read, ...rowArgs(canceled), cancel.history.length];
        for (const event of cancel.history) args.push(JSON.stringify(event));
        messagesArgs(cancel.messages, args);
        // Not retried on a lost reply: a repeat finds the instance no longer queued and answers false.
        const done = await redis.script<number>('cancelQueued', hub, args);
        if (done === -1) continue;
        if (done === 1 && redis.waitsForReplicas) await redis.replicated();
        return done === 1;
      }
      throw new StorageError(`instance '${instanceId}' kept changing while it was being canceled; try again`);
    },

    async setInstanceVersion(hub, instanceId, { version, historyLength }) {
      for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
        const read = await redis.read((client) => client.hget(hubKeys(hub).instance(instanceId), 'row'));
        if (read === null) return false;
        const row = JSON.parse(read) as InstanceRecord;
        // The history length is judged on the row read; the script applies only if that row is still there.
        if (row.historyLength !== historyLength) return false;
        const [moved] = rowArgs({ ...row, version });
        const done = await redis.script<number>('setInstanceVersion', hub, [instanceId, read, moved!, version]);
        if (done === -1) continue;
        if (done === 1 && redis.waitsForReplicas) await redis.replicated();
        return done === 1;
      }
      throw new StorageError(`instance '${instanceId}' kept changing while its version was being set; try again`);
    },

    async lockInstances(hub, { max, leaseMs, redelivered, version }) {
      const [items, next, waiting] = await redis.script<LockReply<LockedInstanceReply>>('lockInstances', hub, [max, leaseMs, nanoid(), redeliveredArg(redelivered), versionArg(version)], false, 'worker');
      return { items: items.map(decodeLockedInstance), ...lockExtras(next, waiting) };
    },

    async commitOrchestration(hub, commit) {
      const events = 'replace' in commit.history ? commit.history.replace : commit.history.append;
      const args: Arg[] = [commit.instanceId, commit.lockToken, ...rowArgs(commit.instance), 'replace' in commit.history ? 'r' : 'a', events.length];
      for (const event of events) args.push(JSON.stringify(event));
      args.push(commit.consumedMessageIds.length, ...commit.consumedMessageIds);
      messagesArgs(commit.messages, args);
      // Eager dispatch: the script leases up to `max` of the new work items to us.
      const eager = commit.lockActivities;
      const eagerMax = eager ? Math.max(0, Math.min(Math.floor(eager.max), commit.activities.length)) || 0 : 0;
      args.push(eagerMax, eagerMax > 0 ? eager!.leaseMs : '', eagerMax > 0 ? nanoid() : '', commit.activities.length);
      for (const activity of commit.activities) activityArgs(nanoid(), activity, args);
      args.push(commit.logs.length);
      for (const log of commit.logs) args.push(JSON.stringify(log));
      args.push(commit.cancelActivities ? '1' : '0');
      // Step commit: the lease kept for the committer, and the work items whose results this commit records.
      const keepToken = commit.keepLease ? nanoid() : '';
      args.push(commit.keepLease ? commit.keepLease.leaseMs : '', keepToken);
      for (const { workItemId, lockToken } of commit.completeActivities ?? []) args.push(workItemId, lockToken);
      args.push(commit.completeActivities?.length ?? 0);
      const reply = await redis.script<0 | [1, ActivityReply[], number]>('commitOrchestration', hub, args, false, 'worker');
      if (!Array.isArray(reply)) {
        throw leaseLost('instance', commit.instanceId);
      }
      if (redis.waitsForReplicas) await redis.replicated('worker');
      return eager ? { activities: reply[1].map(decodeActivity), ...(reply[2] === 1 && { keptLease: { lockToken: keepToken } }) } : {};
    },

    async releaseInstance(hub, instanceId, lockToken, giveBack) {
      await redis.script('releaseInstance', hub, [instanceId, lockToken, giveBack?.countDelivery ? '0' : '1'], false, 'worker');
    },

    async lockActivities(hub, { max, leaseMs, redelivered, version }) {
      const [items, next, waiting] = await redis.script<LockReply<ActivityReply>>('lockActivities', hub, [max, leaseMs, nanoid(), redeliveredArg(redelivered), versionArg(version)], false, 'worker');
      return { items: items.map(decodeActivity), ...lockExtras(next, waiting) };
    },

    async completeActivity(hub, completion) {
      const args: Arg[] = [completion.workItemId, completion.lockToken];
      messageArgs(completion.message, args);
      // Eager dispatch: the script leases the woken instance to us when nobody holds it.
      const eager = completion.lockInstance;
      args.push(eager ? eager.leaseMs : '', eager ? nanoid() : '');
      if (completion.logs?.length) {
        args.push(completion.logs.length);
        for (const log of completion.logs) args.push(JSON.stringify(log));
      }
      const reply = await redis.script<0 | [1, LockedInstanceReply?]>('completeActivity', hub, args, false, 'worker');
      if (!Array.isArray(reply)) {
        throw leaseLost('activity', completion.workItemId);
      }
      if (redis.waitsForReplicas) await redis.replicated('worker');
      return reply[1] ? { instance: decodeLockedInstance(reply[1]) } : {};
    },

    async abandonActivity(hub, workItemId, lockToken, giveBack) {
      await redis.script('abandonActivity', hub, [workItemId, lockToken, giveBack?.countDelivery ? '0' : '1'], false, 'worker');
    },

    async reportProgress(hub, workItemId, lockToken, progress) {
      const reply = await redis.script<number>('reportProgress', hub, [workItemId, lockToken, JSON.stringify(progress)], false, 'worker');
      if (reply !== 1) throw leaseLost('activity', workItemId);
    },

    async getActivityStates(hub, instanceId) {
      const rows = await redis.script<ActivityStateReply[]>('activityStates', hub, [instanceId], true);
      return rows.map(decodeActivityState);
    },

    async renewLeases(hub, leases, leaseMs) {
      if (leases.instances.length === 0 && leases.activities.length === 0) return { lostInstances: [], lostActivities: [], canceledActivities: [] };
      const args: Arg[] = [leaseMs, leases.instances.length];
      for (const { instanceId, lockToken } of leases.instances) args.push(instanceId, lockToken);
      args.push(leases.activities.length);
      for (const { workItemId, lockToken } of leases.activities) args.push(workItemId, lockToken);
      const [lostInstances, lostActivities, canceledActivities] = await redis.script<[string[], string[], string[]]>('renewLeases', hub, args, false, 'worker');
      return { lostInstances, lostActivities, canceledActivities };
    },

    async purgeInstances(hub, target) {
      let instancesDeleted = 0;
      const purge = async (ids: string[]) => {
        for (let i = 0; i < ids.length; i += PURGE_BATCH) {
          instancesDeleted += await redis.script<number>('purgeInstances', hub, [nanoid(), ...ids.slice(i, i + PURGE_BATCH)], true);
        }
      };
      if ('instanceIds' in target) {
        await purge(target.instanceIds);
      } else {
        const { createdFrom, createdTo, runtimeStatus, namespace } = target;
        const query: InstanceQuery = { kind: 'orchestration', createdFrom, createdTo, runtimeStatus, namespace };
        await indexed(hub);
        await scanIndex(redis, hub, query, 'id', String(createdFrom), async (ids) => {
          await purge(ids);
          return false;
        });
      }
      if (instancesDeleted > 0 && redis.waitsForReplicas) await redis.replicated();
      return { instancesDeleted };
    },

    async getMessages(hub, instanceId) {
      const rows = await redis.script<Array<[string, string, string]>>('pendingMessages', hub, [instanceId], true);
      return rows.map(([id, event, visibleAt]) => ({ id, event: JSON.parse(event) as HistoryEvent, ...(visibleAt !== '' && { visibleAt: Number(visibleAt) }) }));
    },

    async heartbeatRuntime(hub, registration, ttlMs) {
      await redis.script('heartbeatRuntime', hub, [registration.runtimeId, JSON.stringify(registration), ttlMs, RUNTIME_RETENTION_MS], true);
    },

    async stopRuntime(hub, runtimeId) {
      await redis.script('stopRuntime', hub, [runtimeId], true);
    },

    async listRuntimes(hub) {
      const rows = await redis.script<Array<[string, string]>>('listRuntimes', hub, [RUNTIME_RETENTION_MS], true);
      return rows.map(decodeRuntime).sort((a, b) => a.startedAt - b.startedAt || (a.runtimeId < b.runtimeId ? -1 : 1));
    },

    subscribe: (hub, listener, options) => redis.subscribe(hub, listener, options),
  };
  return withPartitions(storage, redis, partitions);
}
