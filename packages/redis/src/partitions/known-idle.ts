/**
 * Partitions a lock call may skip: one whose probe or lock call found no
 * work of a kind is known idle for that kind until a notice from it says
 * otherwise, its next timer or lease falls due, or TRUST_MS passed. Only
 * while this storage listens to the hub's notices (otherwise nothing would
 * say otherwise). An idle worker woken by one partition then asks that one,
 * not all K.
 */
import type { StorageNotice } from '@reprise/core';

export type WorkKind = 'instances' | 'activities';

/** How long a partition stays known idle without a notice (bounds what a notice lost before a resync costs). */
const TRUST_MS = 2000;

interface Idle {
  /** When its next timer or lease falls due (Infinity: none). */
  dueAt: number;
  until: number;
}

interface HubState {
  listeners: number;
  /** Per kind and partition: notices heard (a probe's answer counts only if none came while it ran). */
  seq: Record<WorkKind, number[]>;
  idle: Record<WorkKind, Array<Idle | undefined>>;
}

export class KnownIdle {
  readonly #k: number;
  readonly #hubs = new Map<string, HubState>();

  constructor(k: number) {
    this.#k = k;
  }

  #state(hub: string): HubState {
    let s = this.#hubs.get(hub);
    if (!s) {
      const zeros = () => new Array<number>(this.#k).fill(0);
      s = { listeners: 0, seq: { instances: zeros(), activities: zeros() }, idle: { instances: [], activities: [] } };
      this.#hubs.set(hub, s);
    }
    return s;
  }

  listening(hub: string, delta: 1 | -1): void {
    const s = this.#state(hub);
    s.listeners += delta;
    if (s.listeners <= 0) this.#hubs.delete(hub);
  }

  /** A notice from partition p. */
  heard(hub: string, p: number, notice: StorageNotice): void {
    const s = this.#hubs.get(hub);
    if (!s) return;
    if (notice.type === 'resync') {
      for (const kind of ['instances', 'activities'] as const) {
        s.idle[kind] = [];
        s.seq[kind] = s.seq[kind].map((n) => n + 1);
      }
      return;
    }
    if (notice.type !== 'orchestration-work' && notice.type !== 'activity-work') return;
    const kind = notice.type === 'orchestration-work' ? 'instances' : 'activities';
    s.seq[kind][p]!++;
    const idle = s.idle[kind][p];
    // A lease made without a lock call: nothing to do until it expires.
    if (idle && notice.inMs !== undefined) idle.dueAt = Math.min(idle.dueAt, Date.now() + notice.inMs);
    else s.idle[kind][p] = undefined;
  }

  /**
   * This process wrote work into partition p (a create, a send, a commit, a
   * completion, a give-back, a forward): its own next lock call must see it
   * even before the write's notice comes back.
   */
  wrote(hub: string, p: number): void {
    const s = this.#hubs.get(hub);
    if (!s) return;
    for (const kind of ['instances', 'activities'] as const) {
      s.seq[kind][p]!++;
      s.idle[kind][p] = undefined;
    }
  }

  /** The notice counts a probe starts from, or undefined when the hub's notices are not heard here. */
  snapshot(hub: string, kind: WorkKind): number[] | undefined {
    const s = this.#hubs.get(hub);
    return s && s.listeners > 0 ? [...s.seq[kind]] : undefined;
  }

  /** Partition p had no work of `kind` (nextMs: until its next timer or lease, -1 none), unless a notice came since `seq`. */
  found(hub: string, kind: WorkKind, p: number, seq: number[], nextMs: number | undefined): void {
    const s = this.#hubs.get(hub);
    if (!s || s.seq[kind][p] !== seq[p]) return;
    const now = Date.now();
    s.idle[kind][p] = { dueAt: nextMs === undefined || nextMs < 0 ? Infinity : now + nextMs, until: now + TRUST_MS };
  }

  /** Whether p is known idle now; else it is forgotten. */
  skips(hub: string, kind: WorkKind, p: number, now: number): boolean {
    const s = this.#hubs.get(hub);
    const idle = s?.idle[kind][p];
    if (!idle) return false;
    if (now < idle.dueAt && now < idle.until) return true;
    s!.idle[kind][p] = undefined;
    return false;
  }

  /** ms until the earliest due time among the partitions skipped; undefined: none. */
  nextDueMs(hub: string, kind: WorkKind, skipped: number[], now: number): number | undefined {
    const s = this.#hubs.get(hub);
    let best = Infinity;
    for (const p of skipped) best = Math.min(best, s?.idle[kind][p]?.dueAt ?? Infinity);
    return best === Infinity ? undefined : Math.max(0, best - now);
  }
}
