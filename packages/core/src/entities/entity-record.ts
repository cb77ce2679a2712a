import type { InstanceRecord } from '../storage/types.js';
import { parseEntityInstanceId } from './entity-id.js';

/** The row an entity gets on its first message: it exists as an instance from then on. */
export function entityRecord(instanceId: string, now: number): InstanceRecord {
  const id = parseEntityInstanceId(instanceId);
  return {
    instanceId,
    kind: 'entity',
    name: id?.name ?? instanceId,
    executionId: '',
    status: 'Running',
    createdAt: now,
    updatedAt: now,
    historyLength: 0,
  };
}
