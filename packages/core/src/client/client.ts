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
  StorageError,
  isRepriseError,
  TimeoutError,
  UnknownEntityError,
  UnknownOrchestratorError,
} from '../errors.js';
import { executionStartedEvent, pendingOrchestrationRecord } from '../events.js';
import type { EntityOperationEvent, HistoryEvent, Payload } from '../history.js';
import { serialize } from '../serializer.js';
import { isTerminal } from '../status.js';
import type { InstancePage, InstanceQuery, InstanceRecord, LogEntry, Storage } from '../storage/types.js';
import { MAX_PAGE_SIZE, encodeContinuationToken, pageSizeOf } from '../storage/query.js';
import type { RuntimeStatus } from '../status.js';
import type { CountInstancesFilter, GetStatusOptions, ListInstancesFilter, MessageOptions, OrchestrationStatus, PurgeByFilter, StartOptions } from '../status-types.js';
import type { InstanceId, OrchestratorFunction, OrchestratorHandle } from '../definitions.js';
import { validateVersion } from '../versioning/versions.js';
import { checkReplay } from '../versioning/check-replay.js';
import { explainInstance } from './explain.js';
import type { Explanation } from './explain.js';
import type { ClientTelemetry } from '../observability/client-telemetry.js';
import { withoutTraceTags } from '../observability/trace-context.js';
import { entityInstanceId, parseEntityInstanceId } from '../entities/entity-id.js';
import type { EntityId } from '../entities/entity-id.js';
import { entityRecord } from '../entities/entity-record.js';
import { readSchedulerState } from '../entities/entity-state.js';
import { deserialize } from '../serializer.js';
import type { Clock } from '../clock.js';
import { renderStatus } from './render.js';
import { applyChildStatus, projectSteps, waitingChildren } from './steps.js';
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
import { PURGE_ORCHESTRATOR, purgeInstanceId, purgeStart } from './purge-when-ended.js';
import { ScheduleClient } from '../schedules/schedules-client.js';
import { checkStatusResponse, completionResponse, managementPayload, waitTimes } from './check-status.js';
import type { CheckStatusRequest, CheckStatusResponse, HttpManagementPayload, ManagementUrlOptions, WaitOrCheckStatusOptions } from './check-status.js';

/** How long `ping` waits for the store by default. */
const DEFAULT_PING_TIMEOUT_MS = 2_000;
/** The key `ping` reads: a system id, so no user instance can hold it. */
const PING_KEY = '~~ping';

export interface ClientDeps {
  storage: Storage;
  taskHub: string;
  clock: Clock;
  maxPayloadBytes: number;
  ready(): Promise<void>;
  hasOrchestrator(name: string): boolean;
  /** The orchestrator function registered under `name` (explain replays it to read event waits). */
  orchestratorOf?(name: string): OrchestratorFunction | undefined;
  /** The concurrency group an orchestrator's definition names, if any. */
  concurrencyOf(name: string): ConcurrencyDefinition | undefined;
  hasEntity(name: string): boolean;
  /** The version new instances of this orchestrator are stamped with (its definition's, else the runtime's). */
  versionOf?(name: string): string | undefined;
  /** The registered code of an orchestrator (`migrate` replays with it). */
  orchestratorOf?(name: string): OrchestratorFunction | undefined;
  /**
   * Registers a listener for one instance's status changes (undefined: re-check, notices were lost); returns its remover.
   * `terminalOnly`: the listener acts only on terminal statuses (the store need not send the others).
   */
  onInstanceUpdated(instanceId: string, listener: (status: RuntimeStatus | undefined) => void, terminalOnly?: boolean): () => void;
  /** Where the Durable Functions HTTP API is mounted, for check-status responses. */
  managementUrls?: ManagementUrlOptions | undefined;
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
      version: this.#deps.versionOf?.(name),
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
   * A health read: resolves once the store answered one cheap read (an
   * instance lookup by key), within `timeoutMs`. Rejects with StorageError
   * when the store cannot be reached, is closed, fails, or does not answer
   * in time; a client that retries reads while its connection is down (Redis)
   * would otherwise hold the caller for as long as the outage lasts.
   */
  async ping(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new InvalidArgumentError('timeoutMs must be a positive number');
    const { storage, taskHub, clock } = this.#deps;
    const read = (async () => {
      await this.#deps.ready();
      await storage.getInstance(taskHub, PING_KEY);
    })();
    let timer: unknown;
    const late = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new StorageError(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([read, late]);
    } catch (error) {
      if (isRepriseError(error, 'STORAGE')) throw error;
      throw new StorageError(`the store cannot be reached: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      clock.clearTimeout(timer);
      read.catch(() => undefined); // settled after the timeout: nobody waits for it any more
    }
  }

  /**
   * Run a terminal instance again: a new instance of the same orchestrator
   * with the same input, namespace and tags (id `newInstanceId`, or a new one);
   * a schedule's run restarted is not a schedule's run (no `scheduleId`).
   * Resolves with the new instance's id. A running instance is an
   * InvalidStateError, an unknown one InstanceNotFoundError.
   */
  async restart(instanceId: string, options: { newInstanceId?: string } = {}): Promise<string> {
    const newInstanceId = options.newInstanceId === undefined ? nanoid() : validateInstanceId(options.newInstanceId);
    const record = await this.#get(instanceId);
    // A schedule's own orchestration is the runtime's: a copy under another id would be a second, unmanaged loop.
    if (isSystemInstanceId(instanceId)) throw new InvalidArgumentError(`instance '${instanceId}' is a system instance (a schedule); it cannot be restarted`);
    if (!isTerminal(record.status)) throw new InvalidStateError(`cannot restart instance '${instanceId}': it is ${record.status}; only a finished instance can be restarted`);
    // A restart is the caller's run, not the schedule's: the firing's tag stays behind (status.scheduleId).
    const { [SCHEDULE_TAG]: _scheduleId, ...tags } = record.tags ?? {};
    // Through startNew, so the restarted run is admitted to its group like any start.
    return this.startNew(record.name, {
      input: deserialize(record.input),
      instanceId: newInstanceId,
      ...(Object.keys(tags).length > 0 && { tags }),
      ...(record.namespace !== undefined && record.namespace !== '' && { namespace: record.namespace }),
    });
  }

  /**
   * The run as steps: every activity, timer, sub-orchestration, event wait
   * and entity request it scheduled, in sequence order, with status, attempt, progress,
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
    const steps = projectSteps(record, history, work);
    // After history: a child that started meanwhile reads Executing, which it is.
    const waiting = waitingChildren(steps);
    const children = await Promise.all(waiting.map((step) => storage.getInstance(taskHub, step.instanceId!)));
    waiting.forEach((step, i) => applyChildStatus(step, children[i]));
    return steps;
  }

  /**
   * Why the instance is where it is: what it waits for (activities, timers,
   * events, sub-orchestrations, entities, locks, its group's queue, a
   * suspension, a delayed start) and plain-sentence hints from the store and
   * the registry of running runtimes. Undefined when there is no such instance.
   */
  async explain(instanceId: string): Promise<Explanation | undefined> {
    validateName(instanceId, 'instanceId');
    await this.#deps.ready();
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, instanceId);
    if (!record || record.kind !== 'orchestration') return undefined;
    return explainInstance({ ...this.#deps, orchestratorOf: (name) => this.#deps.orchestratorOf?.(name) }, record);
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
      const remove = this.#deps.onInstanceUpdated(
        instanceId,
        (status) => {
          if (status === undefined || isTerminal(status)) void check();
        },
        true,
      );
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.#deps.clock.setTimeout(() => finish(() => reject(new TimeoutError(`instance '${instanceId}' did not complete within ${timeoutMs} ms`))), timeoutMs);
      void check();
    });
  }

  /** The instance's management URLs (durable-functions' `createHttpManagementPayload`), built on the request's origin. */
  createHttpManagementPayload(request: CheckStatusRequest, instanceId: string, urls?: ManagementUrlOptions): HttpManagementPayload {
    return managementPayload(this.#deps.taskHub, this.#deps.managementUrls, request, instanceId, urls);
  }

  /**
   * durable-functions' check-status response: 202, the management payload
   * as JSON body, `Location` (the status URL) and `Retry-After: 10`. A web
   * `Response`; `.plain` holds `{ status, headers, body }` for Node handlers.
   */
  createCheckStatusResponse(request: CheckStatusRequest, instanceId: string, urls?: ManagementUrlOptions): CheckStatusResponse {
    return checkStatusResponse(this.createHttpManagementPayload(request, instanceId, urls));
  }

  /**
   * Wait up to `timeoutInMilliseconds` (default 10 s) for the instance to
   * end: 200 with the output once Completed, 200 with the status once
   * Failed, Terminated or Canceled, else the check-status 202.
   */
  async waitForCompletionOrCreateCheckStatusResponse(request: CheckStatusRequest, instanceId: string, options: WaitOrCheckStatusOptions = {}): Promise<CheckStatusResponse> {
    const { timeoutMs } = waitTimes(options);
    const payload = () => this.createHttpManagementPayload(request, instanceId, options);
    payload(); // bad URLs are refused before waiting
    try {
      return completionResponse(await this.waitForCompletion(instanceId, { timeoutMs }), payload);
    } catch (error) {
      if (!isRepriseError(error, 'TIMEOUT')) throw error;
      return completionResponse(undefined, payload);
    }
  }

  async listInstances(filter: ListInstancesFilter = {}): Promise<{ instances: OrchestrationStatus[]; continuationToken?: string }> {
    const runtimeStatus = validateStatuses(filter.runtimeStatus);
    const createdFrom = validateDate(filter.createdTimeFrom, 'createdTimeFrom');
    const createdTo = validateDate(filter.createdTimeTo, 'createdTimeTo');
    const scheduleId = filter.scheduleId === undefined ? undefined : validateScheduleId(filter.scheduleId);
    if (scheduleId !== undefined && filter.instanceIdPrefix !== undefined) throw new InvalidArgumentError('scheduleId and instanceIdPrefix cannot be combined');
    const instanceIdPrefix = scheduleId !== undefined ? runPrefix(scheduleId) : filter.instanceIdPrefix;
    const namespace = validateNamespace(filter.namespace);
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${String(offset)}`);
    const version = this.#versionFilter(filter.version);
    const name = filter.name === undefined ? undefined : validateName(filter.name, 'name');
    await this.#deps.ready();
    const query: InstanceQuery = {
      kind: 'orchestration',
      ...(namespace !== undefined && { namespace }),
      ...(version !== undefined && { version }),
      ...(runtimeStatus && { runtimeStatus }),
      ...(createdFrom !== undefined && { createdFrom }),
      ...(createdTo !== undefined && { createdTo }),
      ...(instanceIdPrefix !== undefined && { instanceIdPrefix: String(instanceIdPrefix) }),
      ...(name !== undefined && { name }),
      ...(filter.pageSize !== undefined && { pageSize: filter.pageSize }),
      ...(filter.continuationToken !== undefined && { continuationToken: filter.continuationToken }),
    };
    // System instances and look-alike ids are dropped after the store paged: a page may come back short.
    const visible = (r: InstanceRecord) => (filter.includeSystem === true || !isSystemInstanceId(r.instanceId)) && (scheduleId === undefined || r.tags?.[SCHEDULE_TAG] === scheduleId);
    const page = offset === 0 ? await this.#deps.storage.queryInstances(this.#deps.taskHub, query) : await this.#skipThenPage(query, offset, visible);
    const records = page.instances.filter(visible);
    const queues = await Promise.all(records.map((r) => this.#queueOf(r)));
    const instances = records.map((r, i) => withScheduleId(renderStatus(r, undefined, { showInput: filter.showInput !== false, showHistoryOutput: false }, queues[i])));
    return page.continuationToken === undefined ? { instances } : { instances, continuationToken: page.continuationToken };
  }

  /**
   * The page after skipping `offset` visible records: store pages are read
   * (records only, nothing rendered) until the skip is spent and the page
   * is full. The token continues after the page's last record.
   */
  async #skipThenPage(query: InstanceQuery, offset: number, visible: (r: InstanceRecord) => boolean): Promise<InstancePage> {
    const size = pageSizeOf(query);
    const out: InstanceRecord[] = [];
    let skip = offset;
    let token = query.continuationToken;
    let more = false;
    do {
      // One read covers the rest of the skip and the page (and one more, to know whether more follow).
      const want = Math.min(MAX_PAGE_SIZE, skip + size - out.length + 1);
      const page = await this.#deps.storage.queryInstances(this.#deps.taskHub, { ...query, pageSize: want, ...(token !== undefined && { continuationToken: token }) });
      token = page.continuationToken;
      for (const record of page.instances) {
        if (!visible(record)) continue;
        if (skip > 0) skip -= 1;
        else if (out.length < size) out.push(record);
        else more = true;
      }
    } while (token !== undefined && !more);
    const last = out[out.length - 1];
    return more && last ? { instances: out, continuationToken: encodeContinuationToken(last) } : { instances: out };
  }

  /** How many orchestration instances match; an index lookup in every store that has indexes. */
  async countInstances(filter: CountInstancesFilter = {}): Promise<number> {
    const runtimeStatus = validateStatuses(filter.runtimeStatus);
    const createdFrom = validateDate(filter.createdTimeFrom, 'createdTimeFrom');
    const createdTo = validateDate(filter.createdTimeTo, 'createdTimeTo');
    const namespace = validateNamespace(filter.namespace);
    const version = this.#versionFilter(filter.version);
    const name = filter.name === undefined ? undefined : validateName(filter.name, 'name');
    await this.#deps.ready();
    return this.#deps.storage.countInstances(this.#deps.taskHub, {
      kind: 'orchestration',
      ...(namespace !== undefined && { namespace }),
      ...(version !== undefined && { version }),
      ...(name !== undefined && { name }),
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

  /**
   * Delete an instance whatever its status. A terminal one is purged now
   * (`'purged'`). A live one is marked durably for purging (a system
   * orchestration, see purge-when-ended.ts), then asked to cancel
   * (`requestCancel`); it is purged once it has ended, by whichever started
   * runtime serves the hub (`'pending'`; a queued instance is canceled at
   * once and so purged now). InstanceNotFoundError when there is none.
   */
  async deleteInstance(instanceId: string, reason?: unknown): Promise<'purged' | 'pending'> {
    const record = await this.#get(instanceId);
    const { storage, taskHub } = this.#deps;
    const purge = async () => (await storage.purgeInstances(taskHub, { instanceIds: [instanceId] }), 'purged' as const);
    if (isTerminal(record.status)) return purge();
    // The mark first: a crash after it still purges once the instance ends on its own.
    const markId = purgeInstanceId(instanceId);
    const now = this.#deps.clock.now();
    const executionId = nanoid();
    const input = serialize(purgeStart(instanceId), 'purge state', this.#deps.maxPayloadBytes);
    await storage.createInstance(
      taskHub,
      pendingOrchestrationRecord({ instanceId: markId, name: PURGE_ORCHESTRATOR, executionId, input, now }),
      { instanceId: markId, event: executionStartedEvent({ name: PURGE_ORCHESTRATOR, executionId, input, timestamp: new Date(now).toISOString() }) },
    );
    try {
      await this.requestCancel(instanceId, reason);
    } catch (error) {
      // It ended meanwhile: nothing left to cancel.
      if (!(error instanceof InstanceCompletedError)) throw error;
    }
    const after = await storage.getInstance(taskHub, instanceId);
    return !after || isTerminal(after.status) ? purge() : 'pending';
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

  /**
   * Move a running instance to another version: its history is replayed
   * against this runtime's code first (nothing is written), and the move is
   * refused with a NonDeterminismError naming the first divergence when it
   * does not replay cleanly. Needs a store with `capabilities.versioning`.
   * Refused with InvalidStateError when the instance is terminal, or busy
   * (an episode is running or committed meanwhile: try again).
   */
  async migrate(instanceId: string, options: { toVersion: string }): Promise<void> {
    const toVersion = validateVersion(options?.toVersion, 'toVersion');
    const record = await this.#get(instanceId);
    const { storage, taskHub } = this.#deps;
    if (storage.capabilities?.versioning !== true || !storage.setInstanceVersion) throw new InvalidStateError('this store does not keep versions (capabilities.versioning): migrate needs one that does');
    if (isTerminal(record.status)) throw new InvalidStateError(`cannot migrate instance '${instanceId}': it is ${record.status}`);
    const fn = this.#deps.orchestratorOf?.(record.name);
    if (!fn) throw new UnknownOrchestratorError(`no orchestrator named '${record.name}' is registered: migrate replays the history with this runtime's code`);
    const history = record.historyLength > 0 ? await storage.getHistory(taskHub, instanceId) : [];
    const divergence = checkReplay(instanceId, fn, history);
    if (divergence) throw divergence;
    const moved = await storage.setInstanceVersion(taskHub, instanceId, { version: toVersion, historyLength: history.length });
    if (!moved) throw new InvalidStateError(`cannot migrate instance '${instanceId}' now: it is running an episode, or it moved on or ended after its history was checked; try again`);
  }

  #versionFilter(version: unknown): string | undefined {
    if (version === undefined || version === '') return version;
    return validateVersion(version, 'version');
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
