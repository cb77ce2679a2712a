/**
 * An application: a named, versioned manifest of parameters (with defaults)
 * and the workflows an instance of it can run. Several versions of one
 * application may be registered together; `launch` uses the highest,
 * `configure({ manifestVersion })` moves an instance to another.
 */
import { InvalidArgumentError } from '@reprise/core';
import type { OrchestratorFunction, OrchestratorHandle } from '@reprise/core';

/** How a parameter's string value reaches a workflow (see "Parameters arrive as strings" in the README). */
export type ParameterType = 'auto' | 'string' | 'number' | 'boolean' | 'json';

export interface ParameterSpec {
  /** The value an instance gets when none is given; no default makes the parameter required. */
  default?: unknown;
  /** @default 'auto' (JSON when the string is valid JSON, else the string itself) */
  type?: ParameterType;
}

export type WorkflowOrchestrator = OrchestratorFunction | OrchestratorHandle<any, unknown>;

/** A workflow: an orchestrator, or one with the types of its parameters. */
export type WorkflowRegistration = WorkflowOrchestrator | { orchestrator: WorkflowOrchestrator; parameters?: Record<string, ParameterSpec> };

/** A submodule's section of a manifest: its own parameters and submodules (recursively). */
export interface SubmoduleManifest {
  parameters?: Record<string, ParameterSpec>;
  submodules?: Record<string, SubmoduleManifest>;
}

export interface ApplicationManifest {
  /** Positive integer. @default 1 */
  version?: number;
  /** Keyed by name (`interface.pin` in component applications). */
  parameters?: Record<string, ParameterSpec>;
  /**
   * Keyed by workflow name. `launch` runs when an instance is launched,
   * `destroy` when it is destroyed, `reconfigure` when it is configured;
   * each is optional.
   */
  workflows: Record<string, WorkflowRegistration>;
  submodules?: Record<string, SubmoduleManifest>;
}

export interface ApplicationDefinition {
  readonly kind: 'application';
  readonly name: string;
  readonly version: number;
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
  readonly workflows: Readonly<Record<string, WorkflowRegistration>>;
  readonly submodules: Readonly<Record<string, SubmoduleManifest>>;
}

const TYPES: readonly ParameterType[] = ['auto', 'string', 'number', 'boolean', 'json'];

/** Define an application; checked here, so a bad manifest fails at start-up, not on the first launch. */
export function defineApplication(name: string, manifest: ApplicationManifest): ApplicationDefinition {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128 || /[/\\?#~@\u0000-\u001f]/.test(name)) {
    throw new InvalidArgumentError(`application name must be 1-128 characters without / \\ ? # ~ @ or control characters, got ${JSON.stringify(name)}`);
  }
  if (!isObject(manifest)) throw new InvalidArgumentError(`defineApplication('${name}') needs a manifest { version, parameters, workflows }`);
  const version = manifest.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new InvalidArgumentError(`application '${name}': version must be a positive integer, got ${String(version)}`);
  if (!isObject(manifest.workflows)) throw new InvalidArgumentError(`application '${name}': workflows must be an object of orchestrators`);
  for (const [workflow, registration] of Object.entries(manifest.workflows)) {
    if (workflow.length === 0 || workflow.length > 128 || /[/\\?#\u0000-\u001f]/.test(workflow)) throw new InvalidArgumentError(`application '${name}': workflow name ${JSON.stringify(workflow)} is not usable in a URL path`);
    const orchestrator = isObject(registration) && 'orchestrator' in registration ? registration.orchestrator : registration;
    if (workflowFunction(orchestrator) === undefined) throw new InvalidArgumentError(`application '${name}': workflow '${workflow}' must be a generator function or an orchestrator handle`);
    if (isObject(registration) && 'orchestrator' in registration) checkSpecs(registration.parameters, `application '${name}' workflow '${workflow}'`);
  }
  checkSpecs(manifest.parameters, `application '${name}'`);
  checkSubmodules(manifest.submodules, `application '${name}'`);
  return Object.freeze({
    kind: 'application' as const,
    name,
    version,
    parameters: { ...manifest.parameters },
    workflows: { ...manifest.workflows },
    submodules: { ...manifest.submodules },
  });
}

/** The generator function of a workflow registration (a function or a handle), or undefined. */
export function workflowFunction(registration: unknown): OrchestratorFunction | undefined {
  if (isObject(registration) && 'orchestrator' in registration) return workflowFunction(registration.orchestrator);
  if (typeof registration === 'function') return registration as OrchestratorFunction;
  if (isObject(registration) && registration.kind === 'orchestrator' && typeof registration.fn === 'function') return registration.fn as OrchestratorFunction;
  return undefined;
}

/** The parameter types a workflow declares, if any. */
export function workflowParameterSpecs(registration: WorkflowRegistration | undefined): Record<string, ParameterSpec> | undefined {
  return isObject(registration) && 'orchestrator' in registration ? (registration.parameters as Record<string, ParameterSpec> | undefined) : undefined;
}

function checkSpecs(specs: unknown, where: string): void {
  if (specs === undefined) return;
  if (!isObject(specs)) throw new InvalidArgumentError(`${where}: parameters must be an object of { default?, type? }`);
  for (const [key, spec] of Object.entries(specs)) {
    if (!isObject(spec)) throw new InvalidArgumentError(`${where}: parameter '${key}' must be an object { default?, type? }`);
    if (spec.type !== undefined && !TYPES.includes(spec.type as ParameterType)) throw new InvalidArgumentError(`${where}: parameter '${key}' has type ${JSON.stringify(spec.type)}; use one of ${TYPES.join(', ')}`);
  }
}

function checkSubmodules(submodules: unknown, where: string): void {
  if (submodules === undefined) return;
  if (!isObject(submodules)) throw new InvalidArgumentError(`${where}: submodules must be an object of sections`);
  for (const [key, section] of Object.entries(submodules)) {
    if (!isObject(section)) throw new InvalidArgumentError(`${where}: submodule '${key}' must be an object { parameters?, submodules? }`);
    checkSpecs(section.parameters, `${where} submodule '${key}'`);
    checkSubmodules(section.submodules, `${where} submodule '${key}'`);
  }
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
