/**
 * Entity ids. An entity lives as an instance with the id `@name@key`, the
 * Durable Functions 2.0 convention; names are case-insensitive (stored lower-case).
 */
import { InvalidArgumentError } from '../errors.js';
import { refuseDotSegment } from '../client/validate.js';

export interface EntityId {
  readonly name: string;
  readonly key: string;
}

export function entityId(name: string, key: string): EntityId {
  return { name: name.toLowerCase(), key };
}

export function entityInstanceId(id: EntityId): string {
  if (!id || typeof id.name !== 'string' || id.name.length === 0 || typeof id.key !== 'string') {
    throw new InvalidArgumentError('an entity id needs a non-empty name and a string key');
  }
  // Name and key are the two path segments of `/entities/{name}/{key}`.
  refuseDotSegment(id.name, 'entity name');
  refuseDotSegment(id.key, 'entity key');
  return `@${id.name.toLowerCase()}@${id.key}`;
}

export function parseEntityInstanceId(instanceId: string): EntityId | undefined {
  if (!instanceId.startsWith('@')) return undefined;
  const at = instanceId.indexOf('@', 1);
  if (at < 0) return undefined;
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}
