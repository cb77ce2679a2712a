/**
 * The runtime: two work loops (orchestration episodes, activities), a lease
 * keeper, the replay cache and the client, over one Storage and task hub.
 * The loops lock fresh work only; redelivered work (an earlier holder died
 * with it) is taken once this runtime has drained, and runs alone (see
 * redelivery.ts), so a crash is charged to its cause only.
 */
import { systemClock } from '../clock.js';
import { concurrencyMap, toRegistryMap, versionMap } from '../definitions.js';
import type { ActivityFunction, OrchestratorFunction } from '../definitions.js';
import type { ErrorHandler } from '../error-handler.js';
import { InvalidArgumentError } from '../errors.js';
import type { ActivityWorkItem, LockOptions, LockedInstance, StorageNotice } from '../storage/types.js';
import type { RuntimeStatus } from '../status.js';
import { OrchestrationClient as ClientClass } from '../client/client.js';
import type { OrchestrationClient } from '../client/public-client.js';
import type { EntityRegistration } from '../entities/entity-context.js';
import { runEntityEpisode } from '../entities/entity-episode.js';
import { runActivity } from './activity.js';
import { runOrchestrationEpisode } from './episode.js';
import type { EpisodeDeps } from './episode.js';
import { CancelMark } from './cancel-mark.js';
import { LeaseKeeper } from './leases.js';
import type { ResolvedOptions, RuntimeOptions } from './options.js';
import { Redelivery } from './redelivery.js';
import type { RecoveredItem } from './redelivery.js';
import { ReplayCache } from './replay-cache.js';
import { StepGraces } from './step-grace.js';
import type { HistoryEvent } from '../history.js';
import type { LogEntry } from '../storage/types.js';
import { WorkLoop } from './work-loop.js';
import { registerSchedules } from '../schedules/activities.js';
import { describeRegistry } from '../orchestrator-identity.js';
import { registerPurge } from '../client/purge-when-ended.js';
import type { OrchestratorDescription } from '../orchestrator-identity.js';
import { SCHEDULE_ORCHESTRATOR } from '../schedules/ids.js';
import { validateVersion, validateVersioning } from '../versioning/versions.js';
import type { VersionMatch } from '../versioning/versions.js';
import { registerHttpActivity } from './http-activity.js';
import { RuntimePresence } from './presence.js';
import { Observer } from '../observability/observer.js';
import type { RuntimeEvents } from '../observability/events.js';

export interface Runtime {
  readonly client: OrchestrationClient;
  readonly taskHub: string;
  /**
   * Lifecycle events of the work this runtime does (never for replays):
   * `runtime.events.on('instanceCompleted', (e) => …)`. A listener that
   * throws is reported to `onError` and affects nothing else.
   */
  readonly events: RuntimeEvents;
  /** Start dispatching work. Idempotent. */
  start(): Promise<void>;
  /** Stop taking work, let in-flight work finish, release leases so another runtime resumes at once. */
  stop(): Promise<void>;
  /**
   * stop(), then close the storage this runtime was given, so its connections
   * end and the process can exit by itself. A storage closes only what it
   * opened (a caller's own client stays open). See "Lifecycle and ownership"
   * in the core README. Idempotent.
   */
  close(): Promise<void>;
  /**
   * The registered orchestrators with their stable ids and metadata (see
   * `defineOrchestrator`), in registration order; the runtime's own
   * (schedules) are left out. A fresh array each call.
   */
  describeOrchestrators(): OrchestratorDescription[];
  /** Drop every cached orchestrator generator; the next step of each instance replays from storage. */
  clearReplayCache(): void;
  /**
   * The function registered under this orchestrator name (a handle's `fn`),
   * or undefined. Lets packages built on the runtime find what they
   * registered (withApplications' runner carries its applications).
   */
  getOrchestrator(name: string): OrchestratorFunction | undefined;
  readonly isRunning: boolean;
  /**
   * True when both work loops sleep with nothing in flight: every instance
   * waits on a timer, an event or nothing. The test kit skips time then.
   */
  isIdle(): boolean;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  if (!options || typeof options !== 'object' || !options.storage) throw new InvalidArgumentError('createRuntime needs { storage, orchestrators, activities }');
  const orchestratorVersions = versionMap(options.orchestrators);
  const resolved = resolveOptions(options, orchestratorVersions);
  const { storage } = options;
  const hub = resolved.taskHub;
  if (resolved.versionFilter && storage.capabilities?.versioning !== true) {
    throw new InvalidArgumentError("versioning.onMismatch 'leave' needs a store that filters work by version (capabilities.versioning); this one does not, use onMismatch 'fail'");
  }
  const orchestrators = toRegistryMap<OrchestratorFunction>(options.orchestrators);
  const concurrency = concurrencyMap(options.orchestrators);
  // Described before the schedules' own orchestrator joins the registry; a clash of ids throws here.
  const described = describeRegistry(options.orchestrators);
  const activities = toRegistryMap<ActivityFunction>(options.activities);
  const entities = new Map<string, EntityRegistration>(Object.entries(options.entities ?? {}).map(([name, e]) => [name.toLowerCase(), e]));
  // Schedules are built-in orchestrations over the engine's own primitives (see schedules/orchestrator.ts).
  registerSchedules(orchestrators, activities, () => client, (run, outcome) => observer.scheduleFired(run, outcome));
  registerPurge(orchestrators, activities, storage, hub);
  registerHttpActivity(activities);
  const cache = new ReplayCache(resolved.cacheSize);
  // One store subscription, asking only for terminal instance notices (what
  // waitForCompletion needs), so a store can skip the others; waiters for any
  // change (anyListeners) hold a second subscription while there are some.
  // Instance notices go straight to that instance's waiters.
  type InstanceListener = (status: RuntimeStatus | undefined) => void;
  const instanceListeners = new Map<string, Set<InstanceListener>>();
  const anyListeners = new Map<string, Set<InstanceListener>>();
  let unsubscribeAny: (() => void) | undefined;
  const tell = (waiters: Map<string, Set<InstanceListener>>, notice: StorageNotice) => {
    if (notice.type === 'instance-updated') {
      const listeners = waiters.get(notice.instanceId);
      if (listeners) for (const listener of [...listeners]) listener(notice.status);
    } else if (notice.type === 'resync') {
      for (const listeners of [...waiters.values()]) for (const listener of [...listeners]) listener(undefined);
    }
  };
  const onAnyNotice = (notice: StorageNotice) => tell(anyListeners, notice);
  let routeWork: ((notice: StorageNotice) => void) | undefined;
  const onStorageNotice = (notice: StorageNotice) => {
    if (notice.type === 'instance-updated') {
      tell(instanceListeners, notice);
    } else if (notice.type === 'resync') {
      // Notices may have been lost: every waiter re-reads, both loops look for work.
      tell(instanceListeners, notice);
      routeWork?.({ type: 'orchestration-work' });
      routeWork?.({ type: 'activity-work' });
    } else {
      routeWork?.(notice);
    }
  };
  const report: ErrorHandler = (error) => {
    try {
      resolved.onError(error);
    } catch (thrown) {
      // The handler's own failure must not end a work loop; this is the last place left to say so.
      console.error('[reprise] onError threw', thrown, 'while handling', error);
    }
  };
  // A throwing event listener is reported, never emitted as 'error' (that could loop).
  const observer = new Observer(options.telemetry, () => resolved.clock.now(), report);
  const onError: ErrorHandler = (error) => {
    report(error);
    observer.error(error);
  };

  let opened: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;
  const ready = () =>
    (opened ??= Promise.all([storage.open(), observer.load()]).then(() => {
      unsubscribe = storage.subscribe(hub, onStorageNotice, { instanceUpdates: 'terminal' });
    }));

  let abort = new AbortController();
  // Running activities whose instance was canceled: their signal fires when a renewal reports the mark.
  const activityCancels = new Map<string, CancelMark>();
  const leases = new LeaseKeeper(storage, hub, resolved.leaseMs, resolved.clock, onError, (token) => activityCancels.get(token)?.cancel(new Error('the orchestration was canceled')), (token, kind, instanceId) =>
    observer.leaseLost(kind, instanceId, token),
  );

  const redelivery: Redelivery = new Redelivery({
    settled: () => Promise.all([orchestrationLoop.settled(), activityLoop.settled()]).then(() => {}),
    resume: () => {
      orchestrationLoop.notify();
      activityLoop.notify();
    },
    lock: (kind) => (kind === 'orchestration' ? recoverInstances() : recoverActivities()),
    clock: resolved.clock,
    onError,
  });
  const leaseOptions = (max: number, redelivered: boolean): LockOptions => ({ max, leaseMs: resolved.leaseMs, redelivered, ...(resolved.versionFilter && { version: resolved.versionFilter }) });

  // Kept leases of step commits: the first of their work items to finish commits its result with the next episode.
  const graces = new StepGraces(resolved.clock, (grace) => storage.releaseInstance(hub, grace.instance.instanceId, grace.lockToken).catch(onError));
  const episodeDeps: EpisodeDeps = { storage, options: resolved, orchestrators, versions: orchestratorVersions, concurrency, cache, observer, graces };
  const reserveActivities = (wanted: number) => activityLoop.reserve(wanted);
  const reserveInstance = () => orchestrationLoop.reserve(1);
  // A step commit made inside an activity's slot hands that slot over (see WorkLoop.reserve).
  const reserveInSlot = (wanted: number) => activityLoop.reserve(wanted, 1);

  const handleInstance = async (locked: LockedInstance): Promise<void> => {
    try {
      // Its lease was lost while it waited (a renewal said so): another worker has it now.
      if (!leases.holds(locked.lockToken)) return;
      if (locked.instance.kind === 'entity') {
        await runEntityEpisode({ storage, options: resolved, entities, hasOrchestrator: (n) => orchestrators.has(n), observer }, locked);
      } else {
        // Our own new work needs no round trip through the store's notices: the store leases it
        // to us in the commit (eager dispatch), into slots reserved for it, or we wake our own loop.
        const result = await runOrchestrationEpisode(episodeDeps, locked, reserveActivities);
        if (result.scheduledWithoutEager) activityLoop.notify();
      }
    } catch (error) {
      onError(error);
      // Give the instance back so it is retried now rather than after the lease. The handout
      // counts: an episode that keeps failing reaches maxDeliveries instead of looping hot.
      await storage.releaseInstance(hub, locked.instance.instanceId, locked.lockToken, { countDelivery: true }).catch(onError);
    } finally {
      leases.drop(locked.lockToken);
    }
  };

  // Every item is held (its lease renewed) from the moment it arrives until it finishes or goes back.
  const holdInstance = (locked: LockedInstance) => leases.holdInstance(locked.lockToken, locked.instance.instanceId);
  const orchestrationLoop: WorkLoop<LockedInstance> = new WorkLoop<LockedInstance>({
    concurrency: resolved.maxConcurrentOrchestrations,
    clock: resolved.clock,
    onError,
    lock: (max) => storage.lockInstances(hub, leaseOptions(max, false)),
    handle: handleInstance,
    received: holdInstance,
    paused: () => redelivery.active,
    redeliveredWaiting: () => redelivery.waiting('orchestration'),
  });
  const recoverInstances = async (): Promise<RecoveredItem[]> => {
    const { items } = await storage.lockInstances(hub, leaseOptions(resolved.maxConcurrentOrchestrations, true));
    return items.map((locked) => {
      holdInstance(locked);
      return {
        redelivered: locked.deliveries > 1,
        run: () => handleInstance(locked),
        queue: () => orchestrationLoop.push(locked),
        giveBack: async () => {
          leases.drop(locked.lockToken);
          await storage.releaseInstance(hub, locked.instance.instanceId, locked.lockToken);
        },
      };
    });
  };

  /** One store operation per step: the item's result goes into the next episode's commit, under its grace (see step-grace.ts). */
  const finishStep = async (item: ActivityWorkItem, event: HistoryEvent, logs: readonly LogEntry[]): Promise<boolean> => {
    const grace = graces.claim(item.lockToken);
    if (!grace) return false;
    const locked: LockedInstance = { instance: grace.instance, lockToken: grace.lockToken, messages: [], deliveries: 1 };
    try {
      const step = { event, completion: { workItemId: item.id, lockToken: item.lockToken }, logs };
      // The next step's activity may take this item's slot: it is freed as soon as the commit returns.
      if ((await runOrchestrationEpisode(episodeDeps, locked, reserveInSlot, step)).committed) return true;
    } catch (error) {
      onError(error);
    }
    // Refused or failed, so nothing was applied: the instance goes back (if still ours) and the result takes today's path.
    await storage.releaseInstance(hub, grace.instance.instanceId, grace.lockToken).catch(onError);
    return false;
  };

  const inFlightActivities = new Map<string, ActivityWorkItem>();
  const handleActivity = async (item: ActivityWorkItem): Promise<void> => {
    // Its lease was lost while it waited: running it would only have its result refused.
    if (!leases.holds(item.lockToken)) return graces.settle(item.lockToken);
    inFlightActivities.set(item.lockToken, item);
    const canceled = new CancelMark();
    activityCancels.set(item.lockToken, canceled);
    try {
      const result = await runActivity({ storage, options: resolved, activities, signal: abort.signal, canceled, client, observer, finishStep }, item, reserveInstance);
      if (result.deliveredWithoutEager) orchestrationLoop.notify();
    } finally {
      activityCancels.delete(item.lockToken);
      inFlightActivities.delete(item.lockToken);
      leases.drop(item.lockToken);
      // Given back or lost without using its grace: the instance is not held for it any longer.
      // Checked first: a step that committed its result has no grace left, and an await per step costs.
      if (graces.holds(item.lockToken)) await graces.settle(item.lockToken);
    }
  };
  const holdActivity = (item: ActivityWorkItem) => leases.holdActivity(item.lockToken, item.id, item.instanceId);
  const activityLoop: WorkLoop<ActivityWorkItem> = new WorkLoop<ActivityWorkItem>({
    concurrency: resolved.maxConcurrentActivities,
    clock: resolved.clock,
    onError,
    lock: (max) => storage.lockActivities(hub, leaseOptions(max, false)),
    handle: handleActivity,
    received: holdActivity,
    paused: () => redelivery.active,
    redeliveredWaiting: () => redelivery.waiting('activity'),
  });
  const recoverActivities = async (): Promise<RecoveredItem[]> => {
    const { items } = await storage.lockActivities(hub, leaseOptions(resolved.maxConcurrentActivities, true));
    return items.map((item) => {
      holdActivity(item);
      return {
        redelivered: item.deliveries > 1,
        run: () => handleActivity(item),
        queue: () => activityLoop.push(item),
        giveBack: async () => {
          leases.drop(item.lockToken);
          await storage.abandonActivity(hub, item.id, item.lockToken);
        },
      };
    });
  };

  const routeNotice = (notice: StorageNotice) => {
    if (notice.type !== 'orchestration-work' && notice.type !== 'activity-work') return;
    const loop = notice.type === 'orchestration-work' ? orchestrationLoop : activityLoop;
    // With inMs: a lease made without a lock call expires then; a sleeping loop locks again by then.
    if (notice.inMs === undefined) loop.notify();
    else loop.notifyWithin(notice.inMs);
  };

  const presence = new RuntimePresence({
    storage,
    hub,
    leaseMs: resolved.leaseMs,
    clock: resolved.clock,
    onError,
    names: () => ({ orchestrators: [...orchestrators.keys()], activities: [...activities.keys()], entities: [...entities.keys()] }),
  });

  const client = new ClientClass({
    storage,
    taskHub: hub,
    clock: resolved.clock,
    maxPayloadBytes: resolved.maxPayloadBytes,
    ready,
    hasOrchestrator: (name) => orchestrators.has(name),
    orchestratorOf: (name) => orchestrators.get(name),
    concurrencyOf: (name) => concurrency.get(name),
    versionOf: (name) => orchestratorVersions.get(name) ?? resolved.version,
    hasEntity: (name) => entities.has(name),
    managementUrls: options.managementUrls,
    telemetry: observer.client,
    onInstanceUpdated: (instanceId, listener, terminalOnly) => {
      const waiters = terminalOnly ? instanceListeners : anyListeners;
      // Called after ready(): the store is open.
      if (!terminalOnly && anyListeners.size === 0) unsubscribeAny = storage.subscribe(hub, onAnyNotice);
      let listeners = waiters.get(instanceId);
      if (!listeners) waiters.set(instanceId, (listeners = new Set()));
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && waiters.get(instanceId) === listeners) waiters.delete(instanceId);
        if (!terminalOnly && anyListeners.size === 0) {
          unsubscribeAny?.();
          unsubscribeAny = undefined;
        }
      };
    },
  });

  let running = false;
  let stopping: Promise<void> | undefined;

  const runtime: Runtime = {
    client,
    taskHub: hub,
    // eventemitter3's generic signatures are not assignable to the plain ones of RuntimeEvents; the shapes are the same.
    events: observer.events as unknown as RuntimeEvents,
    get isRunning() {
      return running;
    },
    describeOrchestrators: () => described.map((d) => ({ ...d })),
    clearReplayCache: () => cache.clear(),
    getOrchestrator: (name) => (typeof name === 'string' ? orchestrators.get(name) : undefined),
    isIdle: () => orchestrationLoop.isIdle && activityLoop.isIdle && !redelivery.active,
    async start() {
      if (running) return;
      await stopping;
      await ready();
      // Registered before any work is taken: start() resolves as soon as the loops run, as before.
      await presence.start();
      running = true;
      abort = new AbortController();
      routeWork = routeNotice;
      redelivery.start();
      leases.start();
      orchestrationLoop.start();
      activityLoop.start();
    },
    stop() {
      if (!running) return stopping ?? Promise.resolve();
      running = false;
      stopping = (async () => {
        routeWork = undefined;
        abort.abort(new Error('runtime stopping'));
        const drained = Promise.all([orchestrationLoop.stop(), activityLoop.stop(), redelivery.stop()]);
        let timer: unknown;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = resolved.clock.setTimeout(() => resolve('timeout'), resolved.stopTimeoutMs);
        });
        const result = await Promise.race([drained, timedOut]);
        resolved.clock.clearTimeout(timer);
        if (result === 'timeout') {
          // Activities that ignore the abort signal: hand their items back so another runtime runs them now.
          // Their graces too: the instances go back now rather than when the activities return.
          await Promise.all(
            [...inFlightActivities.values()].map(async (item) => {
              await storage.abandonActivity(hub, item.id, item.lockToken).catch(onError);
              await graces.settle(item.lockToken);
            }),
          );
        }
        leases.stop();
        await presence.stop();
        cache.clear();
        // The client may be used again after stop(): it re-subscribes on its next call.
        unsubscribe?.();
        unsubscribe = undefined;
        opened = undefined;
      })();
      return stopping;
    },
    async close() {
      await runtime.stop();
      // The client alone (never started) may have opened and subscribed too.
      await opened?.catch(() => undefined);
      unsubscribe?.();
      unsubscribe = undefined;
      opened = undefined;
      await storage.close();
    },
  };
  return runtime;
}

function resolveOptions(options: RuntimeOptions, orchestratorVersions: ReadonlyMap<string, string>): ResolvedOptions {
  const positive = (value: number | undefined, fallback: number, name: string, allowZero = false) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new InvalidArgumentError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
    return value;
  };
  const taskHub = options.taskHub ?? 'default';
  if (typeof taskHub !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(taskHub)) {
    throw new InvalidArgumentError(`taskHub '${String(taskHub)}' must be 1-64 characters of letters, digits, '.', '_' or '-'`);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidArgumentError(`onError must be a function, got ${typeof options.onError}`);
  }
  const version = options.version === undefined ? undefined : validateVersion(options.version, 'version');
  const versioning = validateVersioning(options.versioning, version);
  const versionFilter: VersionMatch | undefined =
    versioning.match === 'none' || versioning.onMismatch !== 'leave'
      ? undefined
      : {
          match: versioning.match,
          version: version!,
          ...(orchestratorVersions.size > 0 && { byOrchestrator: Object.fromEntries(orchestratorVersions) }),
          // The schedule loop is the library's code, the same in every version.
          exempt: [SCHEDULE_ORCHESTRATOR],
        };
  return {
    taskHub,
    leaseMs: positive(options.leaseMs, 30_000, 'leaseMs'),
    maxDeliveries: positive(options.maxDeliveries, 5, 'maxDeliveries'),
    maxPayloadBytes: positive(options.maxPayloadBytes, 4 * 1024 * 1024, 'maxPayloadBytes'),
    maxHistoryEvents: positive(options.maxHistoryEvents, 50_000, 'maxHistoryEvents'),
    cacheSize: positive(options.cacheSize, 10_000, 'cacheSize', true),
    stepGraceMs: positive(options.stepGraceMs, 100, 'stepGraceMs', true),
    maxConcurrentActivities: positive(options.maxConcurrentActivities, 100, 'maxConcurrentActivities'),
    maxConcurrentOrchestrations: positive(options.maxConcurrentOrchestrations, 100, 'maxConcurrentOrchestrations'),
    stopTimeoutMs: positive(options.stopTimeoutMs, 30_000, 'stopTimeoutMs', true),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? ((entry) => console.log(`[${entry.instanceId}] ${entry.level}: ${entry.message}`)),
    onError: options.onError ?? ((error) => console.error('[reprise]', error)),
    version,
    versioning,
    versionFilter,
  };
}
