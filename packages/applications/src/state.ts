/**
 * An instance's state, held by its entity (`reprise.application`, keyed by
 * the instance id), and the operations that change it. Runs report to it
 * with `callEntity` (start and end), so once a run is terminal the entity
 * has applied its outcome: a read after a finished run sees its effect.
 */
import type { EntityContext, EntityOperations } from '@reprise/core';
import { isObject } from './define-application.js';
import { OP } from './ids.js';
import type { SubmoduleConfiguration } from './parameters.js';

/** What the entity stores as an instance's own status; `Executing` is read from its runs. */
export type StoredStatus = 'Requested' | 'Running' | 'Failed' | 'Destroying' | 'Destroyed';

export interface InstanceState {
  id: string;
  application: string;
  name: string;
  version: number;
  parameters: Record<string, unknown>;
  submodules: Record<string, SubmoduleConfiguration>;
  status: StoredStatus;
  namespace: string;
  ownerId?: string;
  environmentId?: string;
  revisionId?: string;
  userData: Record<string, unknown>;
  returnValues: Record<string, unknown>;
  createdAt: number;
}

/** What a configure changes (the target configuration, already validated). */
export interface Configuration {
  name: string;
  version: number;
  revisionId?: string;
  parameters: Record<string, unknown>;
  submodules: Record<string, SubmoduleConfiguration>;
}

export interface RunEnded {
  workflow: string;
  outcome: 'succeeded' | 'failed' | 'canceled';
  output?: unknown;
  configuration?: Configuration;
}

const ended = (state: InstanceState) => state.status === 'Destroying' || state.status === 'Destroyed';

export function applyConfiguration(state: InstanceState, configuration: Configuration): InstanceState {
  const { revisionId, ...rest } = configuration;
  const next: InstanceState = { ...state, ...rest };
  if (revisionId !== undefined) next.revisionId = revisionId;
  return next;
}

type Ctx = EntityContext<InstanceState>;

export const instanceEntity: EntityOperations<InstanceState> = {
  // Idempotent: a launch run replayed or retried finds its state already there.
  [OP.create]: (ctx: Ctx, initial: InstanceState) => {
    if (ctx.getState() === undefined) ctx.setState(initial);
  },
  [OP.runStarted]: (ctx: Ctx, input: { workflow: string }) => {
    const state = ctx.getState();
    if (state === undefined) return undefined;
    if (input.workflow === 'destroy' && state.status !== 'Destroyed') ctx.setState({ ...state, status: 'Destroying' });
    return ctx.getState();
  },
  [OP.runEnded]: (ctx: Ctx, input: RunEnded) => {
    let state = ctx.getState();
    if (state === undefined || input.outcome === 'canceled') return;
    if (input.outcome === 'failed') {
      if (state.status !== 'Destroyed') ctx.setState({ ...state, status: 'Failed' });
      return;
    }
    if (ended(state)) return;
    if (input.configuration) state = applyConfiguration(state, input.configuration);
    // The output object of the last successful workflow, merged into the values before it.
    const returnValues = isObject(input.output) ? { ...state.returnValues, ...input.output } : state.returnValues;
    ctx.setState({ ...state, status: 'Running', returnValues });
  },
  [OP.configure]: (ctx: Ctx, configuration: Configuration) => {
    const state = ctx.getState();
    if (state !== undefined && !ended(state)) ctx.setState(applyConfiguration(state, configuration));
  },
  [OP.setUserData]: (ctx: Ctx, data: Record<string, unknown>) => {
    const state = ctx.getState();
    if (state !== undefined && !ended(state)) ctx.setState({ ...state, userData: data });
  },
  // The records are gone (cleanup ran); what stays says who it was, until the entity is purged.
  [OP.destroyed]: (ctx: Ctx) => {
    const state = ctx.getState();
    if (state !== undefined) ctx.setState({ ...state, status: 'Destroyed', userData: {} });
  },
};
