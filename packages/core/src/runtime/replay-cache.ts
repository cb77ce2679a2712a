/**
 * Live executors of recently active instances, so a steady-state step feeds
 * only the new events instead of replaying the whole history. An entry is
 * valid only for the exact execution and history length it was left at.
 */
import type { OrchestrationExecutor } from '../engine/executor.js';

interface Entry {
  executor: OrchestrationExecutor;
  executionId: string;
  historyLength: number;
}

export class ReplayCache {
  readonly #entries = new Map<string, Entry>();
  constructor(readonly capacity: number) {}

  take(instanceId: string, executionId: string, historyLength: number): OrchestrationExecutor | undefined {
    const entry = this.#entries.get(instanceId);
    if (!entry) return undefined;
    this.#entries.delete(instanceId);
    return entry.executionId === executionId && entry.historyLength === historyLength ? entry.executor : undefined;
  }

  put(instanceId: string, entry: Entry): void {
    if (this.capacity <= 0) return;
    this.#entries.delete(instanceId);
    this.#entries.set(instanceId, entry);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(instanceId: string): void {
    this.#entries.delete(instanceId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
