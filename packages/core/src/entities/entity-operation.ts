/**
 * One entity operation, pure of storage: runs the user's handler over a copy
 * of the state. A thrown operation changes nothing: its state change and the
 * signals it sent are dropped, and the error is returned for the caller.
 */
import { UnknownEntityError } from '../errors.js';
import type { Payload } from '../history.js';
import { deserialize, serialize } from '../serializer.js';
import type { EntityContext, EntityRegistration } from './entity-context.js';
import type { EntityId } from './entity-id.js';

export interface EntityOperationRequest {
  registration: EntityRegistration | undefined;
  id: EntityId;
  instanceId: string;
  /** The serialized state before the operation; undefined when the entity does not exist. */
  state: Payload;
  operation: string;
  input: Payload;
  maxPayloadBytes: number;
  /** Side effects: the caller buffers them per operation and keeps them only when it succeeds. */
  signalEntity(target: EntityId, operation: string, input: Payload): void;
  startNewOrchestration(name: string, input: Payload, instanceId: string | undefined): string;
}

export type EntityOperationOutcome = { ok: true; state: Payload; result: Payload } | { ok: false; error: unknown };

export async function executeEntityOperation(request: EntityOperationRequest): Promise<EntityOperationOutcome> {
  const { registration, id, operation, maxPayloadBytes } = request;
  if (!registration) return { ok: false, error: new UnknownEntityError(`no entity named '${id.name}' is registered with this runtime`) };
  let state = request.state;
  let result: Payload;
  let destruct = false;
  const what = `state of entity '${request.instanceId}'`;
  const ctx: EntityContext = {
    entityName: id.name,
    entityKey: id.key,
    entityId: id,
    operationName: operation,
    isNewlyConstructed: request.state === undefined,
    getInput: () => deserialize(request.input),
    getState: (initializer) => {
      if (state === undefined && initializer) state = serialize(initializer(), what, maxPayloadBytes);
      return deserialize(state);
    },
    setState: (value) => {
      state = serialize(value, what, maxPayloadBytes);
      destruct = false;
    },
    return: (value) => {
      result = serialize(value, `result of entity operation '${operation}'`, maxPayloadBytes);
    },
    destructOnExit: () => {
      destruct = true;
    },
    signalEntity: (target, op, input) => {
      const payload = serialize(input, `input of entity operation '${op}'`, maxPayloadBytes);
      request.signalEntity(target, op, payload);
    },
    startNewOrchestration: (name, input, instanceId) => {
      return request.startNewOrchestration(name, serialize(input, `input of orchestrator '${name}'`, maxPayloadBytes), instanceId);
    },
  };
  try {
    if (typeof registration === 'function') {
      await registration(ctx);
    } else {
      const handler = Object.hasOwn(registration, operation) ? registration[operation] : undefined;
      if (typeof handler !== 'function') throw new UnknownEntityError(`entity '${id.name}' has no operation '${operation}'`);
      const returned = await handler(ctx, ctx.getInput());
      if (returned !== undefined) ctx.return(returned);
    }
  } catch (error) {
    return { ok: false, error };
  }
  return { ok: true, state: destruct ? undefined : state, result };
}
