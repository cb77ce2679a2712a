/**
 * The runner: every workflow run of every instance is one orchestration of
 * this orchestrator, in the instance's concurrency group (limit 1,
 * onFull 'reject'), whether started by the client or by a schedule.
 *
 * A run: reports its start to the instance's entity (which answers with the
 * instance's state), runs the application's workflow in place (`yield*`, so
 * the workflow's activities are this run's steps), then reports the outcome
 * with `callEntity`, which completes before the run does. A `destroy` run
 * removes the instance's other runs and its schedules (CLEANUP) and marks
 * it Destroyed. A run that finds the instance destroyed (a schedule firing
 * late) does nothing.
 */
import { InvalidArgumentError, entityId, isRepriseError } from '@reprise/core';
import type { ActivityContext, OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import { workflowFunction, workflowParameterSpecs } from './define-application.js';
import { CLEANUP, ENTITY, OP } from './ids.js';
import { parseParameters } from './parameters.js';
import type { ApplicationRegistry } from './registry.js';
import { instanceSchedules, isActive, listRuns } from './runs.js';
import type { Configuration, InstanceState, RunEnded } from './state.js';

export interface RunInput {
  instanceId: string;
  workflow: string;
  /** As given (strings, per the document); parsed by the rule in parameters.ts when the run starts. */
  parameters: Record<string, unknown>;
  ownerId?: string;
  /** A launch run: the state to create first. */
  create?: InstanceState;
  /** A reconfigure run: the target configuration, applied when the run succeeds. */
  configuration?: Configuration;
}

/** What a workflow can read about the instance it runs on: `applicationInstance(ctx)`. */
export interface WorkflowInstance {
  id: string;
  name: string;
  application: string;
  version: number;
  workflow: string;
  /** The instance's configuration parameters (as configured). */
  parameters: Record<string, unknown>;
  userData: Record<string, unknown>;
  returnValues: Record<string, unknown>;
  ownerId?: string;
  environmentId?: string;
  revisionId?: string;
  /** The user who started this run. */
  runOwnerId?: string;
}

const instances = new WeakMap<object, WorkflowInstance>();

/** The instance a workflow runs on; undefined for a context that is not a workflow run's. */
export function applicationInstance(ctx: OrchestrationContext<unknown>): WorkflowInstance | undefined {
  return instances.get(ctx);
}

export const REGISTRY = Symbol.for('reprise.applications.registry');

export type Runner = OrchestratorFunction<RunInput, unknown> & { [REGISTRY]: ApplicationRegistry };

export function createRunner(registry: ApplicationRegistry): Runner {
  const runner = function* (ctx: OrchestrationContext<RunInput>): Generator<unknown, unknown, any> {
    const input = ctx.getInput();
    const app = entityId(ENTITY, input.instanceId);
    if (input.create) yield ctx.callEntity(app, OP.create, input.create);
    const state = (yield ctx.callEntity(app, OP.runStarted, { workflow: input.workflow })) as InstanceState | undefined;
    if (state === undefined || state.status === 'Destroyed' || (state.status === 'Destroying' && input.workflow !== 'destroy')) return undefined;
    const ended = (outcome: RunEnded['outcome'], output?: unknown) =>
      ctx.callEntity(app, OP.runEnded, { workflow: input.workflow, outcome, ...(output !== undefined && { output }), ...(outcome === 'succeeded' && input.configuration && { configuration: input.configuration }) });
    try {
      const definition = registry.find(state.application, input.configuration?.version ?? state.version);
      if (!definition) throw new InvalidArgumentError(`application '${state.application}' version ${state.version} is not registered with this runtime`);
      const registration = definition.workflows[input.workflow];
      let output: unknown;
      if (registration !== undefined) {
        const specs = { ...(input.workflow === 'launch' || input.workflow === 'reconfigure' ? definition.parameters : {}), ...workflowParameterSpecs(registration) };
        const parameters = parseParameters(input.parameters, specs);
        // The workflow sees its parsed parameters as its input; everything else is the run's own context.
        const workflowCtx = Object.create(ctx, { getInput: { value: () => parameters } }) as OrchestrationContext<unknown>;
        instances.set(workflowCtx, describe(state, input));
        output = yield* workflowFunction(registration)!(workflowCtx);
      } else if (input.workflow !== 'launch' && input.workflow !== 'destroy' && input.workflow !== 'reconfigure') {
        throw new InvalidArgumentError(`application '${state.application}' has no workflow '${input.workflow}'`);
      }
      if (input.workflow === 'destroy') {
        yield ctx.callActivity(CLEANUP, { instanceId: input.instanceId, keep: ctx.instanceId });
        yield ctx.callEntity(app, OP.destroyed);
      } else {
        yield ended('succeeded', output);
      }
      return output;
    } catch (error) {
      // Tasks made after a cancel request run normally: the outcome is still recorded.
      yield ended(isRepriseError(error, 'CANCELLATION_REQUESTED') ? 'canceled' : 'failed');
      throw error;
    }
  } as Runner;
  runner[REGISTRY] = registry;
  return runner;
}

function describe(state: InstanceState, input: RunInput): WorkflowInstance {
  return {
    id: state.id,
    name: state.name,
    application: state.application,
    version: state.version,
    workflow: input.workflow,
    parameters: { ...state.parameters },
    userData: { ...state.userData },
    returnValues: { ...state.returnValues },
    ...(state.ownerId !== undefined && { ownerId: state.ownerId }),
    ...(state.environmentId !== undefined && { environmentId: state.environmentId }),
    ...(state.revisionId !== undefined && { revisionId: state.revisionId }),
    ...(input.ownerId !== undefined && { runOwnerId: input.ownerId }),
  };
}

/** Removes a destroyed instance's schedules and its finished runs (all but the destroy run itself). */
export async function cleanup(input: { instanceId: string; keep: string }, ctx: ActivityContext): Promise<{ schedulesDeleted: number; runsPurged: number }> {
  const client = ctx.client;
  if (!client) throw new Error('the cleanup activity needs a runtime client (ctx.client)');
  let schedulesDeleted = 0;
  for (const schedule of await instanceSchedules(client, input.instanceId)) {
    try {
      await client.schedules.delete(schedule.scheduleId);
      schedulesDeleted += 1;
    } catch (error) {
      if (!isRepriseError(error, 'SCHEDULE_NOT_FOUND')) throw error;
    }
  }
  let runsPurged = 0;
  for (const run of await listRuns(client, input.instanceId)) {
    if (run.instanceId === input.keep || isActive(run)) continue;
    runsPurged += (await client.purgeInstanceHistory(run.instanceId)).instancesDeleted;
  }
  return { schedulesDeleted, runsPurged };
}

/** Applies one entity operation and returns its result: the client waits for this to finish (see client.ts). */
export function* applyOperation(ctx: OrchestrationContext<{ instanceId: string; operation: string; input?: unknown }>): Generator<unknown, unknown, unknown> {
  const { instanceId, operation, input } = ctx.getInput();
  return yield ctx.callEntity(entityId(ENTITY, instanceId), operation, input);
}
