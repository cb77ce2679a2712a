/**
 * applicationsClient(runtime): launch, read, list, run, schedule,
 * configure and destroy application instances, through the runtime's
 * public client only.
 *
 * Invariants:
 * - Every check runs before anything is stored; bad input is a typed error.
 * - "One workflow at a time" is the store's atomic admission to the
 *   instance's group (limit 1, onFull 'reject'), never a read-then-start:
 *   two processes racing get one run and one InstanceBusyError.
 * - `Executing` and `workflowHistory` are read from the runs themselves
 *   (an instance-id prefix query), so they are exact right after a start;
 *   the entity holds what only it knows (configuration, user data, return
 *   values, the instance's own status).
 * - Changes the client makes to the entity (user data, configuration) go
 *   through a helper orchestration the client waits for (store notices, no
 *   polling), so a read after the call sees them. Like schedule commands,
 *   they need a running runtime on the store (else TimeoutError).
 */
import { InstanceExistsError, InstanceNotFoundError, InvalidArgumentError, InvalidStateError, ScheduleNotFoundError, entityId, isRepriseError, isTerminal } from '@reprise/core';
import type { ConcurrencyOptions, OrchestrationClient, OrchestrationStatus, Runtime, Step } from '@reprise/core';
import { nanoid } from 'nanoid';
import type { ApplicationDefinition } from './define-application.js';
import { isObject, workflowParameterSpecs } from './define-application.js';
import { InstanceBusyError } from './errors.js';
import { APPLY, APP_TAG, CLEANUP, ENTITY, OP, RUNNER, WORKFLOW_TAG, groupOf, launchRunId, newRunId, newScheduleId, validateAppInstanceId } from './ids.js';
import { checkOptionalString, checkUserData, checkVersion, parseParameters, resolveParameters, resolveSubmodules } from './parameters.js';
import type { ApplicationRegistry } from './registry.js';
import { REGISTRY } from './runner.js';
import type { RunInput, Runner } from './runner.js';
import { instanceSchedules, isActive, listRuns } from './runs.js';
import type { Configuration, InstanceState } from './state.js';
import type {
  AppInstanceStatus,
  AppInstanceStatusName,
  AppInstanceSummary,
  ConfigureOptions,
  DestroyOptions,
  Job,
  JobStep,
  LaunchOptions,
  ListAppInstancesFilter,
  RunWorkflowOptions,
  ScheduleWorkflowOptions,
  ScheduledWorkflow,
} from './types.js';

/** How long a user-data or configuration change waits for a runtime to apply it. */
export const APPLY_TIMEOUT_MS = 30_000;

export interface ApplicationsClient {
  /** Launch an instance: stores it and runs the `launch` workflow; resolves with the instance id. */
  launch(application: string, options: LaunchOptions): Promise<string>;
  get(instanceId: string): Promise<AppInstanceStatus | undefined>;
  list(filter?: ListAppInstancesFilter): Promise<{ instances: AppInstanceSummary[]; continuationToken?: string }>;
  /** Start a workflow; resolves with the run's instance id. InstanceBusyError while another runs. */
  runWorkflow(instanceId: string, workflow: string, parameters?: Record<string, unknown>, options?: RunWorkflowOptions): Promise<string>;
  /** Interval 0 runs now (no schedule id); otherwise a one-shot schedule at now + interval (or at the Date). */
  scheduleWorkflow(instanceId: string, workflow: string, options: ScheduleWorkflowOptions): Promise<{ scheduleId?: string }>;
  /** Move a schedule (by id, or the workflow's pending one) to a new time; interval 0 cancels it. */
  rescheduleWorkflow(instanceId: string, workflowOrScheduleId: string, options: ScheduleWorkflowOptions): Promise<{ scheduleId?: string }>;
  /** Pending schedules, soonest first. */
  listSchedules(instanceId: string): Promise<ScheduledWorkflow[]>;
  setUserData(instanceId: string, data: Record<string, unknown>): Promise<void>;
  /** Validate against the target manifest, then run `reconfigure` (when defined) or apply at once. */
  configure(instanceId: string, options: ConfigureOptions): Promise<void>;
  destroy(instanceId: string, options?: DestroyOptions): Promise<void>;
}

/** True when the runtime was created with `withApplications(...)`. */
export function hasApplications(runtime: Runtime): boolean {
  return registryOf(runtime) !== undefined;
}

/** The names of the applications the runtime was given. */
export function applicationNames(runtime: Runtime): string[] {
  return registryOf(runtime)?.names ?? [];
}

function registryOf(runtime: Runtime): ApplicationRegistry | undefined {
  if (!runtime || typeof runtime.getOrchestrator !== 'function') return undefined;
  const runner = runtime.getOrchestrator(RUNNER) as Partial<Runner> | undefined;
  return runner?.[REGISTRY];
}

export function applicationsClient(runtime: Runtime): ApplicationsClient {
  const registry = registryOf(runtime);
  if (!registry) throw new InvalidArgumentError('this runtime has no applications: create it with createRuntime({ ...withApplications([...], registrations), storage })');
  return new Client(runtime.client, registry);
}


class Client implements ApplicationsClient {
  readonly #client: OrchestrationClient;
  readonly #registry: ApplicationRegistry;
  constructor(client: OrchestrationClient, registry: ApplicationRegistry) {
    this.#client = client;
    this.#registry = registry;
  }

  async launch(application: string, options: LaunchOptions): Promise<string> {
    const definition = typeof application === 'string' ? this.#registry.latest(application) : undefined;
    if (!definition) throw new InvalidArgumentError(`no application named ${JSON.stringify(application)} is registered`);
    if (!isObject(options)) throw new InvalidArgumentError('launch needs options { name, parameters?, ... }');
    const id = options.instanceId === undefined ? nanoid() : validateAppInstanceId(options.instanceId);
    const name = checkOptionalString(options.name, 'name');
    if (name === undefined) throw new InvalidArgumentError('launch needs a name');
    const where = `application '${definition.name}' version ${definition.version}`;
    const parameters = resolveParameters(definition.parameters, options.parameters, where);
    const environmentId = checkOptionalString(options.environmentId, 'environmentId');
    const revisionId = checkOptionalString(options.revisionId, 'revisionId');
    const ownerId = checkOptionalString(options.ownerId, 'ownerId');
    const namespace = options.namespace ?? '';
    if (typeof namespace !== 'string') throw new InvalidArgumentError('namespace must be a string');
    const state: InstanceState = {
      id,
      application: definition.name,
      name,
      version: definition.version,
      parameters,
      submodules: resolveSubmodules(definition.submodules, options.submodules, undefined, where),
      status: 'Requested',
      namespace,
      userData: options.userData === undefined ? {} : checkUserData(options.userData),
      returnValues: {},
      createdAt: Date.now(),
      ...(ownerId !== undefined && { ownerId }),
      ...(environmentId !== undefined && { environmentId }),
      ...(revisionId !== undefined && { revisionId }),
    };
    parseParameters(parameters, { ...definition.parameters, ...workflowParameterSpecs(definition.workflows.launch) });
    // The store replaces a finished instance of the same id, so a finished launch run does not guard the id: its entity does.
    if (await this.#state(id)) throw new InstanceExistsError(`application instance '${id}' already exists`);
    // The launch run's id is the instance's: the store refuses a second instance with the same id.
    try {
      await this.#start(state, { instanceId: id, workflow: 'launch', parameters, ...(ownerId !== undefined && { ownerId }), create: state }, launchRunId(id));
    } catch (error) {
      if (isRepriseError(error, 'INSTANCE_EXISTS') || isRepriseError(error, 'CONCURRENCY_LIMIT')) throw new InstanceExistsError(`application instance '${id}' already exists`, { cause: error });
      throw error;
    }
    return id;
  }

  async get(instanceId: string): Promise<AppInstanceStatus | undefined> {
    const id = validateAppInstanceId(instanceId);
    const state = await this.#state(id);
    if (!state) return undefined;
    const runs = await listRuns(this.#client, id);
    const workflowHistory: Job[] = [];
    for (const run of runs) {
      const input = run.input as RunInput | undefined;
      const steps = (await this.#client.getSteps(run.instanceId)) ?? [];
      workflowHistory.push({
        id: run.instanceId,
        name: input?.workflow ?? run.name,
        status: isActive(run) ? 'Executing' : run.runtimeStatus === 'Completed' ? 'Succeeded' : 'Failed',
        ...(input?.ownerId !== undefined && { ownerId: input.ownerId }),
        steps: steps.filter(isWorkflowStep).map(jobStep),
        createdTime: run.createdTime,
      });
    }
    return {
      id,
      name: state.name,
      version: state.version,
      parameters: state.parameters,
      status: statusOf(state, runs.filter(isActive)),
      ...(state.ownerId !== undefined && { ownerId: state.ownerId }),
      workflowHistory,
      returnValues: state.returnValues,
      applicationId: state.application,
      ...(state.environmentId !== undefined && { environmentId: state.environmentId }),
      ...(state.revisionId !== undefined && { revisionId: state.revisionId }),
      components: Object.keys(state.submodules).map((name) => ({ name })),
      namespace: state.namespace,
      userData: state.userData,
    };
  }

  async list(filter: ListAppInstancesFilter = {}): Promise<{ instances: AppInstanceSummary[]; continuationToken?: string }> {
    if (!isObject(filter)) throw new InvalidArgumentError('list takes a filter object');
    for (const key of ['environmentId', 'applicationId', 'revisionId', 'namespace', 'continuationToken'] as const) {
      if (filter[key] !== undefined && typeof filter[key] !== 'string') throw new InvalidArgumentError(`${key} must be a string`);
    }
    const page = await this.#client.listEntities({
      name: ENTITY,
      fetchState: true,
      ...(filter.pageSize !== undefined && { pageSize: filter.pageSize }),
      ...(filter.continuationToken !== undefined && { continuationToken: filter.continuationToken }),
    });
    const instances: AppInstanceSummary[] = [];
    for (const entity of page.entities) {
      const state = entity.state as InstanceState | undefined;
      if (!state || typeof state !== 'object') continue;
      if (filter.environmentId !== undefined && state.environmentId !== filter.environmentId) continue;
      if (filter.applicationId !== undefined && state.application !== filter.applicationId) continue;
      if (filter.revisionId !== undefined && state.revisionId !== filter.revisionId) continue;
      if (filter.namespace !== undefined && state.namespace !== filter.namespace) continue;
      const active = state.status === 'Destroyed' ? [] : await listRuns(this.#client, state.id, { activeOnly: true });
      instances.push({
        id: state.id,
        name: state.name,
        applicationId: state.application,
        ...(state.environmentId !== undefined && { environmentId: state.environmentId }),
        ...(state.revisionId !== undefined && { revisionId: state.revisionId }),
        status: statusOf(state, active),
      });
    }
    return page.continuationToken === undefined ? { instances } : { instances, continuationToken: page.continuationToken };
  }

  async runWorkflow(instanceId: string, workflow: string, parameters?: Record<string, unknown>, options: RunWorkflowOptions = {}): Promise<string> {
    const { state, input } = await this.#runInput(instanceId, workflow, parameters, options?.ownerId);
    return this.#start(state, input, newRunId(state.id, input.workflow));
  }

  async scheduleWorkflow(instanceId: string, workflow: string, options: ScheduleWorkflowOptions): Promise<{ scheduleId?: string }> {
    if (!isObject(options)) throw new InvalidArgumentError('scheduleWorkflow needs options { interval, parameters? }');
    const at = dueTime(options.interval);
    if (at === undefined) {
      await this.runWorkflow(instanceId, workflow, options.parameters, { ...(options.ownerId !== undefined && { ownerId: options.ownerId }) });
      return {};
    }
    const { state, input } = await this.#runInput(instanceId, workflow, options.parameters, options.ownerId);
    const schedule = await this.#client.schedules.create({
      scheduleId: newScheduleId(state.id),
      orchestrator: RUNNER,
      at,
      input,
      ...(state.namespace !== '' && { namespace: state.namespace }),
      tags: { [APP_TAG]: state.id, [WORKFLOW_TAG]: input.workflow },
    });
    return { scheduleId: schedule.scheduleId };
  }

  async rescheduleWorkflow(instanceId: string, workflowOrScheduleId: string, options: ScheduleWorkflowOptions): Promise<{ scheduleId?: string }> {
    if (!isObject(options)) throw new InvalidArgumentError('rescheduleWorkflow needs options { interval, parameters? }');
    if (typeof workflowOrScheduleId !== 'string' || workflowOrScheduleId === '') throw new InvalidArgumentError('the workflow name or schedule id must be a non-empty string');
    const at = dueTime(options.interval);
    const state = await this.#require(instanceId);
    const schedules = await instanceSchedules(this.#client, state.id);
    const byId = schedules.find((s) => s.scheduleId === workflowOrScheduleId);
    // By name: the workflow's pending schedule, soonest first; else its latest (an ended one-shot is moved by restarting it).
    const byName = schedules
      .filter((s) => s.tags[WORKFLOW_TAG] === workflowOrScheduleId)
      .sort((a, b) => Number(b.nextRunAt !== undefined) - Number(a.nextRunAt !== undefined) || (a.nextRunAt?.getTime() ?? 0) - (b.nextRunAt?.getTime() ?? 0) || b.createdAt.getTime() - a.createdAt.getTime());
    const schedule = byId ?? byName[0];
    if (!schedule) throw new ScheduleNotFoundError(`application instance '${state.id}' has no schedule or scheduled workflow '${workflowOrScheduleId}'`);
    if (at === undefined) {
      await this.#client.schedules.delete(schedule.scheduleId);
      return {};
    }
    let input: RunInput | undefined;
    if (options.parameters !== undefined || options.ownerId !== undefined) {
      const previous = schedule.input as RunInput;
      input = (await this.#runInput(state.id, previous.workflow, options.parameters ?? previous.parameters, options.ownerId ?? previous.ownerId)).input;
    }
    await this.#client.schedules.update(schedule.scheduleId, { at, ...(input !== undefined && { input }) });
    return { scheduleId: schedule.scheduleId };
  }

  async listSchedules(instanceId: string): Promise<ScheduledWorkflow[]> {
    const state = await this.#require(instanceId);
    const schedules = await instanceSchedules(this.#client, state.id);
    return schedules
      .filter((s) => s.nextRunAt !== undefined)
      .map((s) => ({ id: s.scheduleId, name: s.tags[WORKFLOW_TAG] ?? (s.input as RunInput).workflow, timestamp: s.nextRunAt!.getTime() }))
      .sort((a, b) => a.timestamp - b.timestamp);
  }

  async setUserData(instanceId: string, data: Record<string, unknown>): Promise<void> {
    const checked = checkUserData(data);
    const state = await this.#require(instanceId);
    refuseEnded(state);
    await this.#apply(state.id, OP.setUserData, checked);
  }

  async configure(instanceId: string, options: ConfigureOptions): Promise<void> {
    if (!isObject(options)) throw new InvalidArgumentError('configure needs an object { instanceName?, manifestVersion?, revisionId?, parameters?, submodules? }');
    const state = await this.#require(instanceId);
    refuseEnded(state);
    const version = checkVersion(options.manifestVersion, 'configure') ?? state.version;
    const definition = this.#registry.find(state.application, version);
    if (!definition) throw new InvalidArgumentError(`application '${state.application}' has no manifest version ${version}`);
    const name = checkOptionalString(options.instanceName, 'instanceName') ?? state.name;
    const revisionId = checkOptionalString(options.revisionId, 'revisionId');
    const where = `application '${definition.name}' version ${definition.version}`;
    const configuration: Configuration = {
      name,
      version,
      parameters: resolveParameters(definition.parameters, options.parameters, where),
      submodules: resolveSubmodules(definition.submodules, options.submodules, state.submodules, where),
      ...(revisionId !== undefined && { revisionId }),
    };
    if (definition.workflows.reconfigure === undefined) {
      await this.#apply(state.id, OP.configure, configuration);
      return;
    }
    parseParameters(configuration.parameters, { ...definition.parameters, ...workflowParameterSpecs(definition.workflows.reconfigure) });
    const input: RunInput = { instanceId: state.id, workflow: 'reconfigure', parameters: configuration.parameters, configuration };
    await this.#start(state, input, newRunId(state.id, 'reconfigure'));
  }

  async destroy(instanceId: string, options: DestroyOptions = {}): Promise<void> {
    if (!isObject(options)) throw new InvalidArgumentError('destroy takes options { force? }');
    if (options.force !== undefined && typeof options.force !== 'boolean') throw new InvalidArgumentError('force must be a boolean');
    const state = await this.#require(instanceId);
    if (state.status === 'Destroyed') return;
    const input: RunInput = { instanceId: state.id, workflow: 'destroy', parameters: {} };
    if (options.force !== true) {
      await this.#start(state, input, newRunId(state.id, 'destroy'));
      return;
    }
    const active = await listRuns(this.#client, state.id, { activeOnly: true });
    if (active.some((run) => (run.input as RunInput | undefined)?.workflow === 'destroy')) return; // already on its way
    for (const run of active) {
      try {
        await this.#client.requestCancel(run.instanceId, 'the application instance is being destroyed');
      } catch (error) {
        if (!isRepriseError(error, 'INSTANCE_COMPLETED') && !isRepriseError(error, 'INSTANCE_NOT_FOUND')) throw error;
      }
    }
    // Queued behind the canceled run: it starts the moment that run ends, and no other run can slip in between.
    await this.#start(state, input, newRunId(state.id, 'destroy'), { group: groupOf(state.id), limit: 1, onFull: 'queue' });
  }

  // ---------------------------------------------------------------------------

  /** The instance's state: the entity's, or (before the launch run's first step) the state the launch run carries. */
  async #state(id: string): Promise<InstanceState | undefined> {
    const read = await this.#client.readEntityState<InstanceState>(entityId(ENTITY, id));
    if (read.entityExists && read.entityState) return read.entityState;
    const launch = await this.#client.getStatus(launchRunId(id));
    const created = (launch?.input as RunInput | undefined)?.create;
    if (!launch || !created) return undefined;
    return isTerminal(launch.runtimeStatus) ? { ...created, status: 'Failed' } : created;
  }

  async #require(instanceId: string): Promise<InstanceState> {
    const id = validateAppInstanceId(instanceId);
    const state = await this.#state(id);
    if (!state) throw new InstanceNotFoundError(`no application instance '${id}'`);
    return state;
  }

  async #runInput(instanceId: string, workflow: string, parameters: unknown, ownerId: unknown): Promise<{ state: InstanceState; input: RunInput }> {
    if (typeof workflow !== 'string' || workflow === '') throw new InvalidArgumentError('workflow must be a non-empty string');
    if (parameters !== undefined && parameters !== null && !isObject(parameters)) throw new InvalidArgumentError('workflow parameters must be an object of name → value');
    const owner = checkOptionalString(ownerId, 'ownerId');
    const state = await this.#require(instanceId);
    refuseEnded(state);
    const definition = this.#definition(state);
    const registration = definition.workflows[workflow];
    if (registration === undefined && workflow !== 'destroy') throw new InvalidArgumentError(`application '${definition.name}' has no workflow '${workflow}'`);
    const given = (parameters ?? {}) as Record<string, unknown>;
    parseParameters(given, workflowParameterSpecs(registration));
    return { state, input: { instanceId: state.id, workflow, parameters: given, ...(owner !== undefined && { ownerId: owner }) } };
  }

  #definition(state: InstanceState): ApplicationDefinition {
    const definition = this.#registry.find(state.application, state.version);
    if (!definition) throw new InvalidArgumentError(`application '${state.application}' version ${state.version} is not registered with this runtime`);
    return definition;
  }

  async #start(state: InstanceState, input: RunInput, runId: string, concurrency?: ConcurrencyOptions): Promise<string> {
    try {
      return await this.#client.startNew(RUNNER, {
        instanceId: runId,
        input,
        ...(state.namespace !== '' && { namespace: state.namespace }),
        ...(concurrency && { concurrency }),
      });
    } catch (error) {
      if (isRepriseError(error, 'CONCURRENCY_LIMIT') && input.workflow !== 'launch') {
        throw new InstanceBusyError(state.id, `application instance '${state.id}' is running a workflow; '${input.workflow}' was not started`, { cause: error });
      }
      throw error;
    }
  }

  /** One entity operation through the helper orchestration, waited for; the helper is purged after. */
  async #apply(instanceId: string, operation: string, input: unknown): Promise<void> {
    const helper = await this.#client.startNew(APPLY, { input: { instanceId, operation, input } });
    const done = await this.#client.waitForCompletion(helper, { timeoutMs: APPLY_TIMEOUT_MS });
    await this.#client.purgeInstanceHistory(helper).catch(() => undefined);
    if (done.runtimeStatus !== 'Completed') throw new InvalidStateError(`the change to application instance '${instanceId}' did not apply (${done.runtimeStatus})`);
  }
}

function refuseEnded(state: InstanceState): void {
  if (state.status === 'Destroying' || state.status === 'Destroyed') throw new InvalidStateError(`application instance '${state.id}' is ${state.status}`);
}

/** `undefined` for "now" (0); else the due time. */
function dueTime(interval: unknown): Date | undefined {
  if (interval instanceof Date) {
    if (!Number.isFinite(interval.getTime())) throw new InvalidArgumentError('interval must be a number of milliseconds or a valid Date');
    return interval;
  }
  if (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval < 0) throw new InvalidArgumentError(`interval must be a non-negative integer of milliseconds or a Date, got ${JSON.stringify(interval)}`);
  return interval === 0 ? undefined : new Date(Date.now() + interval);
}

function statusOf(state: InstanceState, active: readonly OrchestrationStatus[]): AppInstanceStatusName {
  if (state.status === 'Destroying' || state.status === 'Destroyed') return state.status;
  const workflows = active.map((run) => (run.input as RunInput | undefined)?.workflow);
  if (workflows.includes('destroy')) return 'Destroying';
  if (workflows.includes('launch')) return 'Requested';
  return active.length > 0 ? 'Executing' : state.status;
}

/** Bookkeeping steps (the entity calls, the cleanup) are the runner's, not the workflow's. */
function isWorkflowStep(step: Step): boolean {
  if (step.kind === 'entity' && step.name.startsWith('reprise.')) return false;
  return !(step.kind === 'activity' && step.name === CLEANUP);
}

function jobStep(step: Step): JobStep {
  const status = step.status === 'Canceled' ? 'Failed' : step.status;
  const percentComplete = status === 'Succeeded' ? 100 : Math.max(0, Math.min(100, Math.round(step.progress?.percent ?? 0)));
  return { name: step.name, status, percentComplete };
}

