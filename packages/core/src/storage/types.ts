/**
 * The Storage contract: the one seam between the engine and a backend.
 *
 * Invariants every adapter keeps (the conformance suite in
 * `@reprise/testing` checks each one):
 * - Every key is scoped by the task hub passed to each call; hubs never see
 *   each other's data.
 * - An instance's messages are returned in the order they were enqueued
 *   (a store-assigned sequence), and only once visible (`visibleAt <= now`,
 *   judged by the store's clock where it has one).
 * - A lock is a lease: a token and an expiry. Work is handed to one holder at
 *   a time; a commit, renewal or release with a token that no longer holds
 *   the lease is refused with `LeaseLostError` and changes nothing (fencing).
 * - `commitOrchestration` and `completeActivity` are atomic: all of their
 *   effects become visible together, or none does (a step commit's
 *   activity completions included, see `OrchestrationCommit.completeActivities`).
 * - Progress (`reportProgress`) is fenced like a completion; the step view
 *   reads it with the items' lease state through `getActivityStates`.
 * - History is append-only except for an explicit `history.replace`
 *   (continue-as-new, rewind).
 * - Deliveries (the poison-work count) charge only the item whose worker
 *   died: an item is *redelivered* when it was handed out before and that
 *   lease ended without a commit, completion or refunding give-back. A lock
 *   call returns either fresh items or exactly one redelivered item (those
 *   first, so they never starve); a caller with work in flight asks for
 *   fresh items only and is told when a redelivered one waits; eager
 *   dispatch never hands one out. So a runtime takes a redelivered item only
 *   once drained, and runs it alone (see `Redelivery`).
 * - A worker asleep learns when the earliest live lease expires (its holder
 *   may have died): from a lock call that found nothing, or, for a lease
 *   made without a lock call (eager dispatch), from a work notice with
 *   `inMs`.
 * - Payloads are opaque strings; the store never parses them.
 * - Namespaces partition instances inside a hub: fixed at creation, filtered
 *   exactly by queries, counts and purges, always served by an index.
 * - Versions (see `LockOptions.version`): an instance's version is fixed at
 *   creation (sub-orchestrations inherit their parent's) and changed only
 *   by `setInstanceVersion`; queries and counts filter it exactly, served
 *   by an index. A lock call with a version filter never leases the work of
 *   instances it rejects: that work stays for a lock call that accepts it.
 * - Concurrency groups (see `Admission`): a slot belongs to an instance, not
 *   a worker. Admission happens in the operation that creates the instance;
 *   the commit that makes a member terminal releases its slot or queue place
 *   and promotes the oldest queued member, in the same atomic operation.
 *
 * Arguments are trusted by contract: the runtime and client check what users
 * pass (task hub names, instance ids, names, statuses, dates, tags, payload
 * sizes, lease and batch settings) before any call, so an adapter may rely on
 * the types below and need not check them again. The exception is a query's
 * `pageSize` and `continuationToken`, which reach the store as callers wrote
 * them: adapters read them through `pageSizeOf` and
 * `decodeContinuationToken` (./query.ts), which refuse bad values with
 * `InvalidArgumentError`, and the conformance suite checks that refusal.
 *
 * Optional features are declared in `capabilities` (see StorageCapabilities);
 * a store that declares none passes the conformance suite without them.
 */
import type { HistoryEvent } from '../history.js';
import type { RuntimeStatus } from '../status.js';
import type { VersionMatch } from '../versioning/versions.js';

export type InstanceKind = 'orchestration' | 'entity';

/** The row that describes one instance (an orchestration or an entity). */
export interface InstanceRecord {
  instanceId: string;
  kind: InstanceKind;
  /** Orchestrator name, or the entity name (lower-case) for entities. */
  name: string;
  executionId: string;
  status: RuntimeStatus;
  input?: string;
  output?: string;
  customStatus?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds of the last committed change (an entity's last operation time). */
  updatedAt: number;
  /** Number of events in the stored history; the replay cache keys on it. */
  historyLength: number;
  /** The parent orchestration of a sub-orchestration. */
  parentInstanceId?: string;
  /** User data attached at start. */
  tags?: Record<string, string>;
  /**
   * The namespace the instance lives in, fixed at creation (sub-orchestrations
   * inherit their parent's). `''` is the default namespace: stores keep `''`
   * and absent as the same value and read it back as absent. Rows written
   * before namespaces existed read as `''`.
   */
  namespace?: string;
  /**
   * The concurrency group the instance was started in, with the settings its
   * start asked for (kept as data; the settings that apply are the group's,
   * see `Admission`). Absent: not in a group.
   */
  concurrency?: ConcurrencyGroup;
  /**
   * The version of the code that started the instance (the runtime's, or its
   * orchestrator definition's), inherited by sub-orchestrations. Absent:
   * unversioned (rows written before versions existed read so too).
   */
  version?: string;
  /** Entities: serialized state and scheduler (lock holder, queued requests). */
  entityState?: string;
}

/** A message to deliver to an instance's inbox. */
export interface NewMessage {
  instanceId: string;
  event: HistoryEvent;
  /** Epoch ms before which the message is invisible (durable timers, scheduled signals). */
  visibleAt?: number;
  /**
   * Create the target instance with this row if it does not exist yet
   * (sub-orchestrations, entities on first signal). An existing instance is
   * left as it is and just receives the message.
   */
  createIfMissing?: InstanceRecord;
  /** With `createIfMissing`: admit the created instance into a group (never refused, see `Admission`). Ignored when the instance exists. */
  admission?: Admission;
}

/**
 * A concurrency group as an instance records it: at most `limit` admitted
 * (running) members, at most `maxQueued` waiting ones (no cap when absent).
 */
export interface ConcurrencyGroup {
  /** Non-empty; groups are per hub (not per namespace). */
  group: string;
  /** Positive integer. */
  limit: number;
  /** Non-negative integer. */
  maxQueued?: number;
}

/**
 * How `createInstance` (or a `createIfMissing` message) admits a new
 * instance into a concurrency group, decided atomically with the creation:
 * - **admitted**: fewer than `limit` members hold a slot. The instance takes
 *   a slot and its start message is visible (or due at its `visibleAt`).
 * - **queued**: the group is full and `onFull` is `'queue'` and fewer than
 *   `maxQueued` members wait (or no cap). The instance is stored Pending; its
 *   start message is held invisibly (not lockable, not counted in
 *   `nextVisibleInMs`) until promotion. Other messages sent to it are
 *   delivered as usual (they wait in its history like those before a
 *   delayed start).
 * - **refused**: full and `onFull` is `'reject'` (`'limit'`), or the queue is
 *   at `maxQueued` (`'queueFull'`). Nothing is stored.
 *
 * **Group settings rule**: the `limit` and `maxQueued` that apply are those
 * of the admission that found the group empty (no member holding a slot or
 * queued); they stay until the group is empty again. Later admissions with
 * other settings join under the group's settings.
 *
 * **Release and promotion**: a member leaves its group when a
 * `commitOrchestration` makes it terminal (Completed, Failed, Terminated,
 * Canceled; ContinuedAsNew keeps its slot), when `cancelQueued` cancels it,
 * or when it is removed (purge, or `createInstance` replacing it). A member
 * that held a slot frees it, and the same atomic operation promotes the
 * oldest queued member (FIFO by admission order): it takes the slot and its
 * held start message becomes visible (at its own `visibleAt` if that is
 * later), with an 'orchestration-work' notice. A queued member that becomes
 * terminal (terminated before its turn) frees its queue place and its held
 * start message is discarded. Slots belong to instances, so
 * a worker's crash never leaks one. A rewound instance (Failed back to
 * Running) does not rejoin its group.
 */
export interface Admission extends ConcurrencyGroup {
  /**
   * What to do when every slot is taken. Admissions carried by
   * `createIfMissing` messages (sub-orchestrations) are never refused: they
   * queue whatever `onFull` and `maxQueued` say, since their parent already
   * runs and waits for them.
   */
  onFull: 'queue' | 'reject';
}

/** Where a queued instance waits: 1 is the next to be promoted. */
export interface QueuePosition {
  group: string;
  position: number;
}

export interface StoredMessage {
  /** Store-assigned, unique within the hub. */
  id: string;
  instanceId: string;
  event: HistoryEvent;
}

export interface NewActivity {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
  input?: string;
}

export interface ActivityWorkItem extends NewActivity {
  id: string;
  lockToken: string;
  /**
   * How many times this item has been handed out, this delivery included;
   * refunded give-backs (`abandonActivity` on shutdown) do not count. Above
   * 1, this is a redelivery: an earlier holder died with it.
   */
  deliveries: number;
  /**
   * True when a commit with `cancelActivities` marked the item canceled
   * before this handout; the runtime reports it canceled without running it.
   * Absent (or false) otherwise.
   */
  canceled?: boolean;
}

export interface LockedInstance {
  instance: InstanceRecord;
  lockToken: string;
  /** Visible messages in enqueue order. */
  messages: StoredMessage[];
  /**
   * How many times the instance was locked since its last commit, this one
   * included; refunded give-backs (`releaseInstance` on shutdown) do not
   * count. Above 1, this is a redelivery: an earlier holder died with it.
   */
  deliveries: number;
}

/**
 * How a holder gives a lease back without committing (`releaseInstance`,
 * `abandonActivity`).
 */
export interface GiveBackOptions {
  /**
   * Whether this handout still counts as a delivery.
   * - `false`: a graceful give-back (shutdown): the item is as if this
   *   handout never happened (deliveries go back by one), so rolling
   *   deploys never turn healthy work into poison.
   * - `true`: the work failed here and is retried at once (the runtime's
   *   error path); the handout counts, so a step that keeps failing reaches
   *   `maxDeliveries` instead of looping hot, and its retries are
   *   redeliveries (handed out alone).
   * @default false
   */
  countDelivery?: boolean;
}

/**
 * What a lock call hands out: up to `max` fresh items (never handed out
 * since their last commit, or only in refunded give-backs), or exactly one
 * redelivered item. Redelivered items come first.
 */
export interface LockOptions {
  /** Most fresh items to hand out in one call (a redelivered item always comes alone). */
  max: number;
  leaseMs: number;
  /**
   * Whether this call may hand out a redelivered item. `false`: fresh items
   * only, and `redeliveredWaiting` says when a redelivered one waits; it
   * stays unleased and uncharged. A runtime with work in flight asks so,
   * drains, then locks with `true` and runs what it gets alone.
   * @default true
   */
  redelivered?: boolean;
  /**
   * Hand out only the work of orchestrations this filter accepts
   * (`matchesVersion(filter, row.name, row.version)` from @reprise/core):
   * `lockInstances` judges the instance row, `lockActivities` the row of
   * the work item's instance. Entities always pass. Rejected work is not
   * leased, charged or moved: it waits for a lock call that accepts it, and
   * it does not count in `redeliveredWaiting` (it may still count in
   * `nextVisibleInMs`: a sleeper then wakes early and finds nothing). The
   * store's copy of the rule must agree with core's for every version
   * (semver precedence included). Absent: no filter.
   */
  version?: VersionMatch;
}

export interface LockResult<T> {
  items: T[];
  /**
   * When nothing was available: milliseconds until something may become
   * available (by the store's clock): the earliest message or work item
   * becoming visible, or the earliest live lease of this kind expiring
   * (its holder may die), leases made by eager dispatch included.
   */
  nextVisibleInMs?: number;
  /** Only for `redelivered: false`: a redelivered item waits for a lock call that allows it. */
  redeliveredWaiting?: boolean;
}

export interface LogEntry {
  /** Epoch ms. */
  time: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** The step (activity sequence) that wrote it with `actx.log`; absent for the orchestrator's `ctx.log`. */
  sequence?: number;
}

/** What an activity reported about how far it got (`actx.reportProgress`). */
export interface ActivityProgress {
  /** 0 to 100. */
  percent: number;
  message?: string;
  /** Epoch ms of the report. */
  at: number;
}

/** An activity work item of an instance, as the step view reads it. */
export interface ActivityState {
  workItemId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
  /** True while a worker holds a live lease on it (Executing); false while it waits (Requested). */
  running: boolean;
  /** Epoch ms the current holder leased it; present while running. */
  startedAt?: number;
  /** The last progress the current holder reported (a new lease starts without). */
  progress?: ActivityProgress;
  /**
   * Epoch ms the item's lease ends (while running) or ended: a lease that ran
   * out without a completion or give-back stays readable here, with `running`
   * false, until the item is leased again (its holder died and nobody took
   * it over yet). Absent for an item never leased or given back.
   */
  leaseExpiresAt?: number;
}

/** An inbox message not consumed yet, as `getMessages` shows it (`client.explain`). */
export interface PendingMessage {
  id: string;
  event: HistoryEvent;
  /** Epoch ms the message becomes visible; present only while it is not visible yet (a durable timer, a delayed start). */
  visibleAt?: number;
}

/** What a running runtime says about itself (`heartbeatRuntime`): the names it serves. */
export interface RuntimeRegistration {
  /** Unique per runtime object (a new one each start). */
  runtimeId: string;
  orchestrators: string[];
  activities: string[];
  entities: string[];
  /** For people: host name and process id. */
  host?: string;
  /** Epoch ms the runtime started. */
  startedAt: number;
}

/** A runtime as the registry shows it (`listRuntimes`). */
export interface RuntimeEntry extends RuntimeRegistration {
  /** Epoch ms of its last heartbeat, by the store's clock. */
  heartbeatAt: number;
  /** Epoch ms after which it counts as gone unless it beats again (it may have died). */
  expiresAt: number;
  /** Epoch ms it said it stopped (`stopRuntime`); absent while it runs, or when it died without saying. */
  stoppedAt?: number;
}

/** How long the registry keeps a runtime after its last heartbeat or stop, so `explain` can say who served a name before. */
export const RUNTIME_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Everything one orchestration (or entity) episode produced, committed at once. */
export interface OrchestrationCommit {
  instanceId: string;
  lockToken: string;
  /** The new row. `historyLength` must equal the history length after this commit. */
  instance: InstanceRecord;
  /** Events to append, or a full replacement (continue-as-new, rewind). */
  history: { append: HistoryEvent[] } | { replace: HistoryEvent[] };
  /** Ids of inbox messages this episode processed; they are deleted. */
  consumedMessageIds: string[];
  /** Messages to any instance, this one included (timers). */
  messages: NewMessage[];
  activities: NewActivity[];
  logs: LogEntry[];
  /**
   * Eager dispatch (`capabilities.eagerDispatch`): lease up to `max` of the
   * work items this commit creates to the committer, in the same atomic
   * operation, and return them, saving the committer a lock round trip.
   * They are leased exactly as `lockActivities` would lease them
   * (deliveries 1, fenced by their token), and announced (an
   * 'activity-work' notice with `inMs`, see StorageNotice). The rest stay
   * queued. The runtime asks only stores that declare the capability, for no
   * more than the slots it reserved, and for none while it drains for a
   * redelivered item. A store without it ignores the field.
   */
  lockActivities?: { max: number; leaseMs: number };
  /**
   * Cancellation (the episode processed an ExecutionCancelRequested): mark
   * every work item of this instance that exists before this commit as
   * canceled. Work items this commit creates (compensation) are not marked.
   * A marked item stays where it is: a holder learns of the mark from
   * `renewLeases` (`canceledActivities`), a later handout carries
   * `canceled: true`.
   */
  cancelActivities?: boolean;
  /**
   * Step commit (`capabilities.stepCommit`): instead of releasing the
   * instance, keep it leased to the committer for `leaseMs` (a short grace)
   * under a new token, returned in `keptLease`, while the committer runs the
   * work items this commit leased to it. Honoured only when the commit
   * leases at least one work item (`lockActivities`) and leaves no visible
   * message in the inbox (work that waits now is not held back); otherwise
   * the instance is released as usual and `keptLease` is absent.
   * A kept lease is not a handout: the commit resets deliveries as always,
   * so when the lease runs out (its holder died, or let it lapse) the
   * instance is fresh, not redelivered, and messages that arrived meanwhile
   * are handed out by the next lock call. Meanwhile it is fenced, renewed
   * and released like any lease (a release refunds nothing), announced like
   * an eager lease (an 'orchestration-work' notice with `inMs`), and counted
   * by lock calls in `nextVisibleInMs`. A store without the capability
   * ignores the field.
   */
  keepLease?: { leaseMs: number };
  /**
   * Step commit (`capabilities.stepCommit`): work items of this instance
   * whose results this commit records. Each is fenced by its token like
   * `completeActivity`: when the instance lease or any of these leases is
   * no longer held the whole commit is refused with `LeaseLostError` and
   * nothing is applied. Otherwise each item is deleted in the same atomic
   * operation. The results themselves travel in `history.append` (the
   * TaskCompleted / TaskFailed the episode applied) and the activity's log
   * lines in `logs`, never through the inbox. The runtime sends this only to
   * a store that declares the capability (one that ignored it would run the
   * item again).
   */
  completeActivities?: Array<{ workItemId: string; lockToken: string }>;
}

export interface CommitResult {
  /** The work items leased by `lockActivities`; absent when none were asked for or leased. */
  activities?: ActivityWorkItem[];
  /** The instance lease kept by `keepLease`; absent when it was not asked for or not honoured (the instance was released). */
  keptLease?: { lockToken: string };
}

export interface ActivityCompletion {
  workItemId: string;
  lockToken: string;
  /** TaskCompleted / TaskFailed for the orchestrator's inbox. */
  message: NewMessage;
  /** Lines the activity wrote (`actx.log`), appended to the instance's logs in the same operation. */
  logs?: LogEntry[];
  /**
   * Eager dispatch (`capabilities.eagerDispatch`): when the target instance
   * has no live lease, lease it to the completer in the same atomic
   * operation and return it exactly as `lockInstances` would (all visible
   * messages, deliveries incremented). A redelivered instance (handed out
   * before since its last commit) is never leased here: it waits for a lock
   * call, which hands it out alone. A lease made here is announced (an
   * 'orchestration-work' notice with `inMs`, see StorageNotice). A store
   * without the capability ignores the field.
   */
  lockInstance?: { leaseMs: number };
}

export interface CompletionResult {
  /** The instance leased by `lockInstance`; absent when none was asked for or it was leased elsewhere. */
  instance?: LockedInstance;
}

export interface InstanceQuery {
  kind?: InstanceKind;
  /** Exact match; `''` is the default namespace. Absent: every namespace. */
  namespace?: string;
  runtimeStatus?: RuntimeStatus[];
  /** Epoch ms, inclusive. */
  createdFrom?: number;
  /** Epoch ms, inclusive. */
  createdTo?: number;
  /** Epoch ms, inclusive, on `updatedAt`. */
  updatedFrom?: number;
  updatedTo?: number;
  instanceIdPrefix?: string;
  /** Exact name match (entities: lower-case). */
  name?: string;
  /** Exact version match; `''` matches unversioned instances. */
  version?: string;
  pageSize?: number;
  /** Opaque token from a previous page. */
  continuationToken?: string;
}

export interface InstancePage {
  instances: InstanceRecord[];
  continuationToken?: string;
}

/** The filter part of a query, for `countInstances` (paging fields are ignored). */
export type CountQuery = Omit<InstanceQuery, 'pageSize' | 'continuationToken'>;

export interface PurgeFilter {
  /** Exact match; absent: every namespace. */
  namespace?: string;
  createdFrom: number;
  createdTo?: number;
  runtimeStatus?: RuntimeStatus[];
}

export type CreateInstanceResult =
  /** `queued`: only when the admission queued it (then always present). */
  | { created: true; queued?: QueuePosition }
  | { created: false; existing: InstanceRecord }
  /** The admission was refused; nothing was stored. */
  | { created: false; refused: 'limit' | 'queueFull' };

/**
 * What `cancelQueued` writes when it cancels a queued instance. The store
 * sets status 'Canceled', `output`, `updatedAt`, appends `history` (and adds
 * its length to `historyLength`) and enqueues `messages` (the parent's
 * answer), atomically with dropping the queue place and the held start.
 */
export interface QueuedCancellation {
  output?: string;
  updatedAt: number;
  history: HistoryEvent[];
  messages: NewMessage[];
}

/**
 * What a store tells the runtime, so workers never busy-poll.
 * 'orchestration-work' follows every enqueued message, delayed ones included
 * (a sleeping worker re-locks and learns the new earliest due time).
 *
 * A work notice with `inMs` says nothing is new now, but work may become
 * available within `inMs` ms: a lease made without a lock call (eager
 * dispatch: a commit's work items, a completion's instance) expires then,
 * and its holder may die. A store sends one for every such lease, or only
 * when it expires before every other live lease of its kind (a worker
 * asleep already wakes by the earliest one); a worker asleep past it locks
 * again by then.
 */
export type StorageNotice =
  | { type: 'orchestration-work'; inMs?: number }
  | { type: 'activity-work'; inMs?: number }
  | { type: 'instance-updated'; instanceId: string; status: RuntimeStatus }
  /** Notices may have been lost (a reconnect): listeners re-check whatever they wait for. */
  | { type: 'resync' };

/** What a subscriber needs (see Storage.subscribe). */
export interface SubscribeOptions {
  /** 'all' (the default): every 'instance-updated'; 'terminal': those with a terminal status suffice. */
  instanceUpdates?: 'all' | 'terminal';
}

/**
 * The optional features a store implements, declared on the store object
 * (`storage.capabilities`) rather than guessed from what its methods
 * return. The runtime uses a feature only when it is declared; the
 * conformance suite runs a feature's clauses only against stores that
 * declare it and reports the others skipped, naming the capability.
 */
export interface StorageCapabilities {
  /**
   * Eager dispatch: the store honours `OrchestrationCommit.lockActivities`
   * and `ActivityCompletion.lockInstance`. Without it the runtime never asks
   * and, after a commit that schedules work or a completion, wakes its own
   * work loops instead.
   * @default false
   */
  readonly eagerDispatch?: boolean;
  /**
   * Versions: the store keeps `InstanceRecord.version`, filters queries and
   * counts by it from an index, honours `LockOptions.version` and
   * implements `setInstanceVersion`. Without it a runtime that must leave
   * other versions' work (`versioning.onMismatch: 'leave'`) refuses to
   * start, and `client.migrate` is refused.
   * @default false
   */
  readonly versioning?: boolean;
  /**
   * Step commit: the store honours `OrchestrationCommit.keepLease` and
   * `OrchestrationCommit.completeActivities`, so a worker that runs the
   * activity its own commit leased to it records the result together with
   * the next episode, in one operation per step. Needs `eagerDispatch`.
   * Without it the runtime completes each activity with `completeActivity`.
   * @default false
   */
  readonly stepCommit?: boolean;
}

export interface Storage {
  /** Optional features this store implements. @default none */
  readonly capabilities?: StorageCapabilities;

  /** Open connections, create schema. Idempotent; the runtime calls it before first use. */
  open(): Promise<void>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;

  /**
   * Create an instance with its first message. When an instance with that id
   * exists and is not terminal, nothing changes and the existing row is
   * returned. A terminal one is replaced: its history, inbox, activities and
   * logs are removed first.
   */
  createInstance(hub: string, record: InstanceRecord, message: NewMessage, admission?: Admission): Promise<CreateInstanceResult>;
  /** Enqueue messages (events, terminate, suspend...). Messages to missing instances without `createIfMissing` are dropped. */
  sendMessages(hub: string, messages: NewMessage[]): Promise<void>;

  getInstance(hub: string, instanceId: string): Promise<InstanceRecord | undefined>;
  getHistory(hub: string, instanceId: string): Promise<HistoryEvent[]>;
  getLogs(hub: string, instanceId: string): Promise<LogEntry[]>;
  queryInstances(hub: string, query: InstanceQuery): Promise<InstancePage>;
  /**
   * How many instances match (same filters as `queryInstances`). Served by
   * an index on (namespace, status, createdAt) or kept counters, never by
   * reading every instance row.
   */
  countInstances(hub: string, query: CountQuery): Promise<number>;
  /** The queue place of an instance waiting in a group; undefined when it is not queued (admitted, not in a group, unknown). */
  getQueuePosition(hub: string, instanceId: string): Promise<QueuePosition | undefined>;
  /**
   * Cancel an instance that is still queued in its group: atomically drop its
   * queue place, its held start message and its inbox, end any lease on it
   * (the holder's commit is then refused), and write `cancel` (see
   * QueuedCancellation). Returns false and changes nothing when the instance
   * is not queued (admitted meanwhile, terminal, not in a group, unknown).
   */
  cancelQueued(hub: string, instanceId: string, cancel: QueuedCancellation): Promise<boolean>;

  /**
   * Versions (`capabilities.versioning`): change the version of an
   * orchestration (`client.migrate`). Applies only
   * when the instance exists, is not terminal, holds no live lease and its
   * history has exactly `historyLength` events (what the caller replayed);
   * returns false and changes nothing otherwise.
   */
  setInstanceVersion?(hub: string, instanceId: string, change: { version: string; historyLength: number }): Promise<boolean>;

  /** Lock instances that have visible messages and no live lease: fresh ones, or one redelivered alone (see LockOptions, LockResult). */
  lockInstances(hub: string, options: LockOptions): Promise<LockResult<LockedInstance>>;
  /**
   * Atomically apply one episode's outcome and release the lock. Throws
   * LeaseLostError when the lock is not held (see `leaseLost`). A store
   * without eager dispatch may resolve with nothing.
   */
  commitOrchestration(hub: string, commit: OrchestrationCommit): Promise<CommitResult | void>;
  /**
   * Give an instance lock back without committing. Messages stay. By default
   * the handout is refunded (shutdown); see GiveBackOptions.
   */
  releaseInstance(hub: string, instanceId: string, lockToken: string, options?: GiveBackOptions): Promise<void>;

  /** Lock work items without a live lease: fresh ones, or one redelivered alone (see LockOptions, LockResult). */
  lockActivities(hub: string, options: LockOptions): Promise<LockResult<ActivityWorkItem>>;
  /**
   * Atomically delete the work item and deliver its result. Throws
   * LeaseLostError when the lock is not held (see `leaseLost`). A store
   * without eager dispatch may resolve with nothing.
   */
  completeActivity(hub: string, completion: ActivityCompletion): Promise<CompletionResult | void>;
  /**
   * Record the progress of a locked work item, replacing the last one: one
   * write. Throws LeaseLostError when the lease is not held (fencing), and
   * then changes nothing. A new lease of the item starts without progress.
   */
  reportProgress(hub: string, workItemId: string, lockToken: string, progress: ActivityProgress): Promise<void>;
  /** The instance's activity work items not completed yet, queued or leased (in no particular order). */
  getActivityStates(hub: string, instanceId: string): Promise<ActivityState[]>;

  /**
   * Make a locked work item available again at once. By default the handout
   * is refunded (shutdown); see GiveBackOptions.
   */
  abandonActivity(hub: string, workItemId: string, lockToken: string, options?: GiveBackOptions): Promise<void>;

  /**
   * Extend leases still held. Returns the tokens whose lease was lost (these
   * are not extended), and the tokens of held work items marked canceled
   * (`cancelActivities`; their leases are extended as usual).
   */
  renewLeases(
    hub: string,
    leases: { instances: Array<{ instanceId: string; lockToken: string }>; activities: Array<{ workItemId: string; lockToken: string }> },
    leaseMs: number,
  ): Promise<{ lostInstances: string[]; lostActivities: string[]; canceledActivities: string[] }>;

  /**
   * Delete terminal instances (row, history, inbox, activities, logs).
   * Non-terminal instances are left alone and not counted. Concurrent purges
   * count each deletion once. A filter purge takes orchestrations only and
   * honours `namespace`.
   */
  purgeInstances(hub: string, target: { instanceIds: string[] } | PurgeFilter): Promise<{ instancesDeleted: number }>;

  /**
   * The instance's inbox messages not consumed yet, in enqueue order
   * (`visibleAt` on those not visible yet). A queued member's held start
   * message is not among them.
   */
  getMessages(hub: string, instanceId: string): Promise<PendingMessage[]>;

  /**
   * The runtime registry: a runtime announces itself and the names it serves
   * when it starts and every few seconds after (`heartbeatAt` = now and
   * `expiresAt` = now + `ttlMs` by the store's clock, `stoppedAt` cleared),
   * and says when it stops. An upsert by `runtimeId`.
   */
  heartbeatRuntime(hub: string, registration: RuntimeRegistration, ttlMs: number): Promise<void>;
  /** Marks the runtime stopped now (`stoppedAt`, and `expiresAt` no later than now). Unknown ids are ignored. */
  stopRuntime(hub: string, runtimeId: string): Promise<void>;
  /**
   * Every runtime of the hub heard from (a heartbeat or a stop) within
   * RUNTIME_RETENTION_MS, live or not, ordered by `startedAt`; older entries
   * are dropped.
   */
  listRuntimes(hub: string): Promise<RuntimeEntry[]>;

  /**
   * Subscribe to work and instance-change notices for a hub. Returns the
   * unsubscribe function. With `{ instanceUpdates: 'terminal' }` the listener
   * needs 'instance-updated' only for terminal statuses: a store may leave
   * the others out (and may send them all the same).
   */
  subscribe(hub: string, listener: (notice: StorageNotice) => void, options?: SubscribeOptions): () => void;
}
