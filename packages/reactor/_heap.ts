/**
 * A binary min-heap of timed entries, ordered by time and then by a
 * sequence number, so entries due at the same time come out in the order
 * they were first scheduled.
 *
 * Each entry records its own position, which makes removal and
 * rescheduling O(log n) instead of a linear search (Twisted's reactor
 * searches; its Clock re-sorts the whole list on every call).
 *
 * @module
 */

/** @internal What the heap needs of an entry; it owns `_index`. */
export interface HeapEntry {
  /** When the entry is due; the primary key. */
  _time: number;
  /** Scheduling order; breaks ties between equal times. */
  _seq: number;
  /** Position in the heap, or -1 when not in one. */
  _index: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a._time < b._time || (a._time === b._time && a._seq < b._seq);
}

/** @internal The heap. */
export class TimeHeap<T extends HeapEntry> {
  #items: T[] = [];

  /** How many entries are in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest entry, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an entry. */
  push(entry: T): void {
    const items = this.#items;
    entry._index = items.length;
    items.push(entry);
    this.#up(entry._index);
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (last !== top) {
      items[0] = last;
      last._index = 0;
      this.#down(0);
    }
    top._index = -1;
    return top;
  }

  /** Removes `entry`, wherever it is; returns whether it was there. */
  remove(entry: T): boolean {
    const items = this.#items;
    const i = entry._index;
    if (i < 0 || items[i] !== entry) return false;
    const last = items.pop()!;
    entry._index = -1;
    if (last !== entry) {
      items[i] = last;
      last._index = i;
      this.#down(i);
      this.#up(last._index);
    }
    return true;
  }

  /** Restores the order after `entry`'s time changed. */
  update(entry: T): void {
    const i = entry._index;
    if (i < 0 || this.#items[i] !== entry) return;
    this.#up(i);
    this.#down(entry._index);
  }

  /** The entries in heap order (not sorted). */
  toArray(): T[] {
    return this.#items.slice();
  }

  /** Removes every entry. */
  clear(): void {
    for (const e of this.#items) e._index = -1;
    this.#items = [];
  }

  #up(i: number): void {
    const items = this.#items;
    const entry = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!before(entry, parent)) break;
      items[i] = parent;
      parent._index = i;
      i = p;
    }
    items[i] = entry;
    entry._index = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = items[l]!;
      if (r < n) {
        const right = items[r]!;
        if (before(right, child)) {
          c = r;
          child = right;
        }
      }
      if (!before(child, entry)) break;
      items[i] = child;
      child._index = i;
      i = c;
    }
    items[i] = entry;
    entry._index = i;
  }
}
