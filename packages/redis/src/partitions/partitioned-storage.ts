/**
 * `redisStorage({ partitions: K })` with K > 1: one hub spread over K
 * partitions (placement.ts), each a complete single-partition hub in its own
 * Cluster slot, run by the unchanged scripts through `inner` (the storage of
 * one key space). This layer routes each call:
 * - by instance id (locations.ts: unique hub-wide) for creates, sends, reads, cancels, purges;
 * - by the partition tag of a lock token (placement.ts) for commits,
 *   completions, give-backs, progress and renewals: no lookup on the hot path;
 * - over every partition, rotating, for lock calls, and merged for counts,
 *   lists (one continuation token format: the page cursor) and notices.
 * Messages to other instances go through the sender partition's outbox
 * (outbox.ts), forwarded exactly once. The runtimes registry is hub-wide, in
 * `{<hub>}`.
 */
import { StorageError, compareInstances, leaseLost, pageOf, pageSizeOf } from '@reprise/core';
import type {
  ActivityWorkItem,
  CreateInstanceResult,
  InstanceRecord,
  LockOptions,
  LockResult,
  LockedInstance,
  NewMessage,
  Storage,
  StorageNotice,
  SubscribeOptions,
} from '@reprise/core';
import type { Connections } from '../connection.js';
import { KnownIdle } from './known-idle.js';
import { probe } from './probe.js';
import { createAt, MISPLACED, sendAt } from './create-at.js';
import { MAX_MOVES } from './locations.js';
import type { Locations } from './locations.js';
import { toOutbox } from './outbox.js';
import type { Outbox } from './outbox.js';
import { partitionHub, tagToken, untagToken } from './placement.js';

/** How often lock calls forward what a dead process left in the outboxes. */
const SWEEP_MS = 1000;

interface Parts {
  redis: Connections;
  inner: Storage;
  k: number;
  locations: Locations;
  outbox: Outbox;
  /** Resolves once the hub is known to have k partitions. */
  checked: (hub: string) => Promise<void> | undefined;
}

/** Lock tokens and message ids (a sequence per partition) leave tagged with their partition. */
function tagLocked(p: number, locked: LockedInstance): LockedInstance {
  return { ...locked, lockToken: tagToken(p, locked.lockToken), messages: locked.messages.map((m) => ({ ...m, id: tagToken(p, m.id) })) };
}

function tagActivity(p: number, item: ActivityWorkItem): ActivityWorkItem {
  return { ...item, lockToken: tagToken(p, item.lockToken) };
}

export function partitionedStorage({ redis, inner, k, locations, outbox, checked }: Parts): Storage {

  const part = (hub: string, p: number) => partitionHub(hub, p);
  const all = Array.from({ length: k }, (_, p) => p);
  const rotation = new Map<string, number>();
  const swept = new Map<string, number>();
  const known = new KnownIdle(k);
  outbox.onForwarded = (hub, p) => known.wrote(hub, p);

  /** Messages to instance `self` stay in the commit; every other one goes through the outbox. */
  const route = (messages: NewMessage[], self: string | undefined): { messages: NewMessage[]; remote: boolean } => {
    let remote = false;
    const routed = messages.map((m) => {
      if (m.instanceId === self) return m;
      remote = true;
      return toOutbox(m);
    });
    return { messages: routed, remote };
  };

  const next = (hub: string): number => {
    const start = rotation.get(hub) ?? Math.floor(Math.random() * k);
    rotation.set(hub, (start + 1) % k);
    return start;
  };

  /** Forwards what a process that died after its commit left in the outboxes (at most every SWEEP_MS). */
  const sweep = (hub: string): void => {
    const now = Date.now();
    if (now - (swept.get(hub) ?? 0) < SWEEP_MS) return;
    swept.set(hub, now);
    for (const p of all) outbox.drain(hub, p).catch(() => swept.delete(hub));
  };

  /** Lock calls walk the partitions from a rotating start until `max` items are leased. */
  async function lockAll<T>(
    hub: string,
    options: LockOptions,
    lock: (hub: string, options: LockOptions) => Promise<LockResult<T>>,
    tag: (p: number, item: T) => T,
    kind: 'instances' | 'activities',
  ): Promise<LockResult<T>> {
    await checked(hub);
    sweep(hub);
    const start = next(hub);
    const rotated = all.map((_, i) => (start + i) % k);
    const now = Date.now();
    // Partitions known idle are not asked (with a version filter each call's answer differs: all are).
    const seq = options.version === undefined ? known.snapshot(hub, kind) : undefined;
    const skipped = seq ? rotated.filter((p) => known.skips(hub, kind, p, now)) : [];
    const asked = skipped.length > 0 ? rotated.filter((p) => !skipped.includes(p)) : rotated;
    const probes = await Promise.all(asked.map((p) => probe(redis, kind, part(hub, p))));
    const allowed = options.redelivered !== false;
    // Redelivered work comes before fresh work hub-wide: the partitions that may hold some are asked first.
    const order = [
      ...asked.filter((_, i) => allowed && probes[i]!.redelivered),
      // Without redelivered work allowed, those partitions are still asked: they say whether some waits.
      ...asked.filter((_, i) => (probes[i]!.fresh || (!allowed && probes[i]!.redelivered)) && !(allowed && probes[i]!.redelivered)),
    ];
    const items: T[] = [];
    let nextVisibleInMs = known.nextDueMs(hub, kind, skipped, now);
    let redeliveredWaiting = false;
    probes.forEach((pr, i) => {
      if (pr.nextMs >= 0) nextVisibleInMs = Math.min(nextVisibleInMs ?? Infinity, pr.nextMs);
      if (seq && !pr.fresh && !pr.redelivered) known.found(hub, kind, asked[i]!, seq, pr.nextMs);
    });
    for (const p of order) {
      if (items.length >= options.max) break;
      // A redelivered item is handed out alone: once some are leased, only fresh ones.
      const result = await lock(part(hub, p), { ...options, max: options.max - items.length, redelivered: items.length === 0 ? options.redelivered : false });
      for (const item of result.items) items.push(tag(p, item));
      if (seq && result.items.length === 0 && !result.redeliveredWaiting) known.found(hub, kind, p, seq, result.nextVisibleInMs);
      if (result.nextVisibleInMs !== undefined) nextVisibleInMs = Math.min(nextVisibleInMs ?? Infinity, result.nextVisibleInMs);
      if (result.redeliveredWaiting && options.redelivered === false) redeliveredWaiting = true;
      if (options.redelivered !== false && result.items.length > 0 && items.length === result.items.length && isRedelivered(result.items[0])) break;
    }
    return { items, ...(items.length === 0 && nextVisibleInMs !== undefined && { nextVisibleInMs }), ...(redeliveredWaiting && { redeliveredWaiting }) };
  }

  const storage: Storage = {
    capabilities: inner.capabilities,
    open: () => inner.open(),
    close: () => inner.close(),

    async createInstance(hub, record, message, admission): Promise<CreateInstanceResult> {
      await checked(hub);
      const id = record.instanceId;
      // Into a group: the group's partition (a live instance elsewhere is returned as it is, a finished one moves).
      const want = admission && locations.groupPartition(admission.group);
      for (let attempt = 0; attempt < MAX_MOVES; attempt++) {
        const at = await locations.forCreate(hub, id, want);
        if ('live' in at) return { created: false, existing: JSON.parse(at.live) as InstanceRecord };
        const result = await createAt(redis, part(hub, at.p), record, message, admission, at.token);
        if (result !== MISPLACED) {
          known.wrote(hub, at.p);
          return result;
        }
        // Placed elsewhere since it was read (a racing create moved it), or a mover died midway: route again.
        await locations.refused(hub, id, at);
      }
      throw new StorageError(`instance ${JSON.stringify(id)}: its placement kept changing under ${MAX_MOVES} creates`);
    },

    async sendMessages(hub, messages) {
      if (messages.length === 0) return;
      await checked(hub);
      const places = await locations.locate(hub, messages.map((m) => m.instanceId));
      const where = places.map((at) => at.p);
      if (where.every((p) => p === where[0]) && !messages.some((m) => m.createIfMissing && m.admission)) {
        if (!messages.some((m) => m.createIfMissing)) {
          await inner.sendMessages(part(hub, where[0]!), messages);
          known.wrote(hub, where[0]!);
          return;
        }
        // One that may create its instance: checked where its id is placed; else through the outbox, which routes again.
        if ((await sendAt(redis, part(hub, where[0]!), messages, places)) !== MISPLACED) {
          known.wrote(hub, where[0]!);
          return;
        }
      }
      // Several partitions: written at once to one outbox, then forwarded (all or none are accepted).
      await inner.sendMessages(part(hub, where[0]!), messages.map(toOutbox));
      await outbox.drain(hub, where[0]!);
    },

    async getInstance(hub, id) {
      return inner.getInstance(part(hub, (await locations.locateOne(hub, id)).p), id);
    },
    async getHistory(hub, id) {
      return inner.getHistory(part(hub, (await locations.locateOne(hub, id)).p), id);
    },
    async getLogs(hub, id) {
      return inner.getLogs(part(hub, (await locations.locateOne(hub, id)).p), id);
    },
    async getMessages(hub, id) {
      const p = (await locations.locateOne(hub, id)).p;
      return (await inner.getMessages(part(hub, p), id)).map((m) => ({ ...m, id: tagToken(p, m.id) }));
    },
    async getActivityStates(hub, id) {
      return inner.getActivityStates(part(hub, (await locations.locateOne(hub, id)).p), id);
    },
    async getQueuePosition(hub, id) {
      return inner.getQueuePosition(part(hub, (await locations.locateOne(hub, id)).p), id);
    },

    async queryInstances(hub, query) {
      const size = pageSizeOf(query);
      // Each partition's page after the same cursor; the first `size` of their merge is the hub's page.
      const pages = await Promise.all(all.map((p) => inner.queryInstances(part(hub, p), { ...query, pageSize: size })));
      const merged: InstanceRecord[] = pages.flatMap((page) => page.instances).sort(compareInstances);
      // A partition with more returned `size` rows, so the merge has at least `size`; pageOf reads a row past them as "more".
      const more = pages.some((page) => page.continuationToken !== undefined);
      return pageOf(more && merged.length === size ? [...merged, merged[size - 1]!] : merged, size);
    },

    async countInstances(hub, query) {
      const counts = await Promise.all(all.map((p) => inner.countInstances(part(hub, p), query)));
      return counts.reduce((a, b) => a + b, 0);
    },

    async cancelQueued(hub, id, cancel) {
      const p = (await locations.locateOne(hub, id)).p;
      const { messages, remote } = route(cancel.messages, id);
      const done = await inner.cancelQueued(part(hub, p), id, { ...cancel, messages });
      known.wrote(hub, p);
      if (remote) await outbox.drain(hub, p);
      return done;
    },

    async setInstanceVersion(hub, id, change) {
      return inner.setInstanceVersion!(part(hub, (await locations.locateOne(hub, id)).p), id, change);
    },

    lockInstances: (hub, options) => lockAll(hub, options, (h, o) => inner.lockInstances(h, o), tagLocked, 'instances'),

    async commitOrchestration(hub, commit) {
      const at = untagToken(commit.lockToken, k);
      if (!at) throw leaseLost('instance', commit.instanceId);
      const { messages, remote } = route(commit.messages, commit.instanceId);
      const consumedMessageIds = commit.consumedMessageIds.flatMap((tagged) => {
        const m = untagToken(tagged, k);
        return m && m.p === at.p ? [m.token] : [];
      });
      // Step commit: an instance's work items live in its partition, so their tokens carry the same one.
      const completeActivities = commit.completeActivities?.map(({ workItemId, lockToken }) => {
        const item = untagToken(lockToken, k);
        if (!item || item.p !== at.p) throw leaseLost('activity', workItemId);
        return { workItemId, lockToken: item.token };
      });
      const result = await inner.commitOrchestration(part(hub, at.p), {
        ...commit,
        lockToken: at.token,
        messages,
        consumedMessageIds,
        ...(completeActivities && { completeActivities }),
      });
      known.wrote(hub, at.p);
      if (remote) await outbox.drain(hub, at.p);
      if (!result?.activities) return result;
      const activities = result.activities.map((item) => tagActivity(at.p, item));
      return result.keptLease ? { activities, keptLease: { lockToken: tagToken(at.p, result.keptLease.lockToken) } } : { activities };
    },

    async releaseInstance(hub, id, lockToken, giveBack) {
      const at = untagToken(lockToken, k);
      if (!at) return;
      await inner.releaseInstance(part(hub, at.p), id, at.token, giveBack);
      known.wrote(hub, at.p);
    },

    lockActivities: (hub, options) => lockAll(hub, options, (h, o) => inner.lockActivities(h, o), tagActivity, 'activities'),

    async completeActivity(hub, completion) {
      const at = untagToken(completion.lockToken, k);
      if (!at) throw leaseLost('activity', completion.workItemId);
      const result = await inner.completeActivity(part(hub, at.p), { ...completion, lockToken: at.token });
      known.wrote(hub, at.p);
      return result?.instance ? { instance: tagLocked(at.p, result.instance) } : result;
    },

    async abandonActivity(hub, workItemId, lockToken, giveBack) {
      const at = untagToken(lockToken, k);
      if (!at) return;
      await inner.abandonActivity(part(hub, at.p), workItemId, at.token, giveBack);
      known.wrote(hub, at.p);
    },

    async reportProgress(hub, workItemId, lockToken, progress) {
      const at = untagToken(lockToken, k);
      if (!at) throw leaseLost('activity', workItemId);
      await inner.reportProgress(part(hub, at.p), workItemId, at.token, progress);
    },

    async renewLeases(hub, leases, leaseMs) {
      const lostInstances: string[] = [];
      const lostActivities: string[] = [];
      const canceledActivities: string[] = [];
      const byPartition = new Map<number, { instances: Array<{ instanceId: string; lockToken: string }>; activities: Array<{ workItemId: string; lockToken: string }> }>();
      const bucket = (p: number) => {
        let b = byPartition.get(p);
        if (!b) byPartition.set(p, (b = { instances: [], activities: [] }));
        return b;
      };
      for (const { instanceId, lockToken } of leases.instances) {
        const at = untagToken(lockToken, k);
        if (at) bucket(at.p).instances.push({ instanceId, lockToken: at.token });
        else lostInstances.push(lockToken);
      }
      for (const { workItemId, lockToken } of leases.activities) {
        const at = untagToken(lockToken, k);
        if (at) bucket(at.p).activities.push({ workItemId, lockToken: at.token });
        else lostActivities.push(lockToken);
      }
      // The replies name lock tokens: tagged again, as the caller holds them.
      const results = await Promise.all([...byPartition].map(async ([p, b]) => ({ p, r: await inner.renewLeases(part(hub, p), b, leaseMs) })));
      for (const { p, r } of results) {
        lostInstances.push(...r.lostInstances.map((t) => tagToken(p, t)));
        lostActivities.push(...r.lostActivities.map((t) => tagToken(p, t)));
        canceledActivities.push(...r.canceledActivities.map((t) => tagToken(p, t)));
      }
      return { lostInstances, lostActivities, canceledActivities };
    },

    async purgeInstances(hub, target) {
      let instancesDeleted = 0;
      if ('instanceIds' in target) {
        const where = (await locations.locate(hub, target.instanceIds)).map((at) => at.p);
        const groups = new Map<number, string[]>();
        target.instanceIds.forEach((id, i) => {
          const ids = groups.get(where[i]!) ?? [];
          ids.push(id);
          groups.set(where[i]!, ids);
        });
        for (const [p, ids] of groups) {
          instancesDeleted += (await inner.purgeInstances(part(hub, p), { instanceIds: ids })).instancesDeleted;
          await locations.drop(hub, p, ids);
        }
      } else {
        // The placements of what the filter purged go in the same pass (any placement whose instance is gone).
        for (const p of all) {
          instancesDeleted += (await inner.purgeInstances(part(hub, p), target)).instancesDeleted;
          await locations.drop(hub, p);
        }
      }
      return { instancesDeleted };
    },

    // The runtimes registry is hub-wide: `{<hub>}`, as with one partition.
    async heartbeatRuntime(hub, registration, ttlMs) {
      await checked(hub);
      await inner.heartbeatRuntime(hub, registration, ttlMs);
    },
    stopRuntime: (hub, runtimeId) => inner.stopRuntime(hub, runtimeId),
    listRuntimes: (hub) => inner.listRuntimes(hub),

    subscribe(hub, listener: (notice: StorageNotice) => void, options?: SubscribeOptions) {
      known.listening(hub, 1);
      const stops = all.map((p) =>
        inner.subscribe(
          part(hub, p),
          (notice) => {
            known.heard(hub, p, notice);
            listener(notice);
          },
          options,
        ),
      );
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        known.listening(hub, -1);
        for (const stop of stops) stop();
      };
    },
  };
  return storage;
}

/** Whether a lock reply item was handed out before (a LockedInstance or an ActivityWorkItem). */
function isRedelivered(item: unknown): boolean {
  return typeof item === 'object' && item !== null && 'deliveries' in item && Number((item as { deliveries: unknown }).deliveries) > 1;
}
