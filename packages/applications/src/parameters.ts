/**
 * Parameters: the document wraps every value in a string ("42",
 * "[1, 2, \"ok\"]"); workflows receive them parsed. The rule, by the
 * parameter's declared type:
 * - 'string': kept as sent;
 * - 'number': a finite number (else InvalidArgumentError);
 * - 'boolean': 'true' or 'false';
 * - 'json': JSON.parse (else InvalidArgumentError);
 * - 'auto' (the default, and for undeclared parameters): JSON.parse when
 *   the string is valid JSON, else the string itself ("test" stays "test",
 *   "42" becomes 42, "\"42\"" becomes "42").
 * A value that is not a string (from the typed API) is passed as it is.
 */
import { InvalidArgumentError } from '@reprise/core';
import { isObject } from './define-application.js';
import type { ParameterSpec, SubmoduleManifest } from './define-application.js';

export function parseValue(value: unknown, spec: ParameterSpec | undefined, name: string): unknown {
  if (typeof value !== 'string') return value;
  switch (spec?.type ?? 'auto') {
    case 'string':
      return value;
    case 'number': {
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n)) throw new InvalidArgumentError(`parameter '${name}' must be a number, got ${JSON.stringify(value.slice(0, 64))}`);
      return n;
    }
    case 'boolean':
      if (value === 'true' || value === 'false') return value === 'true';
      throw new InvalidArgumentError(`parameter '${name}' must be 'true' or 'false', got ${JSON.stringify(value.slice(0, 64))}`);
    case 'json':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw new InvalidArgumentError(`parameter '${name}' must be JSON, got ${JSON.stringify(value.slice(0, 64))}`);
      }
    default:
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
  }
}

/** Every parameter parsed by the rule above; `given` must be an object. */
export function parseParameters(given: unknown, specs: Readonly<Record<string, ParameterSpec>> | undefined, what = 'parameters'): Record<string, unknown> {
  if (given === undefined || given === null) return {};
  if (!isObject(given)) throw new InvalidArgumentError(`${what} must be an object of name → value`);
  const parsed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) parsed[name] = parseValue(value, specs?.[name], name);
  return parsed;
}

/**
 * An instance's configuration parameters against a manifest: names the
 * manifest does not declare are refused, parameters not given take their
 * defaults, a required one (no default) left out is refused by name.
 * Values are kept as given (the instance shows them as configured).
 */
export function resolveParameters(specs: Readonly<Record<string, ParameterSpec>>, given: unknown, where: string): Record<string, unknown> {
  if (given !== undefined && given !== null && !isObject(given)) throw new InvalidArgumentError(`${where}: parameters must be an object of name → value`);
  const values = (given ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(specs, name)) throw new InvalidArgumentError(`${where}: unknown parameter '${name}'`);
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (Object.hasOwn(values, name) && values[name] !== undefined && values[name] !== null) {
      parseValue(values[name], spec, name); // a value its type refuses is refused now, not when a workflow runs
      resolved[name] = values[name];
    } else if (Object.hasOwn(spec, 'default')) resolved[name] = spec.default;
    else throw new InvalidArgumentError(`${where}: parameter '${name}' is required (it has no default)`);
  }
  return resolved;
}

/** A submodule's configuration as the instance keeps it. */
export interface SubmoduleConfiguration {
  manifestVersion?: number;
  revisionId?: string;
  parameters: Record<string, unknown>;
  submodules: Record<string, SubmoduleConfiguration>;
}

/**
 * The `submodules` section of a configuration, recursively: only sections
 * the manifest declares; a section given is validated like the root (its
 * parameters reset to defaults when left out), a section not given keeps
 * its current configuration (or its defaults for a new instance).
 */
export function resolveSubmodules(
  manifest: Readonly<Record<string, SubmoduleManifest>>,
  given: unknown,
  current: Readonly<Record<string, SubmoduleConfiguration>> | undefined,
  where: string,
): Record<string, SubmoduleConfiguration> {
  if (given !== undefined && given !== null && !isObject(given)) throw new InvalidArgumentError(`${where}: submodules must be an object of sections`);
  const sections = (given ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(sections)) {
    if (!Object.hasOwn(manifest, name)) throw new InvalidArgumentError(`${where}: unknown submodule '${name}'`);
  }
  const resolved: Record<string, SubmoduleConfiguration> = {};
  for (const [name, section] of Object.entries(manifest)) {
    const at = `${where} submodule '${name}'`;
    const kept = current?.[name];
    if (!Object.hasOwn(sections, name) && kept) {
      resolved[name] = kept;
      continue;
    }
    const value = sections[name] ?? {};
    if (!isObject(value)) throw new InvalidArgumentError(`${at} must be an object { manifestVersion?, revisionId?, parameters?, submodules? }`);
    const manifestVersion = checkVersion(value.manifestVersion, at);
    const revisionId = checkOptionalString(value.revisionId, `${at}: revisionId`);
    resolved[name] = {
      ...(manifestVersion !== undefined && { manifestVersion }),
      ...(revisionId !== undefined && { revisionId }),
      parameters: resolveParameters(section.parameters ?? {}, value.parameters, at),
      submodules: resolveSubmodules(section.submodules ?? {}, value.submodules, kept?.submodules, at),
    };
  }
  return resolved;
}

export function checkVersion(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${where}: manifestVersion must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

export function checkOptionalString(value: unknown, what: string, max = 256): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new InvalidArgumentError(`${what} must be a string of 1-${max} characters`);
  return value;
}

/**
 * User data: an object whose top-level keys are plain strings: non-empty, at
 * most 256 characters, no '.', not starting with '$', no control
 * characters, not `__proto__` (the document's store reads such keys as
 * paths or operators).
 */
export function checkUserData(data: unknown): Record<string, unknown> {
  if (!isObject(data)) throw new InvalidArgumentError('user data must be a JSON object');
  for (const key of Object.keys(data)) {
    // eslint-disable-next-line no-control-regex
    if (key.length === 0 || key.length > 256 || key.includes('.') || key.startsWith('$') || /[\u0000-\u001f\u007f]/.test(key) || key === '__proto__') {
      throw new InvalidArgumentError(`user data key ${JSON.stringify(key.slice(0, 64))} is not a plain string key (non-empty, no '.', not starting with '$', no control characters)`);
    }
  }
  return { ...data };
}
