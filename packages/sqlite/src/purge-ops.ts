/** Purge: deletes terminal instances with everything they own. */
import { RUNTIME_STATUSES, isTerminal } from '@reprise/core';
import type { PurgeFilter, RuntimeStatus } from '@reprise/core';
import { removeInstance } from './op-context.js';
import type { Op } from './op-context.js';
import type { Statements } from './statements.js';

function purgeCandidates(s: Statements, hub: string, filter: PurgeFilter): string[] {
  const where = ["hub = ?", "kind = 'orchestration'", 'created_at >= ?'];
  const params: unknown[] = [hub, filter.createdFrom];
  if (filter.namespace !== undefined) {
    where.push('namespace = ?');
    params.push(filter.namespace);
  }
  if (filter.createdTo !== undefined) {
    where.push('created_at <= ?');
    params.push(filter.createdTo);
  }
  const statuses = filter.runtimeStatus ?? [];
  const terminal = (statuses.length > 0 ? statuses : RUNTIME_STATUSES).filter(isTerminal);
  if (terminal.length === 0) return [];
  where.push(`status IN (${terminal.map(() => '?').join(', ')})`);
  params.push(...terminal);
  return s.cached(`SELECT instance_id FROM instances WHERE ${where.join(' AND ')}`).pluck().all(...params) as string[];
}

/** Deletes terminal instances; each deletion is counted once because purges are serialized by the write lock. */
export const purgeInstances =
  (hub: string, target: { instanceIds: string[] } | PurgeFilter): Op<{ instancesDeleted: number }> =>
  (ctx) => {
    const { s } = ctx;
    const ids = 'instanceIds' in target ? [...new Set(target.instanceIds)] : purgeCandidates(s, hub, target);
    let instancesDeleted = 0;
    for (const id of ids) {
      const status = s.instanceStatus.get(hub, id) as RuntimeStatus | undefined;
      if (status === undefined || !isTerminal(status)) continue;
      removeInstance(ctx, hub, id);
      instancesDeleted += 1;
    }
    return { instancesDeleted };
  };
