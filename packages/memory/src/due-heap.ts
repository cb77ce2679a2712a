/** A binary min-heap of (due time, instance id): the next delayed message to become visible. */
export class DueHeap {
  readonly #items: Array<{ at: number; id: string }> = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): number | undefined {
    return this.#items[0]?.at;
  }

  push(at: number, id: string): void {
    const items = this.#items;
    items.push({ at, id });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= at) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** The earliest due time whose id still passes `isLive`; stale entries are dropped on the way. */
  peekLive(isLive: (id: string) => boolean): number | undefined {
    while (this.#items.length > 0 && !isLive(this.#items[0]!.id)) this.popDue(this.#items[0]!.at, 1);
    return this.#items[0]?.at;
  }

  /** Remove and return the ids due at `now` (at most `limit`). */
  popDue(now: number, limit = Infinity): string[] {
    const due: string[] = [];
    const items = this.#items;
    while (items.length > 0 && items[0]!.at <= now && due.length < limit) {
      due.push(items[0]!.id);
      const last = items.pop()!;
      if (items.length === 0) break;
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && items[l]!.at < items[m]!.at) m = l;
        if (r < items.length && items[r]!.at < items[m]!.at) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return due;
  }
}
