/**
 * `client.schedules`: create, read, list and command schedules.
 *
 * Invariants:
 * - Every check runs before anything is stored (bad input stores nothing).
 * - A schedule is its system orchestration (`~~schedule:<id>`); its state
 *   lives in that instance's custom status (its input until the first
 *   episode), so a read is one store read (plus the status of its last runs).
 * - Commands are events to that orchestration; a command call resolves once
 *   the orchestration applied it (it lists the command id in `acks`), so a
 *   read right after sees it. Applying needs a running runtime on the store;
 *   without one a command waits COMMAND_TIMEOUT_MS, rejects with
 *   TimeoutError, and still applies when a runtime runs.
 * - An ended schedule (one-shot done, endAt passed) has no live
 *   orchestration; a command to it restarts the orchestration with the
 *   command already applied (the store replaces a terminal instance).
 */
import { nanoid } from 'nanoid';
import type { ClientDeps, OrchestrationClient } from '../client/client.js';
import { validateDate, validateName } from '../client/validate.js';
import { InvalidArgumentError, ScheduleExistsError, ScheduleNotFoundError, TimeoutError, UnknownOrchestratorError } from '../errors.js';
import { deserialize, serialize } from '../serializer.js';
import { executionStartedEvent } from '../events.js';
import { isTerminal } from '../status.js';
import type { InstanceRecord } from '../storage/types.js';
import { mergeCalendar, validateCalendar } from './calendar.js';
import type { CalendarPatch, StoredCalendar } from './calendar.js';
import { COMMAND_EVENT, SCHEDULE_ORCHESTRATOR, SCHEDULE_PREFIX, scheduleInstanceId, triggerInstanceId, validateNamespace, validateScheduleId } from './ids.js';
import { applyCommand, describeState } from './state.js';
import type { ScheduleCommand, ScheduleState } from './state.js';
import type { CreateScheduleOptions, ListSchedulesFilter, ScheduleCatchUp, ScheduleDescription, ScheduleOverlap, UpdateScheduleOptions } from './types.js';
import type { InstanceWatchDeps } from './wait-for-instance.js';
import { waitForInstance } from './wait-for-instance.js';

/** How long a command waits for the schedule's orchestration to apply it. */
export const COMMAND_TIMEOUT_MS = 30_000;

const OVERLAPS: readonly ScheduleOverlap[] = ['skip', 'bufferOne', 'allow'];
const CATCH_UPS: readonly ScheduleCatchUp[] = ['latest', 'all', 'none'];

// The activities reach the store through the client they run beside; kept off the public class.
const watchDeps = new WeakMap<ScheduleClient, InstanceWatchDeps>();
export function watchDepsOf(schedules: ScheduleClient): InstanceWatchDeps {
  const deps = watchDeps.get(schedules);
  if (!deps) throw new Error('not a schedule client');
  return deps;
}

type CommandBody = ScheduleCommand extends infer C ? (C extends ScheduleCommand ? Omit<C, 'id' | 'at'> : never) : never;

export class ScheduleClient {
  readonly #deps: ClientDeps;
  constructor(_client: OrchestrationClient, deps: ClientDeps) {
    this.#deps = deps;
    watchDeps.set(this, deps);
  }

  /** Create a schedule; resolves with its description once it is stored. */
  async create<I = unknown>(options: CreateScheduleOptions<I>): Promise<ScheduleDescription<I>> {
    if (!options || typeof options !== 'object') throw new InvalidArgumentError('schedules.create needs an options object');
    const scheduleId = options.scheduleId === undefined ? nanoid() : validateScheduleId(options.scheduleId);
    const orchestrator = validateName(typeof options.orchestrator === 'string' ? options.orchestrator : options.orchestrator?.name, 'orchestrator name');
    if (!this.#deps.hasOrchestrator(orchestrator)) throw new UnknownOrchestratorError(`no orchestrator named '${orchestrator}' is registered`);
    const calendar = validateCalendar(readCalendar(options, 'UTC') as StoredCalendar);
    if (options.paused !== undefined && typeof options.paused !== 'boolean') throw new InvalidArgumentError('paused must be a boolean');
    const now = this.#deps.clock.now();
    const state: ScheduleState = {
      scheduleId,
      orchestrator,
      input: options.input,
      calendar,
      overlap: readEnum(options.overlap, OVERLAPS, 'overlap') ?? 'skip',
      catchUp: readEnum(options.catchUp, CATCH_UPS, 'catchUp') ?? 'latest',
      namespace: validateNamespace(options.namespace),
      tags: readTags(options.tags),
      paused: options.paused === true,
      triggers: [],
      lastRuns: [],
      skipped: [],
      acks: [],
      ended: false,
      deleted: false,
      createdAt: now,
      updatedAt: now,
    };
    const payload = serialize(state, `schedule '${scheduleId}'`, this.#deps.maxPayloadBytes);
    await this.#deps.ready();
    const existing = await this.#read(scheduleId);
    if (existing) throw new ScheduleExistsError(`schedule '${scheduleId}' already exists`);
    if (!(await this.#start(state, payload))) throw new ScheduleExistsError(`schedule '${scheduleId}' already exists`);
    return this.#describe(state) as Promise<ScheduleDescription<I>>;
  }

  /** The schedule's description, or undefined when there is none. */
  async get<I = unknown>(scheduleId: string): Promise<ScheduleDescription<I> | undefined> {
    validateName(scheduleId, 'scheduleId');
    await this.#deps.ready();
    const found = await this.#read(scheduleId);
    return found && ((await this.#describe(found.state)) as ScheduleDescription<I>);
  }

  /**
   * Schedules, a page at a time, in schedule-id order. The namespace and
   * orchestrator filters apply to each page read from the store, so a page
   * may hold fewer than `pageSize` schedules while a continuation token
   * remains; keep reading until there is none.
   */
  async list(filter: ListSchedulesFilter = {}): Promise<{ schedules: ScheduleDescription[]; continuationToken?: string }> {
    const namespace = filter.namespace === undefined ? undefined : validateNamespace(filter.namespace);
    const orchestrator = filter.orchestrator === undefined ? undefined : validateName(typeof filter.orchestrator === 'string' ? filter.orchestrator : filter.orchestrator?.name, 'orchestrator');
    await this.#deps.ready();
    const page = await this.#deps.storage.queryInstances(this.#deps.taskHub, {
      kind: 'orchestration',
      name: SCHEDULE_ORCHESTRATOR,
      instanceIdPrefix: SCHEDULE_PREFIX,
      // The schedule's orchestration lives in the schedule's namespace: the store filters by it.
      ...(namespace !== undefined && { namespace }),
      ...(filter.pageSize !== undefined && { pageSize: filter.pageSize }),
      ...(filter.continuationToken !== undefined && { continuationToken: filter.continuationToken }),
    });
    const states = page.instances
      .map(readState)
      .filter((s): s is ScheduleState => s !== undefined && !s.deleted && (namespace === undefined || s.namespace === namespace) && (orchestrator === undefined || s.orchestrator === orchestrator));
    const schedules = await Promise.all(states.map((s) => this.#describe(s)));
    return page.continuationToken === undefined ? { schedules } : { schedules, continuationToken: page.continuationToken };
  }

  /** Reschedule or change the input, overlap or catch-up; takes effect from the next due time. */
  async update<I = unknown>(scheduleId: string, changes: UpdateScheduleOptions<I>): Promise<ScheduleDescription<I>> {
    if (!changes || typeof changes !== 'object') throw new InvalidArgumentError('schedules.update needs an object of changes');
    const patch = readCalendar(changes, undefined);
    const kinds = (['at', 'every', 'cron'] as const).filter((k) => patch[k] !== undefined);
    if (kinds.length > 1) throw new InvalidArgumentError(`a schedule takes one of at, every or cron, not ${kinds.join(' and ')}`);
    const overlap = readEnum(changes.overlap, OVERLAPS, 'overlap');
    const catchUp = readEnum(changes.catchUp, CATCH_UPS, 'catchUp');
    const body: CommandBody = {
      type: 'update',
      calendar: patch,
      ...('input' in changes && { input: { value: changes.input } }),
      ...(overlap !== undefined && { overlap }),
      ...(catchUp !== undefined && { catchUp }),
    };
    return (await this.#command(scheduleId, body, (state) => void validateCalendar(mergeCalendar(state.calendar, patch)))) as ScheduleDescription<I>;
  }

  /** Stop firing; a run in progress is not touched. */
  pause(scheduleId: string, reason?: string): Promise<ScheduleDescription> {
    if (reason !== undefined && typeof reason !== 'string') throw new InvalidArgumentError('reason must be a string');
    return this.#command(scheduleId, { type: 'pause', ...(reason !== undefined && { reason }) });
  }

  /** Fire again from the next due time; due times missed while paused follow `catchUp`. */
  resume(scheduleId: string): Promise<ScheduleDescription> {
    return this.#command(scheduleId, { type: 'resume' });
  }

  /**
   * Start one run now, outside the calendar, even when paused or while a run
   * is in progress. Resolves with the run's instance id once the schedule
   * has taken the trigger (the run starts right after).
   */
  async trigger(scheduleId: string): Promise<string> {
    const runId = triggerInstanceId(validateScheduleId(scheduleId), nanoid());
    await this.#command(scheduleId, { type: 'trigger', runId });
    return runId;
  }

  /** Stop firing and remove the schedule; its runs stay. */
  async delete(scheduleId: string): Promise<void> {
    await this.#command(scheduleId, { type: 'delete' });
  }

  // ---------------------------------------------------------------------------

  async #read(scheduleId: string): Promise<{ record: InstanceRecord; state: ScheduleState } | undefined> {
    const record = await this.#deps.storage.getInstance(this.#deps.taskHub, scheduleInstanceId(scheduleId));
    if (!record || record.kind !== 'orchestration' || record.name !== SCHEDULE_ORCHESTRATOR) return undefined;
    const state = readState(record);
    return state && !state.deleted ? { record, state } : undefined;
  }

  /** Create (or replace a terminal) schedule orchestration; false when a live one exists. */
  async #start(state: ScheduleState, payload = serialize(state, `schedule '${state.scheduleId}'`, this.#deps.maxPayloadBytes)): Promise<boolean> {
    const instanceId = scheduleInstanceId(state.scheduleId);
    const now = this.#deps.clock.now();
    const executionId = nanoid();
    const result = await this.#deps.storage.createInstance(
      this.#deps.taskHub,
      { instanceId, kind: 'orchestration', name: SCHEDULE_ORCHESTRATOR, executionId, status: 'Pending', createdAt: now, updatedAt: now, historyLength: 0, namespace: state.namespace, ...(payload !== undefined && { input: payload }) },
      { instanceId, event: executionStartedEvent({ name: SCHEDULE_ORCHESTRATOR, executionId, input: payload, timestamp: new Date(now).toISOString() }) },
    );
    return result.created;
  }

  /** Send a command and wait until the schedule's orchestration applied it. */
  async #command(scheduleId: string, body: CommandBody, check?: (state: ScheduleState) => void): Promise<ScheduleDescription> {
    validateName(scheduleId, 'scheduleId');
    await this.#deps.ready();
    const instanceId = scheduleInstanceId(scheduleId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.#read(scheduleId);
      if (!found) throw new ScheduleNotFoundError(`no schedule '${scheduleId}'`);
      check?.(found.state);
      const now = this.#deps.clock.now();
      const command = { ...body, id: nanoid(), at: now } as ScheduleCommand;
      // The state the orchestration will publish must fit too, or it would fail on applying the command.
      const next = applyCommand(found.state, command, now);
      serialize(next, `schedule '${scheduleId}'`, this.#deps.maxPayloadBytes);
      if (isTerminal(found.record.status)) {
        if (command.type === 'delete') {
          await this.#deps.storage.purgeInstances(this.#deps.taskHub, { instanceIds: [instanceId] });
          return this.#describe({ ...found.state, deleted: true });
        }
        if (await this.#start(next)) return this.#describe(next);
        continue; // restarted by someone else meanwhile: send it as an event
      }
      const event = serialize(command, 'schedule command', this.#deps.maxPayloadBytes);
      await this.#deps.storage.sendMessages(this.#deps.taskHub, [{ instanceId, event: { EventType: 'EventRaised', Timestamp: new Date(now).toISOString(), Name: COMMAND_EVENT, ...(event !== undefined && { Input: event }) } }]);
      const answer = await waitForInstance(
        this.#deps,
        instanceId,
        (record): ScheduleState | 'ended' | undefined => {
          const state = record && readState(record);
          if (state?.acks.includes(command.id)) return state;
          return !record || isTerminal(record.status) ? 'ended' : undefined;
        },
        { timeoutMs: COMMAND_TIMEOUT_MS },
      );
      if (answer === 'timeout') {
        throw new TimeoutError(`schedule '${scheduleId}' did not apply the ${command.type} within ${COMMAND_TIMEOUT_MS} ms: is a runtime running on this store? It applies when one runs`);
      }
      if (answer === 'ended') continue; // it ended before taking the command: restart it with the command applied
      if (answer.deleted) await this.#deps.storage.purgeInstances(this.#deps.taskHub, { instanceIds: [instanceId] });
      return this.#describe(answer);
    }
    throw new ScheduleNotFoundError(`schedule '${scheduleId}' kept changing while a ${body.type} was sent; try again`);
  }

  /** The description, with the current status of each recent run. */
  async #describe(state: ScheduleState): Promise<ScheduleDescription> {
    const { lastRuns, ...rest } = describeState(state);
    const runs = await Promise.all(
      lastRuns.map(async (run) => {
        const record = await this.#deps.storage.getInstance(this.#deps.taskHub, run.instanceId);
        return { instanceId: run.instanceId, scheduledAt: new Date(run.scheduledAt), startedAt: new Date(run.startedAt), status: record?.status };
      }),
    );
    return { ...rest, lastRuns: runs };
  }
}

function readState(record: InstanceRecord): ScheduleState | undefined {
  try {
    const state = deserialize<ScheduleState | undefined>(record.customStatus ?? record.input);
    return state && typeof state === 'object' && typeof state.scheduleId === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The calendar fields of create/update options as stored: dates checked and turned to epoch ms. */
function readCalendar(options: UpdateScheduleOptions<unknown>, defaultZone: string | undefined): CalendarPatch {
  const at = validateDate(options.at, 'at');
  const startAt = validateDate(options.startAt, 'startAt');
  const endAt = validateDate(options.endAt, 'endAt');
  if (options.every !== undefined && typeof options.every !== 'number') throw new InvalidArgumentError('every must be a number of milliseconds');
  if (options.cron !== undefined && typeof options.cron !== 'string') throw new InvalidArgumentError('cron must be a string');
  if (options.timezone !== undefined && typeof options.timezone !== 'string') throw new InvalidArgumentError('timezone must be a string');
  const timezone = options.timezone ?? defaultZone;
  return {
    ...(at !== undefined && { at }),
    ...(options.every !== undefined && { every: options.every }),
    ...(options.cron !== undefined && { cron: options.cron }),
    ...(timezone !== undefined && { timezone }),
    ...(startAt !== undefined && { startAt }),
    ...(endAt !== undefined && { endAt }),
  };
}

function readEnum<T extends string>(value: unknown, allowed: readonly T[], what: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new InvalidArgumentError(`${what} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function readTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw new InvalidArgumentError('tags must be an object of strings');
  for (const [key, value] of Object.entries(tags)) if (typeof value !== 'string') throw new InvalidArgumentError(`tag '${key}' must be a string`);
  return { ...(tags as Record<string, string>) };
}
