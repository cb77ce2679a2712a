/**
 * Entities: small actors addressed by { name, key }. One operation runs at a
 * time; its state change, outgoing signals and reply commit together, and a
 * thrown operation rolls all three back.
 */
import type { EntityId } from './entity-id.js';

export interface EntityContext<S = unknown, I = unknown> {
  readonly entityName: string;
  readonly entityKey: string;
  readonly entityId: EntityId;
  readonly operationName: string;
  /** True when the entity had no state before this operation. */
  readonly isNewlyConstructed: boolean;
  getInput<T = I>(): T;
  getState(initializer?: () => S): S | undefined;
  setState(state: S): void;
  /** The operation's result, returned to a caller that used callEntity. */
  return(value: unknown): void;
  /** Delete the entity once this operation finishes. */
  destructOnExit(): void;
  signalEntity(entityId: EntityId, operationName: string, input?: unknown): void;
  startNewOrchestration(name: string, input?: unknown, instanceId?: string): string;
}

/** The durable-functions form: one function that switches on `ctx.operationName`. */
export type EntityFunction<S = any> = (ctx: EntityContext<S>) => void | Promise<void>;

/** The object form: one handler per operation; a returned value is the result. */
export type EntityOperations<S = any> = Record<string, (ctx: EntityContext<S>, input: any) => unknown>;

export type EntityRegistration = EntityFunction | EntityOperations;
