/**
 * Wait until an instance's row satisfies a check, driven by the store's
 * instance notices (never polling), bounded by a timeout on the injected
 * clock and by an abort signal. Used to wait for a schedule command to be
 * applied.
 */
import type { Clock } from '../clock.js';
import type { RuntimeStatus } from '../status.js';
import type { InstanceRecord, Storage } from '../storage/types.js';

export interface InstanceWatchDeps {
  storage: Storage;
  taskHub: string;
  clock: Clock;
  onInstanceUpdated(instanceId: string, listener: (status: RuntimeStatus | undefined) => void): () => void;
}

/** Resolves with the check's first defined answer, or 'timeout'; rejects when aborted or a read fails. */
export function waitForInstance<T>(
  deps: InstanceWatchDeps,
  instanceId: string,
  check: (record: InstanceRecord | undefined) => T | undefined,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<T | 'timeout'> {
  return new Promise<T | 'timeout'>((resolve, reject) => {
    let settled = false;
    let reading = false;
    let again = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      remove();
      deps.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const answer = check(await deps.storage.getInstance(deps.taskHub, instanceId));
          if (answer !== undefined) return finish(() => resolve(answer));
        } while (again && !settled);
      } catch (error) {
        finish(() => reject(error));
      } finally {
        reading = false;
      }
    };
    const onAbort = () => finish(() => reject(options.signal?.reason ?? new Error('aborted')));
    const remove = deps.onInstanceUpdated(instanceId, () => void read());
    // On timeout, one last read: the answer may have landed without a notice reaching us yet.
    const timer = deps.clock.setTimeout(() => {
      void deps.storage.getInstance(deps.taskHub, instanceId).then(
        (record) => {
          const answer = check(record);
          finish(() => resolve(answer === undefined ? 'timeout' : answer));
        },
        (error: unknown) => finish(() => reject(error)),
      );
    }, options.timeoutMs);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    void read();
  });
}
