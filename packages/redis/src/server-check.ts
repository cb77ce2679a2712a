/**
 * At open(): is this server safe to keep durable state in? Two settings can
 * silently lose committed orchestration state: an eviction policy other than
 * `noeviction` (Redis deletes keys under memory pressure) and no persistence
 * at all (no AOF and no RDB snapshots: a restart loses everything).
 */
import type { Cluster, Redis } from 'ioredis';
import { StorageError } from '@reprise/core';

export type UnsafeServerAction = 'warn' | 'throw' | 'ignore';

/** The reasons this server is unsafe; empty when it is safe. Throws when CONFIG is not allowed. */
export async function unsafeSettings(client: Redis | Cluster): Promise<string[]> {
  const config = async (name: string): Promise<string> => {
    const reply = (await client.call('CONFIG', 'GET', name)) as string[];
    return reply[1] ?? '';
  };
  const [policy, appendonly, save] = await Promise.all([config('maxmemory-policy'), config('appendonly'), config('save')]);
  const reasons: string[] = [];
  if (policy !== 'noeviction') {
    reasons.push(`maxmemory-policy is '${policy}': under memory pressure Redis evicts keys, losing orchestration state (set it to 'noeviction')`);
  }
  if (appendonly !== 'yes' && save.trim() === '') {
    reasons.push("persistence is off (appendonly no and an empty 'save'): a restart loses every instance (set appendonly yes)");
  }
  return reasons;
}

export async function checkServer(client: Redis | Cluster, action: UnsafeServerAction, warn: (message: string) => void): Promise<void> {
  if (action === 'ignore') return;
  let reasons: string[];
  try {
    reasons = await unsafeSettings(client);
  } catch (error) {
    // Managed services often disable CONFIG; say so, but do not refuse to run.
    warn(`@reprise/redis: could not read the server's settings (${(error as Error).message}); make sure maxmemory-policy is noeviction and persistence (AOF) is on`);
    return;
  }
  if (reasons.length === 0) return;
  const message = `@reprise/redis: this Redis server is not safe for durable orchestration state:\n  - ${reasons.join('\n  - ')}`;
  if (action === 'throw') throw new StorageError(message);
  warn(`${message}\n(pass onUnsafeServer: 'ignore' to silence this, or 'throw' to refuse such a server)`);
}
