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
import { leaseLost } from '@reprise/core';
import type { CreateInstanceResult, HistoryEvent, InstanceQuery, InstanceRecord, LogEntry, Storage } from '@reprise/core';
import { activityArgs, decodeActivity, decodeLockedInstance, lockExtras, messageArgs, messagesArgs, redeliveredArg, rowArgs } from './codec.js';
import type { ActivityReply, Arg, LockReply, LockedInstanceReply } from './codec.js';
import { Connections } from './connection.js';
import { hubKeys } from './keys.js';
import { resolveOptions } from './options.js';
import type { RedisStorageOptions } from './options.js';
import { queryInstances, scanIndex } from './query-scan.js';

const PURGE_BATCH = 500;

export function redisStorage(options: RedisStorageOptions): Storage {
  const redis = new Connections(resolveOptions(options));

  const storage: Storage = {
    capabilities: { eagerDispatch: true },
    open: () => redis.open(),
    close: () => redis.close(),

    async createInstance(hub, record, message): Promise<CreateInstanceResult> {
      const args: Arg[] = [record.instanceId, ...rowArgs(record), JSON.stringify(message.event), message.visibleAt ?? '', nanoid()];
      const reply = await redis.script<[number, string?]>('createInstance', hub, args, true);
      if (reply[0] !== 1) return { created: false, existing: JSON.parse(reply[1]!) as InstanceRecord };
      if (redis.waitsForReplicas) await redis.replicated();
      return { created: true };
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

    queryInstances: (hub, query) => queryInstances(redis, hub, query),

    async lockInstances(hub, { max, leaseMs, redelivered }) {
      const [items, next, waiting] = await redis.script<LockReply<LockedInstanceReply>>('lockInstances', hub, [max, leaseMs, nanoid(), redeliveredArg(redelivered)]);
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
      const reply = await redis.script<0 | [1, ActivityReply[]]>('commitOrchestration', hub, args);
      if (!Array.isArray(reply)) {
        throw leaseLost('instance', commit.instanceId);
      }
      if (redis.waitsForReplicas) await redis.replicated();
      return eager ? { activities: reply[1].map(decodeActivity) } : {};
    },

    async releaseInstance(hub, instanceId, lockToken, giveBack) {
      await redis.script('releaseInstance', hub, [instanceId, lockToken, giveBack?.countDelivery ? '0' : '1']);
    },

    async lockActivities(hub, { max, leaseMs, redelivered }) {
      const [items, next, waiting] = await redis.script<LockReply<ActivityReply>>('lockActivities', hub, [max, leaseMs, nanoid(), redeliveredArg(redelivered)]);
      return { items: items.map(decodeActivity), ...lockExtras(next, waiting) };
    },

    async completeActivity(hub, completion) {
      const args: Arg[] = [completion.workItemId, completion.lockToken];
      messageArgs(completion.message, args);
      // Eager dispatch: the script leases the woken instance to us when nobody holds it.
      const eager = completion.lockInstance;
      args.push(eager ? eager.leaseMs : '', eager ? nanoid() : '');
      const reply = await redis.script<0 | [1, LockedInstanceReply?]>('completeActivity', hub, args);
      if (!Array.isArray(reply)) {
        throw leaseLost('activity', completion.workItemId);
      }
      if (redis.waitsForReplicas) await redis.replicated();
      return reply[1] ? { instance: decodeLockedInstance(reply[1]) } : {};
    },

    async abandonActivity(hub, workItemId, lockToken, giveBack) {
      await redis.script('abandonActivity', hub, [workItemId, lockToken, giveBack?.countDelivery ? '0' : '1']);
    },

    async renewLeases(hub, leases, leaseMs) {
      if (leases.instances.length === 0 && leases.activities.length === 0) return { lostInstances: [], lostActivities: [] };
      const args: Arg[] = [leaseMs, leases.instances.length];
      for (const { instanceId, lockToken } of leases.instances) args.push(instanceId, lockToken);
      args.push(leases.activities.length);
      for (const { workItemId, lockToken } of leases.activities) args.push(workItemId, lockToken);
      const [lostInstances, lostActivities] = await redis.script<[string[], string[]]>('renewLeases', hub, args);
      return { lostInstances, lostActivities };
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
        const { createdFrom, createdTo, runtimeStatus } = target;
        const query: InstanceQuery = { kind: 'orchestration', createdFrom, createdTo, runtimeStatus };
        await scanIndex(redis, hub, query, 'id', String(createdFrom), async (ids) => {
          await purge(ids);
          return false;
        });
      }
      if (instancesDeleted > 0 && redis.waitsForReplicas) await redis.replicated();
      return { instancesDeleted };
    },

    subscribe: (hub, listener) => redis.subscribe(hub, listener),
  };
  return storage;
}
