/**
 * durable-functions' `EntityId` class, for ports: `new EntityId(name, key)`,
 * printed as the entity's instance id `@name@key` (names are
 * case-insensitive and kept lower-case, as in durable-functions). Anything
 * that takes Reprise's `{ name, key }` takes an instance of it.
 */
import { InvalidArgumentError } from '../errors.js';
import type { EntityId as EntityIdShape } from '../entities/entity-id.js';

export class EntityId implements EntityIdShape {
  readonly name: string;
  readonly key: string;

  constructor(name: string, key: string) {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('an entity name must be a non-empty string');
    if (typeof key !== 'string') throw new InvalidArgumentError('an entity key must be a string');
    this.name = name.toLowerCase();
    this.key = key;
  }

  toString(): string {
    return `@${this.name}@${this.key}`;
  }
}
