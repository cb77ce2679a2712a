/**
 * In-process storage: the reference implementation of the Storage contract.
 *
 * Everything lives in Maps per task hub; every call is synchronous inside, so
 * each operation is trivially atomic. Records are copied in and out so callers
 * can never mutate stored state by accident.
 *
 * Redelivered work (handed out before, its holder died) waits in its own
 * queues, apart from fresh work, so a lock call finds it without a scan of
 * the fresh queue and hands it out alone (or, asked for fresh work only,
 * says it waits).
 *
 * Concurrency groups keep their members here too: the ids holding a slot,
 * and a FIFO of queued ones with their held start messages.
 */
import EventEmitter from 'eventemitter3';
import { DueHeap } from './due-heap.js';
import { InstanceTable } from './instance-table.js';
import { nanoid } from 'nanoid';
import { RUNTIME_RETENTION_MS, cursorOf, isTerminal, leaseLost, matchesQuery, matchesVersion, pageOf, pageSizeOf, systemClock } from '@reprise/core';
import type { VersionMatch } from '@reprise/core';
import type {
  Admission,
  ActivityCompletion,
  ActivityProgress,
  ErrorHandler,
  ActivityState,
  ActivityWorkItem,
  Clock,
  CreateInstanceResult,
  GiveBackOptions,
  HistoryEvent,
  InstancePage,
  InstanceQuery,
  InstanceRecord,
  LockOptions,
  LockResult,
  LockedInstance,
  LogEntry,
  NewActivity,
  NewMessage,
  OrchestrationCommit,
  PendingMessage,
  QueuePosition,
  RuntimeEntry,
  RuntimeRegistration,
  QueuedCancellation,
  PurgeFilter,
  Storage,
  StorageNotice,
  StoredMessage,
} from '@reprise/core';

export interface MemoryStorageOptions {
  /**
   * Clock used for message visibility and lease expiry.
   * @default the system clock
   */
  clock?: Clock;
  /**
   * Receives what a `subscribe` listener throws: a listener's bug must not
   * fail the storage call whose change it was told about (the change is
   * already applied), nor keep the notice from the other listeners.
   * @default logs with `console.error('[reprise/memory]', error)`
   */
  onError?: ErrorHandler;
}

interface Message extends StoredMessage {
  seq: number;
  visibleAt: number;
}

interface Lease {
  token: string;
  expiresAt: number;
  /** Kept by a step commit (`keepLease`): not a handout, so its end makes the instance fresh, not redelivered. */
  kept?: boolean;
}

interface ActivityEntry {
  item: NewActivity & { id: string };
  deliveries: number;
  lease?: Lease & { startedAt: number };
  progress?: ActivityProgress;
  /** Marked by a commit with `cancelActivities`. */
  canceled?: boolean;
  /** When a lease that ran out (its holder died) ended; kept until the next lease (ActivityState.leaseExpiresAt). */
  expiredLease?: number;
}

/** A concurrency group: its settings (those of the admission that found it empty), slot holders and FIFO queue. */
interface Group {
  limit: number;
  maxQueued: number | undefined;
  running: Set<string>;
  queue: Array<{ instanceId: string; start: NewMessage }>;
}

class Hub {
  /** Rows, with the counts and sorted lists that serve queries (see instance-table.ts). */
  readonly instances = new InstanceTable();
  readonly history = new Map<string, HistoryEvent[]>();
  readonly logs = new Map<string, LogEntry[]>();
  readonly inbox = new Map<string, Message[]>();
  readonly leases = new Map<string, Lease>();
  readonly deliveries = new Map<string, number>();
  readonly activities = new Map<string, ActivityEntry>();
  /** Fresh activity ids ready to hand out, in enqueue order. */
  readonly activityQueue: string[] = [];
  /** Redelivered activity ids given back or found with an expired lease: handed out one per lock call. */
  readonly activityRedo: string[] = [];
  /** Activity ids with a lease (live or not yet found expired). */
  readonly activityLeases = new Set<string>();
  readonly events = new EventEmitter<{ notice: [StorageNotice] }>();
  /** Instances that may have visible messages and no live lease (checked again at lock time). */
  readonly ready = new Set<string>();
  /** Instances handed out before since their last commit whose lease ended: handed out one per lock call. */
  readonly redelivered = new Set<string>();
  /** Delayed messages by due time, so a lock call never scans every inbox. */
  readonly delayed = new DueHeap();
  readonly groups = new Map<string, Group>();
  /** The group of each member instance. */
  readonly memberOf = new Map<string, string>();
  /** The registry of runtimes (see Storage.heartbeatRuntime). */
  readonly runtimes = new Map<string, RuntimeEntry>();
  seq = 0;
}

const copyRecord = (r: InstanceRecord): InstanceRecord => {
  const copy = r.tags ? { ...r, tags: { ...r.tags } } : { ...r };
  if (r.concurrency) copy.concurrency = { ...r.concurrency };
  // '' is the default namespace: read back as absent.
  if (copy.namespace === '') delete copy.namespace;
  return copy;
};
// Events may nest (ParentInstance, LockSet), so they are deep-copied in and out.
/** Events are plain JSON data; a plain copy is all isolation needs (and far cheaper than structuredClone). */
const copyPlain = <T>(value: T): T => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = copyPlain((value as Record<string, unknown>)[key]);
  return out as T;
};
const copyEvent = (e: HistoryEvent): HistoryEvent => copyPlain(e);
const copyLog = (l: LogEntry): LogEntry => ({ ...l });

// Lock tokens only need to be unique within this process: a random prefix and a counter.
const tokenPrefix = nanoid(8);
let tokenSeq = 0;
const newToken = () => `${tokenPrefix}.${++tokenSeq}`;

export function memoryStorage(options: MemoryStorageOptions = {}): Storage {
  const clock = options.clock ?? systemClock;
  const onError: ErrorHandler = options.onError ?? ((error) => console.error('[reprise/memory]', error));
  const hubs = new Map<string, Hub>();
  const hubOf = (name: string): Hub => {
    let hub = hubs.get(name);
    if (!hub) hubs.set(name, (hub = new Hub()));
    return hub;
  };
  const emit = (hub: Hub, notice: StorageNotice) => hub.events.emit('notice', notice);
  const leaseHeld = (lease: Lease | undefined, token: string, now: number) =>
    lease !== undefined && lease.token === token && lease.expiresAt > now;

  /** Where an admission lands: a slot, the queue, or refused. `force` queues instead of refusing (sub-orchestrations). */
  function decide(hub: Hub, admission: Admission, force: boolean): 'admit' | 'queue' | 'limit' | 'queueFull' {
    let group = hub.groups.get(admission.group);
    if (!group) {
      group = { limit: admission.limit, maxQueued: admission.maxQueued, running: new Set(), queue: [] };
      hub.groups.set(admission.group, group);
    }
    if (group.running.size < group.limit) return 'admit';
    if (force) return 'queue';
    if (admission.onFull === 'reject') return 'limit';
    return group.maxQueued !== undefined && group.queue.length >= group.maxQueued ? 'queueFull' : 'queue';
  }

  /** Takes the admitted or queued place; a queued start is held, not enqueued. Returns the queue position. */
  function join(hub: Hub, name: string, decision: 'admit' | 'queue', start: NewMessage): number | undefined {
    const group = hub.groups.get(name)!;
    hub.memberOf.set(start.instanceId, name);
    if (decision === 'admit') {
      group.running.add(start.instanceId);
      return undefined;
    }
    group.queue.push({ instanceId: start.instanceId, start: { ...start, event: copyEvent(start.event) } });
    return group.queue.length;
  }

  /** Leaves the instance's group (if any); a freed slot goes to the oldest queued member, whose start is enqueued. */
  function leave(hub: Hub, instanceId: string, now: number): { work: boolean } {
    const name = hub.memberOf.get(instanceId);
    if (name === undefined) return { work: false };
    hub.memberOf.delete(instanceId);
    const group = hub.groups.get(name)!;
    let work = false;
    if (group.running.delete(instanceId)) {
      const next = group.queue.shift();
      if (next) {
        group.running.add(next.instanceId);
        work = enqueue(hub, [next.start], now).work;
      }
    } else {
      group.queue = group.queue.filter((q) => q.instanceId !== instanceId);
    }
    if (group.running.size === 0 && group.queue.length === 0) hub.groups.delete(name);
    return { work };
  }

  function enqueue(hub: Hub, messages: NewMessage[], now: number): { work: boolean } {
    let work = false;
    for (const m of messages) {
      if (!hub.instances.has(m.instanceId)) {
        if (!m.createIfMissing) continue;
        hub.instances.set(m.instanceId, copyRecord(m.createIfMissing));
        hub.history.set(m.instanceId, []);
        if (m.admission) {
          const decision = decide(hub, m.admission, true) as 'admit' | 'queue';
          join(hub, m.admission.group, decision, m);
          if (decision === 'queue') continue;
        }
      }
      const visibleAt = m.visibleAt ?? now;
      let box = hub.inbox.get(m.instanceId);
      if (!box) hub.inbox.set(m.instanceId, (box = []));
      box.push({ id: String(++hub.seq), seq: hub.seq, instanceId: m.instanceId, event: copyEvent(m.event), visibleAt });
      if (visibleAt <= now) hub.ready.add(m.instanceId);
      else hub.delayed.push(visibleAt, m.instanceId);
      // Delayed messages notify too: a sleeping worker must learn the new earliest due time.
      work = true;
    }
    return { work };
  }

  function enqueueActivities(hub: Hub, activities: NewActivity[]): ActivityEntry[] {
    return activities.map((a) => {
      const id = `a${++hub.seq}`;
      const entry: ActivityEntry = { item: { ...a, id }, deliveries: 0 };
      hub.activities.set(id, entry);
      hub.activityQueue.push(id);
      return entry;
    });
  }

  /** Lease an activity entry; a queued id of a leased entry is skipped when it comes up. */
  function leaseActivity(hub: Hub, entry: ActivityEntry, now: number, leaseMs: number): ActivityWorkItem {
    entry.deliveries += 1;
    entry.lease = { token: newToken(), expiresAt: now + leaseMs, startedAt: now };
    delete entry.progress;
    delete entry.expiredLease;
    hub.activityLeases.add(entry.item.id);
    return { ...entry.item, lockToken: entry.lease.token, deliveries: entry.deliveries, ...(entry.canceled && { canceled: true }) };
  }

  /** Ends an activity's lease without completing it; a handout still counted makes it redelivered. */
  function endActivityLease(hub: Hub, entry: ActivityEntry, refund: boolean): void {
    delete entry.lease;
    hub.activityLeases.delete(entry.item.id);
    if (refund) entry.deliveries = Math.max(0, entry.deliveries - 1);
    if (entry.deliveries > 0) hub.activityRedo.push(entry.item.id);
    else hub.activityQueue.unshift(entry.item.id);
  }

  /** Lease one instance if it has visible messages and no live lease. */
  function lockInstance(hub: Hub, instanceId: string, now: number, leaseMs: number): LockedInstance | undefined {
    const lease = hub.leases.get(instanceId);
    if (lease && lease.expiresAt > now) return undefined; // commit or release puts it back
    const visible = hub.inbox.get(instanceId)?.filter((m) => m.visibleAt <= now) ?? [];
    const record = hub.instances.get(instanceId);
    if (visible.length === 0 || !record) return undefined;
    hub.ready.delete(instanceId);
    hub.redelivered.delete(instanceId);
    const token = newToken();
    hub.leases.set(instanceId, { token, expiresAt: now + leaseMs });
    const deliveries = (hub.deliveries.get(instanceId) ?? 0) + 1;
    hub.deliveries.set(instanceId, deliveries);
    return {
      instance: copyRecord(record),
      lockToken: token,
      deliveries,
      messages: visible.map(({ id, instanceId: target, event }) => ({ id, instanceId: target, event: copyEvent(event) })),
    };
  }

  /** Whether a lock call with this version filter may hand out the instance's work (entities always). */
  function accepts(hub: Hub, instanceId: string, filter: VersionMatch | undefined): boolean {
    if (!filter) return true;
    const record = hub.instances.get(instanceId);
    return !record || record.kind !== 'orchestration' || matchesVersion(filter, record.name, record.version);
  }

  /** Whether a redelivered instance could be handed out now; drops entries that went away. */
  function redeliveredInstanceWaiting(hub: Hub, now: number, filter: VersionMatch | undefined): boolean {
    for (const instanceId of hub.redelivered) {
      if (!accepts(hub, instanceId, filter)) continue;
      const lease = hub.leases.get(instanceId);
      const visible = hub.inbox.get(instanceId)?.some((m) => m.visibleAt <= now) ?? false;
      if (hub.instances.has(instanceId) && visible && !(lease && lease.expiresAt > now)) return true;
      if (!lease) hub.redelivered.delete(instanceId);
    }
    return false;
  }

  function removeInstance(hub: Hub, instanceId: string, now: number): void {
    leave(hub, instanceId, now);
    hub.instances.delete(instanceId);
    hub.history.delete(instanceId);
    hub.logs.delete(instanceId);
    hub.inbox.delete(instanceId);
    hub.leases.delete(instanceId);
    hub.deliveries.delete(instanceId);
    hub.ready.delete(instanceId);
    hub.redelivered.delete(instanceId);
    for (const [id, entry] of hub.activities) {
      if (entry.item.instanceId !== instanceId) continue;
      hub.activities.delete(id);
      hub.activityLeases.delete(id);
    }
  }

  const storage: Storage = {
    capabilities: { eagerDispatch: true, versioning: true, stepCommit: true },
    async open() {},
    async close() {},

    async createInstance(hubName, record, message, admission?: Admission): Promise<CreateInstanceResult> {
      const hub = hubOf(hubName);
      const now = clock.now();
      const existing = hub.instances.get(record.instanceId);
      if (existing && !isTerminal(existing.status)) return { created: false, existing: copyRecord(existing) };
      if (existing) removeInstance(hub, record.instanceId, now);
      const decision = admission ? decide(hub, admission, false) : 'admit';
      if (decision === 'limit' || decision === 'queueFull') return { created: false, refused: decision };
      hub.instances.set(record.instanceId, copyRecord(record));
      hub.history.set(record.instanceId, []);
      const start = { ...message, instanceId: record.instanceId };
      const position = admission ? join(hub, admission.group, decision, start) : undefined;
      const { work } = position === undefined ? enqueue(hub, [start], now) : { work: false };
      emit(hub, { type: 'instance-updated', instanceId: record.instanceId, status: record.status });
      if (work) emit(hub, { type: 'orchestration-work' });
      return position === undefined ? { created: true } : { created: true, queued: { group: admission!.group, position } };
    },

    async sendMessages(hubName, messages) {
      const hub = hubOf(hubName);
      if (enqueue(hub, messages, clock.now()).work) emit(hub, { type: 'orchestration-work' });
    },

    async getInstance(hubName, instanceId) {
      const record = hubOf(hubName).instances.get(instanceId);
      return record && copyRecord(record);
    },

    async getHistory(hubName, instanceId) {
      return (hubOf(hubName).history.get(instanceId) ?? []).map(copyEvent);
    },

    async getLogs(hubName, instanceId) {
      return (hubOf(hubName).logs.get(instanceId) ?? []).map(copyLog);
    },

    async queryInstances(hubName, query: InstanceQuery): Promise<InstancePage> {
      const size = pageSizeOf(query);
      const cursor = cursorOf(query);
      return pageOf(hubOf(hubName).instances.page(query, cursor, size + 1).map(copyRecord), size);
    },

    async countInstances(hubName, query) {
      return hubOf(hubName).instances.count(query);
    },

    async getQueuePosition(hubName, instanceId): Promise<QueuePosition | undefined> {
      const hub = hubOf(hubName);
      const name = hub.memberOf.get(instanceId);
      const index = name === undefined ? -1 : hub.groups.get(name)!.queue.findIndex((q) => q.instanceId === instanceId);
      return index < 0 ? undefined : { group: name!, position: index + 1 };
    },

    async cancelQueued(hubName, instanceId, cancel: QueuedCancellation) {
      const hub = hubOf(hubName);
      const now = clock.now();
      const name = hub.memberOf.get(instanceId);
      const record = hub.instances.get(instanceId);
      if (name === undefined || !record || !hub.groups.get(name)!.queue.some((q) => q.instanceId === instanceId)) return false;
      leave(hub, instanceId, now);
      hub.inbox.delete(instanceId);
      hub.leases.delete(instanceId);
      hub.deliveries.delete(instanceId);
      hub.ready.delete(instanceId);
      hub.redelivered.delete(instanceId);
      const history = hub.history.get(instanceId) ?? [];
      for (const event of cancel.history) history.push(copyEvent(event));
      hub.history.set(instanceId, history);
      const row: InstanceRecord = { ...record, status: 'Canceled', updatedAt: cancel.updatedAt, historyLength: record.historyLength + cancel.history.length };
      if (cancel.output === undefined) delete row.output;
      else row.output = cancel.output;
      hub.instances.set(instanceId, row);
      const { work } = enqueue(hub, cancel.messages, now);
      emit(hub, { type: 'instance-updated', instanceId, status: 'Canceled' });
      if (work) emit(hub, { type: 'orchestration-work' });
      return true;
    },

    async setInstanceVersion(hubName, instanceId, { version, historyLength }) {
      const hub = hubOf(hubName);
      const record = hub.instances.get(instanceId);
      const lease = hub.leases.get(instanceId);
      if (!record || record.kind !== 'orchestration' || isTerminal(record.status) || record.historyLength !== historyLength || (lease && lease.expiresAt > clock.now())) return false;
      hub.instances.set(instanceId, { ...record, version });
      return true;
    },

    async lockInstances(hubName, { max, leaseMs, redelivered = true, version: filter }: LockOptions): Promise<LockResult<LockedInstance>> {
      const hub = hubOf(hubName);
      const now = clock.now();
      const items: LockedInstance[] = [];
      for (const id of hub.delayed.popDue(now)) hub.ready.add(id);
      // A holder that died: its instance comes back, redelivered, once the lease expires.
      for (const [id, lease] of hub.leases) {
        if (lease.expiresAt > now) continue;
        hub.leases.delete(id);
        if (lease.kept) hub.ready.add(id);
        else hub.redelivered.add(id);
      }
      const takeRedelivered = (): LockedInstance | undefined => {
        for (const instanceId of hub.redelivered) {
          if (!accepts(hub, instanceId, filter)) continue; // another version's: left for a runtime that runs it
          hub.redelivered.delete(instanceId);
          const locked = lockInstance(hub, instanceId, now, leaseMs);
          if (locked) return locked;
        }
        return undefined;
      };
      const first = redelivered ? takeRedelivered() : undefined;
      if (first) return { items: [first] };
      for (const instanceId of hub.ready) {
        if (items.length >= max) break;
        if (!accepts(hub, instanceId, filter)) continue;
        hub.ready.delete(instanceId);
        if (hub.deliveries.has(instanceId)) {
          // Handed out since its last commit: leased (its commit or release puts it back) or redelivered.
          if (!hub.leases.has(instanceId)) hub.redelivered.add(instanceId);
          continue;
        }
        const locked = lockInstance(hub, instanceId, now, leaseMs);
        if (locked) items.push(locked);
      }
      const moved = items.length === 0 && redelivered ? takeRedelivered() : undefined;
      if (moved) return { items: [moved] };
      const waiting = !redelivered && redeliveredInstanceWaiting(hub, now, filter);
      let nextVisible = hub.delayed.peekLive((id) => hub.inbox.has(id)) ?? Infinity;
      if (items.length === 0) {
        for (const [id, lease] of hub.leases) if (hub.inbox.get(id)?.length) nextVisible = Math.min(nextVisible, lease.expiresAt);
      }
      return {
        items,
        ...(items.length === 0 && nextVisible !== Infinity && { nextVisibleInMs: Math.max(0, nextVisible - now) }),
        ...(waiting && { redeliveredWaiting: true }),
      };
    },

    async commitOrchestration(hubName, commit: OrchestrationCommit) {
      const hub = hubOf(hubName);
      const now = clock.now();
      const { instanceId } = commit;
      if (!leaseHeld(hub.leases.get(instanceId), commit.lockToken, now) || !hub.instances.has(instanceId)) {
        throw leaseLost('instance', instanceId);
      }
      // Step commit: every completed item's lease is checked before anything changes.
      for (const { workItemId, lockToken } of commit.completeActivities ?? []) {
        if (!leaseHeld(hub.activities.get(workItemId)?.lease, lockToken, now)) throw leaseLost('activity', workItemId);
      }
      for (const { workItemId } of commit.completeActivities ?? []) {
        hub.activities.delete(workItemId);
        hub.activityLeases.delete(workItemId);
      }
      if ('replace' in commit.history) {
        hub.history.set(instanceId, commit.history.replace.map(copyEvent));
      } else {
        let history = hub.history.get(instanceId);
        if (!history) hub.history.set(instanceId, (history = []));
        for (const event of commit.history.append) history.push(copyEvent(event));
      }
      hub.instances.set(instanceId, copyRecord(commit.instance));
      if (commit.consumedMessageIds.length > 0) {
        const ids = commit.consumedMessageIds;
        // Most episodes consume one or two messages: a Set for them costs more than a scan.
        const consumed = ids.length > 8 ? new Set(ids) : undefined;
        const box = hub.inbox.get(instanceId);
        const rest = box?.filter((m) => !(consumed ? consumed.has(m.id) : ids.includes(m.id))) ?? [];
        if (rest.length > 0) hub.inbox.set(instanceId, rest);
        else hub.inbox.delete(instanceId);
      }
      if (commit.logs.length > 0) hub.logs.set(instanceId, [...(hub.logs.get(instanceId) ?? []), ...commit.logs.map(copyLog)]);
      if (commit.cancelActivities) {
        // Before this commit's own work items are created: compensation is not canceled.
        for (const entry of hub.activities.values()) if (entry.item.instanceId === instanceId) entry.canceled = true;
      }
      const { work } = enqueue(hub, commit.messages, now);
      const released = isTerminal(commit.instance.status) ? leave(hub, instanceId, now) : { work: false };
      const created = enqueueActivities(hub, commit.activities);
      const eager = commit.lockActivities ? created.slice(0, commit.lockActivities.max).map((e) => leaseActivity(hub, e, now, commit.lockActivities!.leaseMs)) : [];
      hub.deliveries.delete(instanceId);
      hub.redelivered.delete(instanceId);
      emit(hub, { type: 'instance-updated', instanceId, status: commit.instance.status });
      const remaining = hub.inbox.get(instanceId)?.some((m) => m.visibleAt <= now) ?? false;
      // Step commit: held on for the committer while it runs the work leased to it, unless work waits now.
      const kept = commit.keepLease && eager.length > 0 && !remaining ? { token: newToken(), expiresAt: now + commit.keepLease.leaseMs, kept: true } : undefined;
      if (kept) hub.leases.set(instanceId, kept);
      else hub.leases.delete(instanceId);
      if (remaining) hub.ready.add(instanceId);
      if (work || remaining || released.work) emit(hub, { type: 'orchestration-work' });
      else if (kept) emit(hub, { type: 'orchestration-work', inMs: commit.keepLease!.leaseMs });
      if (created.length > eager.length) emit(hub, { type: 'activity-work' });
      // Leased without a lock call: a worker asleep must learn when the lease expires (its holder may die).
      else if (eager.length > 0) emit(hub, { type: 'activity-work', inMs: commit.lockActivities!.leaseMs });
      return eager.length > 0 ? { activities: eager, ...(kept && { keptLease: { lockToken: kept.token } }) } : {};
    },

    async releaseInstance(hubName, instanceId, lockToken, options?: GiveBackOptions) {
      const hub = hubOf(hubName);
      if (hub.leases.get(instanceId)?.token !== lockToken) return;
      hub.leases.delete(instanceId);
      const deliveries = (hub.deliveries.get(instanceId) ?? 0) - (options?.countDelivery ? 0 : 1);
      if (deliveries > 0) {
        hub.deliveries.set(instanceId, deliveries);
        hub.redelivered.add(instanceId);
      } else {
        hub.deliveries.delete(instanceId);
        hub.ready.add(instanceId);
      }
      emit(hub, { type: 'orchestration-work' });
    },

    async lockActivities(hubName, { max, leaseMs, redelivered = true, version: filter }: LockOptions): Promise<LockResult<ActivityWorkItem>> {
      const hub = hubOf(hubName);
      const now = clock.now();
      const items: ActivityWorkItem[] = [];
      // Items whose holder died come back, redelivered, once their lease expires.
      let nextVisible = Infinity;
      for (const id of hub.activityLeases) {
        const entry = hub.activities.get(id);
        if (!entry?.lease) hub.activityLeases.delete(id);
        else if (entry.lease.expiresAt <= now) {
          entry.expiredLease = entry.lease.expiresAt;
          endActivityLease(hub, entry, false);
        }
        else nextVisible = Math.min(nextVisible, entry.lease.expiresAt);
      }
      // Drops ids that went away (completed, purged, leased again) from the head of the redelivered queue.
      // Work of versions this call rejects stays where it is, in order.
      const redeliveredHead = (): ActivityEntry | undefined => {
        for (let i = 0; i < hub.activityRedo.length; ) {
          const entry = hub.activities.get(hub.activityRedo[i]!);
          if (!entry || entry.lease) {
            hub.activityRedo.splice(i, 1);
            continue;
          }
          if (accepts(hub, entry.item.instanceId, filter)) return entry;
          i += 1;
        }
        return undefined;
      };
      const takeRedelivered = (): ActivityWorkItem | undefined => {
        const entry = redeliveredHead();
        if (!entry) return undefined;
        hub.activityRedo.splice(hub.activityRedo.indexOf(entry.item.id), 1);
        return leaseActivity(hub, entry, now, leaseMs);
      };
      const first = redelivered ? takeRedelivered() : undefined;
      if (first) return { items: [first] };
      for (let i = 0; items.length < max && i < hub.activityQueue.length; ) {
        const entry = hub.activities.get(hub.activityQueue[i]!);
        if (entry && !entry.lease && !accepts(hub, entry.item.instanceId, filter)) {
          i += 1;
          continue;
        }
        hub.activityQueue.splice(i, 1);
        if (entry && !entry.lease) items.push(leaseActivity(hub, entry, now, leaseMs));
      }
      const waiting = !redelivered && redeliveredHead() !== undefined;
      return {
        items,
        ...(items.length === 0 && nextVisible !== Infinity && { nextVisibleInMs: Math.max(0, nextVisible - now) }),
        ...(waiting && { redeliveredWaiting: true }),
      };
    },

    async completeActivity(hubName, completion: ActivityCompletion) {
      const hub = hubOf(hubName);
      const now = clock.now();
      const entry = hub.activities.get(completion.workItemId);
      if (!entry || !leaseHeld(entry.lease, completion.lockToken, now)) {
        throw leaseLost('activity', completion.workItemId);
      }
      hub.activities.delete(completion.workItemId);
      hub.activityLeases.delete(completion.workItemId);
      if (completion.logs?.length) {
        const { instanceId } = entry.item;
        hub.logs.set(instanceId, [...(hub.logs.get(instanceId) ?? []), ...completion.logs.map(copyLog)]);
      }
      enqueue(hub, [completion.message], now);
      // Eager dispatch never hands out a redelivered instance: a lock call hands it out alone.
      const woken = completion.message.instanceId;
      const instance = completion.lockInstance && !hub.deliveries.has(woken) && lockInstance(hub, woken, now, completion.lockInstance.leaseMs);
      if (instance) {
        // Leased without a lock call: a worker asleep must learn when the lease expires (its holder may die).
        emit(hub, { type: 'orchestration-work', inMs: completion.lockInstance!.leaseMs });
        return { instance };
      }
      emit(hub, { type: 'orchestration-work' });
      return {};
    },

    async reportProgress(hubName, workItemId, lockToken, progress: ActivityProgress) {
      const entry = hubOf(hubName).activities.get(workItemId);
      if (!entry || !leaseHeld(entry.lease, lockToken, clock.now())) throw leaseLost('activity', workItemId);
      entry.progress = { ...progress };
    },

    async getActivityStates(hubName, instanceId): Promise<ActivityState[]> {
      const now = clock.now();
      const states: ActivityState[] = [];
      for (const entry of hubOf(hubName).activities.values()) {
        const { item, lease, progress } = entry;
        if (item.instanceId !== instanceId) continue;
        const running = lease !== undefined && lease.expiresAt > now;
        const leaseExpiresAt = lease?.expiresAt ?? entry.expiredLease;
        states.push({
          workItemId: item.id,
          executionId: item.executionId,
          taskScheduledId: item.taskScheduledId,
          name: item.name,
          running,
          ...(running && { startedAt: lease.startedAt }),
          ...(progress && { progress: { ...progress } }),
          ...(leaseExpiresAt !== undefined && { leaseExpiresAt }),
        });
      }
      return states;
    },

    async getMessages(hubName, instanceId): Promise<PendingMessage[]> {
      const now = clock.now();
      return (hubOf(hubName).inbox.get(instanceId) ?? []).map((m) => ({
        id: m.id,
        event: copyEvent(m.event),
        ...(m.visibleAt > now && { visibleAt: m.visibleAt }),
      }));
    },

    async heartbeatRuntime(hubName, registration: RuntimeRegistration, ttlMs) {
      const now = clock.now();
      hubOf(hubName).runtimes.set(registration.runtimeId, copyPlain({ ...registration, heartbeatAt: now, expiresAt: now + ttlMs }));
    },

    async stopRuntime(hubName, runtimeId) {
      const row = hubOf(hubName).runtimes.get(runtimeId);
      if (!row) return;
      const now = clock.now();
      row.stoppedAt = now;
      row.expiresAt = Math.min(row.expiresAt, now);
    },

    async listRuntimes(hubName): Promise<RuntimeEntry[]> {
      const hub = hubOf(hubName);
      const now = clock.now();
      for (const [id, row] of hub.runtimes) if (Math.max(row.heartbeatAt, row.stoppedAt ?? 0) < now - RUNTIME_RETENTION_MS) hub.runtimes.delete(id);
      return [...hub.runtimes.values()].map(copyPlain).sort((a, b) => a.startedAt - b.startedAt || (a.runtimeId < b.runtimeId ? -1 : 1));
    },

    async abandonActivity(hubName, workItemId, lockToken, options?: GiveBackOptions) {
      const hub = hubOf(hubName);
      const entry = hub.activities.get(workItemId);
      if (!entry || entry.lease?.token !== lockToken) return;
      endActivityLease(hub, entry, !options?.countDelivery);
      emit(hub, { type: 'activity-work' });
    },

    async renewLeases(hubName, leases, leaseMs) {
      const hub = hubOf(hubName);
      const now = clock.now();
      const lostInstances: string[] = [];
      const lostActivities: string[] = [];
      const canceledActivities: string[] = [];
      for (const { instanceId, lockToken } of leases.instances) {
        const lease = hub.leases.get(instanceId);
        if (lease && leaseHeld(lease, lockToken, now)) lease.expiresAt = now + leaseMs;
        else lostInstances.push(lockToken);
      }
      for (const { workItemId, lockToken } of leases.activities) {
        const entry = hub.activities.get(workItemId);
        const lease = entry?.lease;
        if (lease && leaseHeld(lease, lockToken, now)) {
          lease.expiresAt = now + leaseMs;
          if (entry.canceled) canceledActivities.push(lockToken);
        } else lostActivities.push(lockToken);
      }
      return { lostInstances, lostActivities, canceledActivities };
    },

    async purgeInstances(hubName, target: { instanceIds: string[] } | PurgeFilter) {
      const hub = hubOf(hubName);
      const ids =
        'instanceIds' in target
          ? target.instanceIds
          : [...hub.instances.values()]
              .filter((r) => r.kind === 'orchestration' && matchesQuery(r, target))
              .map((r) => r.instanceId);
      let instancesDeleted = 0;
      for (const id of ids) {
        const record = hub.instances.get(id);
        if (!record || !isTerminal(record.status)) continue;
        removeInstance(hub, id, clock.now());
        instancesDeleted += 1;
      }
      return { instancesDeleted };
    },

    subscribe(hubName, listener) {
      const hub = hubOf(hubName);
      const guarded = (notice: StorageNotice) => {
        try {
          listener(notice);
        } catch (error) {
          onError(error);
        }
      };
      hub.events.on('notice', guarded);
      return () => hub.events.off('notice', guarded);
    },
  };
  return storage;
}
