/** Instance rows written straight into a hub, for the tests of counts, pages and indexes. */
import type { InstanceRecord, NewMessage, RuntimeStatus, Storage } from '@reprise/core';

export const T0 = Date.UTC(2024, 0, 1);

export const row = (instanceId: string, createdAt: number, { name = 'O', status = 'Pending', namespace }: { name?: string; status?: RuntimeStatus; namespace?: string } = {}): InstanceRecord => ({
  instanceId,
  kind: 'orchestration',
  name,
  executionId: 'e1',
  status,
  createdAt,
  updatedAt: createdAt,
  historyLength: 0,
  ...(namespace === undefined ? {} : { namespace }),
});

export const started = () => ({ EventType: 'ExecutionStarted' as const, Timestamp: new Date(T0).toISOString(), Name: 'O', ExecutionId: 'e1' });

/** Creates the rows through createIfMissing messages, 500 per call. */
export async function seedRows(storage: Storage, hub: string, rows: InstanceRecord[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const batch: NewMessage[] = rows.slice(i, i + 500).map((r) => ({ instanceId: r.instanceId, event: started(), createIfMissing: r }));
    await storage.sendMessages(hub, batch);
  }
}
