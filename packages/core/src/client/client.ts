/**
 * The client: start, query, signal and manage instances. It works with or
 * without `runtime.start()`; every call opens the store on first use.
 * Every check runs before anything is stored.
 */
import { nanoid } from 'nanoid';
import {
  CancellationRequestedError,
  ConcurrencyLimitError,
  QueueFullError,
  InstanceCompletedError,
  InstanceExistsError,
  InstanceNotFoundError,
  InvalidArgumentError,
  InvalidStateError,
  TimeoutError,
  UnknownEntityError,
  UnknownOrchestratorError,
} from '../errors.js';
import { executionStartedEvent, pendingOrchestrationRecord } from '../events.js';
import type { EntityOperationEvent, HistoryEvent, Payload } from '../history.js';
import { serialize } from '../serializer.js';
import { isTerminal } from '../status.js';
import type { InstanceRecord, LogEntry, Storage } from '../storage/types.js';
import type { RuntimeStatus } from '../status.js';
import type { CountInstancesFilter, GetStatusOptions, ListInstancesFilter, MessageOptions, OrchestrationStatus, PurgeByFilter, StartOptions } from '../status-types.js';
import type { ClientTelemetry } from '../observability/client-telemetry.js';
import { withoutTraceTags } from '../observability/trace-context.js';
import type { InstanceId, OrchestratorHandle } from '../definitions.js';
import { entityInstanceId, parseEntityInstanceId } from '../entities/entity-id.js';
import type { EntityId } from '../entities/entity-id.js';
import { entityRecord } from '../entities/entity-record.js';
import { readSchedulerState } from '../entities/entity-state.js';
import { deserialize } from '../serializer.js';
import type { Clock } from '../clock.js';
import { renderStatus } from './render.js';
import { projectSteps } from './steps.js';
import type { Step } from './steps.js';
import { validateDate, validateInstanceId, validateName, validateNamespace, validateStatuses } from './validate.js';
import { groupOf, resolveConcurrency } from './concurrency.js';
import type { ConcurrencyDefinition } from './concurrency.js';
import { executionCanceledEvent } from '../events.js';
import { parentMessage } from '../runtime/effects.js';
import type { ExecutionCancelRequestedEvent } from '../history.js';
import { toFailureDetails } from '../errors.js';
import { isSystemInstanceId, runPrefix, SCHEDULE_TAG, validateScheduleId } from '../schedules/ids.js';
import { withScheduleId } from '../schedules/run-status.js';
import { ScheduleClient } from '../schedules/schedules-client.js';

export interface ClientDeps {
  storage: Storage;
  taskHub: string;
  clock: Clock;
  maxPayloadBytes: number;
  ready(): Promise<void>;
  hasOrchestrator(name: string): boolean;
  /** The concurrency group an orchestrator's definition names, if any. */
  concurrencyOf(name: string): ConcurrencyDefinition | undefined;
  hasEntity(name: string): boolean;
  /** Registers a listener for one instance's status changes (undefined: re-check, notices were lost); returns its remover. */
  onInstanceUpdated(instanceId: string, listener: (status: RuntimeStatus | undefined) => void): () => void;
  /** Spans and metrics of starts and messages (absent: none). */
  telemetry?: ClientTelemetry;
}

export interface EntityStateResponse<S = unknown> {
  entityExists: boolean;
  entityState: S | undefined;
}

export interface ListEntitiesFilter {
  name?: string;
  lastOperationTimeFrom?: Date;
  lastOperationTimeTo?: Date;
  fetchState?: boolean;
  pageSize?: number;
  continuationToken?: string;
}

export interface EntityMetadata<S = unknown> {
  entityId: EntityId;
  lastOperationTime: Date;
  state?: S;
}

/**
 * `startNew(handle, ...)`'s options: required, with `input`, when the
 * orchestrator's input type does not admit `undefined`; optional otherwise.
 */
export type StartNewArgs<I> = undefined extends I ? [options?: StartOptions<I>] : [options: StartOptions<I> & { input: I }];

export class OrchestrationClient {
  readonly #deps: ClientDeps;
  /** Durable one-shot, interval and cron schedules that start orchestrations (see the core README). */
  readonly schedules: ScheduleClient;
  constructor(deps: ClientDeps) {
    this.#deps = deps;
    this.schedules = new ScheduleClient(this, deps);
  }

  get taskHub(): string {
    return this.#deps.taskHub;
  }

  /**
   * Start an orchestration. Resolves with its instance id once the start is
   * stored; started from a handle, the id carries the handle's types.
   */
  startNew<I, O>(orchestrator: OrchestratorHandle<I, O>, ...options: StartNewArgs<I>): Promise<InstanceId<O, I>>;
  startNew<I = unknown>(orchestrator: string, options?: StartOptions<I>): Promise<InstanceId<unknown, I>>;
  async startNew(orchestrator: string | OrchestratorHandle<unknown, unknown>, options: StartOptions<unknown> = {}): Promise<string> {
    const name = validateName(typeof orchestrator === 'string' ? orchestrator : orchestrator?.name, 'orchestrator name');
    if (!this.#deps.hasOrchestrator(name)) throw new UnknownOrchestratorError(`no orchestrator named '${name}' is registered`);
    const instanceId = options.instanceId === undefined ? nanoid() : validateInstanceId(options.instanceId);
    const startAt = validateDate(options.startAt, 'startAt');
    const namespace = validateNamespace(options.namespace) ?? '';
    validateTags(options.tags);
    const input = serialize(options.input, `input of orchestrator '${name}'`, this.#deps.maxPayloadBytes);
    const concurrency = resolveConcurrency(name, options.concurrency, this.#deps.concurrencyOf(name), options.input, { namespace, instanceId });
    await this.#deps.ready();
    const now = this.#deps.clock.now();
    const executionId = nanoid();
    const traced = this.#deps.telemetry?.startInstance(name, instanceId, options.traceContext);
    // The trace tags are Reprise's: a caller's own copy (a restart's) is replaced, never kept.
    const userTags = withoutTraceTags(options.tags);
    const tags = traced?.tags ? { ...userTags, ...traced.tags } : userTags && { ...userTags };
    const record = pendingOrchestrationRecord({
      instanceId,
      name,
      executionId,
      input,
      now,
      tags,
      namespace,
      concurrency: concurrency && groupOf(concurrency),
    });
    const result = await this.#deps.storage.createInstance(
      this.#deps.taskHub,
      record,
      {
        instanceId,
        ...(startAt !== undefined && { visibleAt: startAt }),
        event: executionStartedEvent({ name, executionId, input, timestamp: new Date(now).toISOString() }),
      },
      concurrency && { ...groupOf(concurrency), onFull: concurrency.onFull ?? 'queue' },
    ).catch((error: unknown) => {
      traced?.end(error);
      throw error;
    });
    if (result.created) {
      if (result.queued) this.#deps.telemetry?.admission(result.queued.group, { position: result.queued.position });
      traced?.end();
      return instanceId;
    }
    const error = refusal(instanceId, result, concurrency?.group);
    if ('refused' in result) this.#deps.telemetry?.admission(concurrency!.group, { refused: result.refused });
    traced?.end(error);
    throw error;
  }

  /**
   * Run a terminal instance again: a new instance of the same orchestrator
   * with the same input, namespace and tags (id `newInstanceId`, or a new one).
   * Resolves with the new instance's id. A running instance is an
   * InvalidStateError, an unknown one InstanceNotFoundError.
   */
  async restart(instanceId: string, options: { newInstanceId?: string } = {}): Promise<string> {
    const newInstanceId = options.newInstanceId === undefined ? nanoid() : validateInstanceId(options.newInstanceId);
    const record = await this.#get(instanceId);
    // A schedule's own orchestration is the runtime's: a copy under another id would be a second, unmanaged loop.
    if (isSystemInstanceId(instanceId)) throw new InvalidArgumentError(`instance '${instanceId}' is a system instance (a schedule); it cannot be restarted`);
    if (!isTerminal(record.status)) throw new InvalidStateError(`cannot restart instance '${instanceId}': it is ${record.status}; only a finished instance can be restarted`);
    // Through startNew, so the restarted run is admitted to its group like any start.
    return this.startNew(record.name, {
      input: deserialize(record.input),
      instanceId: newInstanceId,
      ...(record.tags && { tags: { ...record.tags } }),
      ...(record.namespace !== undefined && record.namespace !== '' && { namespace: record.namespace }),
    });
  }

  /**
   * The run as steps: every activity, timer, sub-orchestration and entity
   * request it scheduled, in sequence order, with status, attempt, progress,
   * dependencies (`previous`), input and output. Undefined when there is no
   * such instance.
   */
  async getSteps(instanceId: string): Promise<Step[] | undefined> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    const { storage, taskHub } = this.#deps;
    const record = await storage.getInstance(taskHub, instanceId);
    if (!record || record.kind !== 'orchestration') return undefined;
    // Work items before history: a completion that lands in between is then seen in history, which wins.
    const work = await storage.getActivityStates(taskHub, instanceId);
    const history = await storage.getHistory(taskHub, instanceId);
    return projectSteps(record, history, work);
  }

  /** The instance's status, or undefined when there is none; an id from `startNew(handle)` types its output and input. */
  async getStatus<O = unknown, I = unknown>(instanceId: InstanceId<O, I>, options: GetStatusOptions = {}): Promise<OrchestrationStatus<O, I> | undefined> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, instanceId);
    if (!record || record.kind !== 'orchestration') return undefined;
    const history = options.showHistory ? await this.#deps.storage.getHistory(this.#deps.taskHub, instanceId) : undefined;
    const queue = await this.#queueOf(record);
    return withScheduleId(renderStatus(record, history, { showInput: options.showInput !== false, showHistoryOutput: options.showHistoryOutput === true }, queue)) as OrchestrationStatus<O, I>;
  }

  /** The replay-safe log lines the orchestration wrote with `ctx.log`, in order. */
  async getLogs(instanceId: string): Promise<LogEntry[]> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    return this.#deps.storage.getLogs(this.#deps.taskHub, instanceId);
  }

  /**
   * Resolves when the instance reaches a terminal status; driven by store
   * notices, not polling. An id from `startNew(handle)` types its output and input.
   */
  async waitForCompletion<O = unknown, I = unknown>(instanceId: InstanceId<O, I>, options: { timeoutMs?: number } = {}): Promise<OrchestrationStatus<O, I>> {
    validateName(instanceId, 'instanceId');
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be a non-negative number');
    await this.#deps.ready();
    return new Promise<OrchestrationStatus<O, I>>((resolve, reject) => {
      let settled = false;
      let checking = false;
      let recheck = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        remove();
        if (timer !== undefined) this.#deps.clock.clearTimeout(timer);
        fn();
      };
      const check = async () => {
        if (checking) {
          recheck = true;
          return;
        }
        checking = true;
        try {
          do {
            recheck = false;
            const status = await this.getStatus<O, I>(instanceId);
            if (!status) return finish(() => reject(new InstanceNotFoundError(`no instance '${instanceId}'`)));
            if (isTerminal(status.runtimeStatus)) return finish(() => resolve(status));
          } while (recheck && !settled);
        } catch (error) {
          finish(() => reject(error));
        } finally {
          checking = false;
        }
      };
      const remove = this.#deps.onInstanceUpdated(instanceId, (status) => {
        if (status === undefined || isTerminal(status)) void check();
      });
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.#deps.clock.setTimeout(() => finish(() => reject(new TimeoutError(`instance '${instanceId}' did not complete within ${timeoutMs} ms`))), timeoutMs);
      void check();
    });
  }

  async listInstances(filter: ListInstancesFilter = {}): Promise<{ instances: OrchestrationStatus[]; continuationToken?: string }> {
    const runtimeStatus = validateStatuses(filter.runtimeStatus);
    const createdFrom = validateDate(filter.createdTimeFrom, 'createdTimeFrom');
    const createdTo = validateDate(filter.createdTimeTo, 'createdTimeTo');
    const scheduleId = filter.scheduleId === undefined ? undefined : validateScheduleId(filter.scheduleId);
    if (scheduleId !== undefined && filter.instanceIdPrefix !== undefined) throw new InvalidArgumentError('scheduleId and instanceIdPrefix cannot be combined');
    const instanceIdPrefix = scheduleId !== undefined ? runPrefix(scheduleId) : filter.instanceIdPrefix;
    const namespace = validateNamespace(filter.namespace);
    await this.#deps.ready();
    const page = await this.#deps.storage.queryInstances(this.#deps.taskHub, {
      kind: 'orchestration',
      ...(namespace !== undefined && { namespace }),
      ...(runtimeStatus && { runtimeStatus }),
      ...(createdFrom !== undefined && { createdFrom }),
      ...(createdTo !== undefined && { createdTo }),
      ...(instanceIdPrefix !== undefined && { instanceIdPrefix: String(instanceIdPrefix) }),
      ...(filter.pageSize !== undefined && { pageSize: filter.pageSize }),
      ...(filter.continuationToken !== undefined && { continuationToken: filter.continuationToken }),
    });
    // System instances and look-alike ids are dropped after the store paged: a page may come back short.
    const records = page.instances.filter((r) => (filter.includeSystem === true || !isSystemInstanceId(r.instanceId)) && (scheduleId === undefined || r.tags?.[SCHEDULE_TAG] === scheduleId));
    const queues = await Promise.all(records.map((r) => this.#queueOf(r)));
    const instances = records.map((r, i) => withScheduleId(renderStatus(r, undefined, { showInput: filter.showInput !== false, showHistoryOutput: false }, queues[i])));
    return page.continuationToken === undefined ? { instances } : { instances, continuationToken: page.continuationToken };
  }

  /** How many orchestration instances match; an index lookup in every store that has indexes. */
  async countInstances(filter: CountInstancesFilter = {}): Promise<number> {
    const runtimeStatus = validateStatuses(filter.runtimeStatus);
    const createdFrom = validateDate(filter.createdTimeFrom, 'createdTimeFrom');
    const createdTo = validateDate(filter.createdTimeTo, 'createdTimeTo');
    const namespace = validateNamespace(filter.namespace);
    await this.#deps.ready();
    return this.#deps.storage.countInstances(this.#deps.taskHub, {
      kind: 'orchestration',
      ...(namespace !== undefined && { namespace }),
      ...(runtimeStatus && { runtimeStatus }),
      ...(createdFrom !== undefined && { createdFrom }),
      ...(createdTo !== undefined && { createdTo }),
    });
  }

  /** Every instance matching the filter, across pages (the durable-functions name). */
  async getStatusBy(filter: Omit<ListInstancesFilter, 'continuationToken'> = {}): Promise<OrchestrationStatus[]> {
    const all: OrchestrationStatus[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.listInstances({ ...filter, ...(continuationToken !== undefined && { continuationToken }) });
      all.push(...page.instances);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    return all;
  }

  getStatusAll(): Promise<OrchestrationStatus[]> {
    return this.getStatusBy({});
  }

  async raiseEvent(instanceId: string, eventName: string, eventData?: unknown, options: MessageOptions = {}): Promise<void> {
    validateName(eventName, 'eventName');
    const input = serialize(eventData, `data of event '${eventName}'`, this.#deps.maxPayloadBytes);
    await this.#deps.ready();
    const traced = this.#deps.telemetry?.sendMessage(`raiseEvent ${eventName}`, String(instanceId), options.traceContext);
    await this.#sendToActive(instanceId, 'raise an event on', {
      EventType: 'EventRaised',
      Timestamp: this.#now(),
      Name: eventName,
      ...(input !== undefined && { Input: input }),
      ...(traced?.traceparent && { TraceParent: traced.traceparent }),
    }).then(
      () => traced?.end(),
      (error: unknown) => {
        traced?.end(error);
        throw error;
      },
    );
  }

  async terminate(instanceId: string, reason?: unknown): Promise<void> {
    const payload = serialize(reason, 'reason', this.#deps.maxPayloadBytes);
    await this.#sendToActive(instanceId, 'terminate', { EventType: 'ExecutionTerminated', Timestamp: this.#now(), ...(payload !== undefined && { Reason: payload }) });
  }

  async suspend(instanceId: string, reason?: unknown): Promise<void> {
    const payload = serialize(reason, 'reason', this.#deps.maxPayloadBytes);
    await this.#sendToActive(instanceId, 'suspend', { EventType: 'ExecutionSuspended', Timestamp: this.#now(), ...(payload !== undefined && { Reason: payload }) });
  }

  async resume(instanceId: string, reason?: unknown): Promise<void> {
    const payload = serialize(reason, 'reason', this.#deps.maxPayloadBytes);
    await this.#sendToActive(instanceId, 'resume', { EventType: 'ExecutionResumed', Timestamp: this.#now(), ...(payload !== undefined && { Reason: payload }) });
  }

  /**
   * Ask an instance to wind down. Queued in a concurrency group: it becomes
   * Canceled at once and leaves the queue. Running: the tasks it waits on
   * reject with CancellationRequestedError, its running activities see their
   * AbortSignal fire, the sub-orchestrations it waits on are asked too; left
   * uncaught, the error ends it Canceled with `reason` as output. A second
   * request changes nothing.
   */
  async requestCancel(instanceId: string, reason?: unknown): Promise<void> {
    const payload = serialize(reason, 'reason', this.#deps.maxPayloadBytes);
    const record = await this.#get(instanceId);
    if (isTerminal(record.status)) throw new InstanceCompletedError(`cannot cancel instance '${instanceId}': it is ${record.status}`);
    const timestamp = this.#now();
    const event: ExecutionCancelRequestedEvent = { EventType: 'ExecutionCancelRequested', Timestamp: timestamp, ...(payload !== undefined && { Reason: payload }) };
    if (await this.#queueOf(record)) {
      const canceled = await this.#deps.storage.cancelQueued(this.#deps.taskHub, instanceId, {
        ...(payload !== undefined && { output: payload }),
        updatedAt: this.#deps.clock.now(),
        history: [event, executionCanceledEvent(payload, timestamp)],
        messages: await this.#parentAnswer(record, timestamp),
      });
      if (canceled) return;
      // Promoted meanwhile: it runs now, so it is asked like any running instance.
    }
    await this.#deps.storage.sendMessages(this.#deps.taskHub, [{ instanceId, event }]);
  }

  /** Re-run a Failed instance's failed work and continue from there. */
  async rewind(instanceId: string, reason?: unknown): Promise<void> {
    const payload = serialize(reason, 'reason', this.#deps.maxPayloadBytes);
    const record = await this.#get(instanceId);
    if (record.status !== 'Failed') throw new InvalidStateError(`instance '${instanceId}' is ${record.status}; only a Failed instance can be rewound`);
    await this.#deps.storage.sendMessages(this.#deps.taskHub, [
      { instanceId, event: { EventType: 'ExecutionRewound', Timestamp: this.#now(), ...(payload !== undefined && { Reason: payload }) } },
    ]);
  }

  /** Delete a terminal instance and everything stored for it. A running instance is refused. */
  async purgeInstanceHistory(instanceId: string): Promise<{ instancesDeleted: number }> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, instanceId);
    if (!record || record.kind !== 'orchestration') return { instancesDeleted: 0 };
    if (!isTerminal(record.status)) throw new InvalidStateError(`instance '${instanceId}' is ${record.status}; only terminal instances can be purged`);
    return this.#deps.storage.purgeInstances(this.#deps.taskHub, { instanceIds: [instanceId] });
  }

  /** Delete terminal instances created in the time range (and of the given statuses). */
  async purgeInstanceHistoryBy(filter: PurgeByFilter): Promise<{ instancesDeleted: number }> {
    const createdFrom = validateDate(filter?.createdTimeFrom, 'createdTimeFrom');
    if (createdFrom === undefined) throw new InvalidArgumentError('createdTimeFrom is required');
    const createdTo = validateDate(filter.createdTimeTo, 'createdTimeTo');
    const runtimeStatus = validateStatuses(filter.runtimeStatus);
    const namespace = validateNamespace(filter.namespace);
    await this.#deps.ready();
    return this.#deps.storage.purgeInstances(this.#deps.taskHub, {
      ...(namespace !== undefined && { namespace }),
      createdFrom,
      ...(createdTo !== undefined && { createdTo }),
      ...(runtimeStatus && { runtimeStatus }),
    });
  }

  // Entities ------------------------------------------------------------------

  async signalEntity(entity: EntityId, operationName: string, input?: unknown, options: { scheduledTime?: Date } & MessageOptions = {}): Promise<void> {
    const instanceId = entityInstanceId(entity);
    if (typeof operationName !== 'string') throw new InvalidArgumentError('operationName must be a string');
    if (!this.#deps.hasEntity(entity.name.toLowerCase())) throw new UnknownEntityError(`no entity named '${entity.name}' is registered`);
    const visibleAt = validateDate(options.scheduledTime, 'scheduledTime');
    const payload = serialize(input, `input of entity operation '${operationName}'`, this.#deps.maxPayloadBytes);
    await this.#deps.ready();
    const traced = this.#deps.telemetry?.sendMessage(`signal ${entity.name.toLowerCase()} ${operationName}`, instanceId, options.traceContext);
    const event: EntityOperationEvent = { EventType: 'EntityOperation', Timestamp: this.#now(), RequestId: nanoid(), Operation: operationName, ...(payload !== undefined && { Input: payload }), ...(traced?.traceparent && { TraceParent: traced.traceparent }) };
    try {
      await this.#deps.storage.sendMessages(this.#deps.taskHub, [{ instanceId, createIfMissing: entityRecord(instanceId, this.#deps.clock.now()), ...(visibleAt !== undefined && { visibleAt }), event }]);
    } catch (error) {
      traced?.end(error);
      throw error;
    }
    traced?.end();
  }

  async readEntityState<S = unknown>(entity: EntityId): Promise<EntityStateResponse<S>> {
    const instanceId = entityInstanceId(entity);
    await this.#deps.ready();
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, instanceId);
    const state = readSchedulerState(record?.entityState).state;
    return state === undefined ? { entityExists: false, entityState: undefined } : { entityExists: true, entityState: deserialize<S>(state) };
  }

  async listEntities(filter: ListEntitiesFilter = {}): Promise<{ entities: EntityMetadata[]; continuationToken?: string }> {
    const updatedFrom = validateDate(filter.lastOperationTimeFrom, 'lastOperationTimeFrom');
    const updatedTo = validateDate(filter.lastOperationTimeTo, 'lastOperationTimeTo');
    await this.#deps.ready();
    const page = await this.#deps.storage.queryInstances(this.#deps.taskHub, {
      kind: 'entity',
      runtimeStatus: ['Running'],
      ...(filter.name !== undefined && { name: String(filter.name).toLowerCase() }),
      ...(updatedFrom !== undefined && { updatedFrom }),
      ...(updatedTo !== undefined && { updatedTo }),
      ...(filter.pageSize !== undefined && { pageSize: filter.pageSize }),
      ...(filter.continuationToken !== undefined && { continuationToken: filter.continuationToken }),
    });
    const entities = page.instances.map((r): EntityMetadata => {
      const entityId = parseEntityInstanceId(r.instanceId) ?? { name: r.name, key: '' };
      const meta: EntityMetadata = { entityId, lastOperationTime: new Date(r.updatedAt) };
      if (filter.fetchState) meta.state = deserialize(readSchedulerState(r.entityState).state);
      return meta;
    });
    return page.continuationToken === undefined ? { entities } : { entities, continuationToken: page.continuationToken };
  }

  /** Remove entities without state and release locks held by orchestrations that have ended. */
  async cleanEntityStorage(): Promise<{ emptyEntitiesRemoved: number; orphanedLocksReleased: number }> {
    await this.#deps.ready();
    const { storage, taskHub } = this.#deps;
    let emptyEntitiesRemoved = 0;
    let orphanedLocksReleased = 0;
    let continuationToken: string | undefined;
    do {
      const page = await storage.queryInstances(taskHub, { kind: 'entity', pageSize: 500, ...(continuationToken !== undefined && { continuationToken }) });
      continuationToken = page.continuationToken;
      for (const record of page.instances) {
        const scheduler = readSchedulerState(record.entityState);
        if (scheduler.lockedBy !== undefined) {
          const owner = await storage.getInstance(taskHub, scheduler.lockedBy);
          if (!owner || isTerminal(owner.status)) {
            await storage.sendMessages(taskHub, [
              { instanceId: record.instanceId, event: { EventType: 'EntityLockReleased', Timestamp: this.#now(), RequestId: 'clean', ParentInstanceId: scheduler.lockedBy, LockSet: [record.instanceId], Position: 0 } },
            ]);
            orphanedLocksReleased += 1;
          }
        } else if (record.entityState === undefined && record.status === 'Completed') {
          emptyEntitiesRemoved += (await storage.purgeInstances(taskHub, { instanceIds: [record.instanceId] })).instancesDeleted;
        }
      }
    } while (continuationToken !== undefined);
    return { emptyEntitiesRemoved, orphanedLocksReleased };
  }

  // ---------------------------------------------------------------------------

  #now(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }

  async #get(instanceId: string): Promise<InstanceRecord> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, instanceId);
    if (!record || record.kind !== 'orchestration') throw new InstanceNotFoundError(`no instance '${instanceId}'`);
    return record;
  }

  /** The queue place of an instance waiting in its group (only a Pending member can be queued). */
  async #queueOf(record: InstanceRecord): Promise<{ group: string; position: number } | undefined> {
    if (record.status !== 'Pending' || record.concurrency === undefined) return undefined;
    return this.#deps.storage.getQueuePosition(this.#deps.taskHub, record.instanceId);
  }

  /**
   * A queued sub-orchestration canceled before it ran: its parent's answer.
   * The parent's scheduling event names the task it waits on; the answer
   * targets the parent's current execution, so a stale one is dropped.
   */
  async #parentAnswer(record: InstanceRecord, timestamp: string) {
    if (record.parentInstanceId === undefined) return [];
    const { storage, taskHub } = this.#deps;
    const parent = await storage.getInstance(taskHub, record.parentInstanceId);
    if (!parent || isTerminal(parent.status)) return [];
    const created = (await storage.getHistory(taskHub, parent.instanceId)).find((e) => e.EventType === 'SubOrchestrationInstanceCreated' && e.InstanceId === record.instanceId);
    if (created?.EventType !== 'SubOrchestrationInstanceCreated') return [];
    const failure = toFailureDetails(new CancellationRequestedError(`sub-orchestration '${record.instanceId}' was canceled before it started`));
    return parentMessage({ InstanceId: parent.instanceId, ExecutionId: parent.executionId, TaskScheduledId: created.EventId }, { status: 'failed', failure }, timestamp);
  }

  async #sendToActive(instanceId: string, verb: string, event: HistoryEvent): Promise<void> {
    const record = await this.#get(instanceId);
    if (isTerminal(record.status)) throw new InstanceCompletedError(`cannot ${verb} instance '${instanceId}': it is ${record.status}`);
    await this.#deps.storage.sendMessages(this.#deps.taskHub, [{ instanceId, event }]);
  }
}

function refusal(instanceId: string, result: { existing: InstanceRecord } | { refused: 'limit' | 'queueFull' }, group: string | undefined): Error {
  if ('existing' in result) return new InstanceExistsError(`instance '${instanceId}' already exists and is ${result.existing.status}`);
  if (result.refused === 'limit') return new ConcurrencyLimitError(`group '${group}' has no free slot (onFull 'reject'); instance '${instanceId}' was not started`);
  return new QueueFullError(`the queue of group '${group}' is full (maxQueued); instance '${instanceId}' was not started`);
}

function validateTags(tags: unknown): void {
  if (tags === undefined) return;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw new InvalidArgumentError('tags must be an object of strings');
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`tag '${key}' must be a string`);
  }
}
