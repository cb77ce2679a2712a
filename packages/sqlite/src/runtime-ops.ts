/** The runtime registry (see Storage.heartbeatRuntime): one row per runtime, pruned on heartbeats. */
import { RUNTIME_RETENTION_MS } from '@reprise/core';
import type { RuntimeEntry, RuntimeRegistration } from '@reprise/core';
import type { Op } from './op-context.js';

interface RuntimeRow {
  runtime_id: string;
  registration: string;
  started_at: number;
  heartbeat_at: number;
  expires_at: number;
  stopped_at: number | null;
}

export const heartbeatRuntime =
  (hub: string, registration: RuntimeRegistration, ttlMs: number): Op<void> =>
  ({ s, now }) => {
    const { runtimeId, startedAt, ...rest } = registration;
    s.heartbeatRuntime.run({ hub, runtime_id: runtimeId, registration: JSON.stringify(rest), started_at: startedAt, now, expires_at: now + ttlMs });
    s.dropOldRuntimes.run(hub, now - RUNTIME_RETENTION_MS);
  };

export const stopRuntime =
  (hub: string, runtimeId: string): Op<void> =>
  ({ s, now }) => {
    s.stopRuntime.run({ hub, runtime_id: runtimeId, now });
  };

export const listRuntimes =
  (hub: string): Op<RuntimeEntry[]> =>
  ({ s, now }) =>
    (s.listRuntimes.all(hub, now - RUNTIME_RETENTION_MS) as RuntimeRow[]).map((row) => ({
      runtimeId: row.runtime_id,
      ...(JSON.parse(row.registration) as Omit<RuntimeRegistration, 'runtimeId' | 'startedAt'>),
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
      expiresAt: row.expires_at,
      ...(row.stopped_at !== null && { stoppedAt: row.stopped_at }),
    }));
