/** Lease renewal for the instances and work items a runtime holds. */
import type { Op } from './op-context.js';
import { parseId } from './rows.js';

export interface Leases {
  instances: Array<{ instanceId: string; lockToken: string }>;
  activities: Array<{ workItemId: string; lockToken: string }>;
}

/** Extends the leases still held (token matches, not expired); returns the tokens of those lost, and of held items marked canceled. */
export const renewLeases =
  (hub: string, leases: Leases, leaseMs: number): Op<{ lostInstances: string[]; lostActivities: string[]; canceledActivities: string[] }> =>
  ({ s, now }) => {
    const expires = now + leaseMs;
    const lostInstances: string[] = [];
    const lostActivities: string[] = [];
    const canceledActivities: string[] = [];
    for (const { instanceId, lockToken } of leases.instances) {
      const renewed = s.renewInstance.run({ expires, hub, instance_id: instanceId, token: lockToken, now }).changes > 0;
      if (!renewed) lostInstances.push(lockToken);
    }
    for (const { workItemId, lockToken } of leases.activities) {
      const seq = parseId(workItemId);
      // Returns the item's cancellation mark when renewed, undefined when the lease was lost.
      const canceled = seq === undefined ? undefined : (s.renewActivity.get({ expires, seq, hub, token: lockToken, now }) as number | undefined);
      if (canceled === undefined) lostActivities.push(lockToken);
      else if (canceled) canceledActivities.push(lockToken);
    }
    return { lostInstances, lostActivities, canceledActivities };
  };
