/**
 * Orchestrators by id: every registered orchestrator has a stable id (its
 * definition's `id`, else a UUID derived from its name) and optional
 * descriptive metadata, read back through `runtime.describeOrchestrators()`.
 *
 * Invariants:
 * - The derived id is a pure function of the name (a version-5-style UUID:
 *   SHA-1 of a fixed namespace UUID and the UTF-8 name), so every process
 *   that registers the same name shows the same id.
 * - Within one runtime ids are unique; a clash is refused at createRuntime.
 * - The runtime's own orchestrators (schedules) are not described.
 */
import { createHash } from 'node:crypto';
import type { OrchestratorRegistration, Registry } from './definitions.js';
import { InvalidArgumentError } from './errors.js';

/** What `runtime.describeOrchestrators()` tells about one registered orchestrator. */
export interface OrchestratorDescription {
  /** The definition's `id`, else `orchestratorIdOf(name)`. */
  id: string;
  /** The name it is registered (and started) under. */
  name: string;
  description?: string;
  userType?: string;
}

// A fixed namespace of our own: ids derived here never collide with v5 ids of the DNS or URL namespaces.
const NAMESPACE = Buffer.from('6f1d2b8e4c3a5d7e9f0a1b2c3d4e5f60', 'hex');

/** The stable id of an orchestrator registered without one: a version-5-style UUID of its name. */
export function orchestratorIdOf(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The descriptions of a registry, in registration order; throws InvalidArgumentError when two share an id. */
export function describeRegistry(registry: Registry<OrchestratorRegistration> | undefined): OrchestratorDescription[] {
  if (!registry) return [];
  const entries: Array<[string, unknown]> = Array.isArray(registry) ? (registry as Array<{ name: string }>).map((h) => [h.name, h]) : Object.entries(registry);
  const byId = new Map<string, string>();
  return entries.map(([name, value]) => {
    const meta = value && typeof value === 'object' ? (value as { id?: unknown; description?: unknown; userType?: unknown }) : {};
    // A handle carries its id (given, or derived from its own name); a plain function's is derived from its key.
    const id = typeof meta.id === 'string' ? meta.id : orchestratorIdOf(name);
    const clash = byId.get(id);
    if (clash !== undefined) throw new InvalidArgumentError(`orchestrators '${clash}' and '${name}' have the same id '${id}'`);
    byId.set(id, name);
    return {
      id,
      name,
      ...(typeof meta.description === 'string' && { description: meta.description }),
      ...(typeof meta.userType === 'string' && { userType: meta.userType }),
    };
  });
}
