/**
 * A binary min-heap of timed entries, ordered by time and then by a
 * sequence number, so entries due at the same time come out in the order
 * they were first scheduled.
 *
 * The keys live in typed arrays beside the array of items, so the
 * comparisons of a sift walk contiguous memory and never touch the items
 * themselves; with a million entries that is what keeps the cost per
 * operation near log n instead of a cache miss per level. Entries cannot
 * be removed from the middle: the owner marks them stale and skips them
 * when they reach the top (see `TimedCalls`), and `rebuild` drops them in
 * bulk.
 *
 * @module
 */

/** @internal The heap. */
export class TimeHeap<T> {
  #times = new Float64Array(64);
  #seqs = new Float64Array(64);
  #items: (T | undefined)[] = [];
  #size = 0;

  /** How many entries are in the heap, stale ones included. */
  get size(): number {
    return this.#size;
  }

  /** The earliest entry's item, without removing it. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[0];
  }

  /** The earliest entry's time (`Infinity` when empty). */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#times[0]!;
  }

  /** The earliest entry's sequence number (`Infinity` when empty). */
  peekSeq(): number {
    return this.#size === 0 ? Infinity : this.#seqs[0]!;
  }

  /** Adds `item` due at `time`, ordered among equal times by `seq`. */
  push(time: number, seq: number, item: T): void {
    if (this.#size === this.#times.length) this.#grow();
    this.#siftUp(this.#size++, time, seq, item);
  }

  /** Removes and returns the earliest entry's item. */
  pop(): T | undefined {
    const n = this.#size;
    if (n === 0) return undefined;
    const items = this.#items;
    const top = items[0];
    const last = n - 1;
    this.#size = last;
    if (last > 0) {
      this.#siftDown(0, this.#times[last]!, this.#seqs[last]!, items[last]);
    }
    items[last] = undefined;
    return top;
  }

  /** Calls `fn` with each entry, in heap order (not sorted). */
  forEach(fn: (item: T, time: number, seq: number) => void): void {
    for (let i = 0; i < this.#size; i++) {
      fn(this.#items[i]!, this.#times[i]!, this.#seqs[i]!);
    }
  }

  /** Keeps only the entries `keep` accepts, in O(n). */
  rebuild(keep: (item: T, time: number) => boolean): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const items = this.#items;
    let n = 0;
    for (let i = 0; i < this.#size; i++) {
      const item = items[i]!;
      if (!keep(item, times[i]!)) continue;
      times[n] = times[i]!;
      seqs[n] = seqs[i]!;
      items[n++] = item;
    }
    items.length = n;
    this.#size = n;
    // Floyd's heap construction: sift down every parent, last first.
    for (let i = (n >> 1) - 1; i >= 0; i--) {
      this.#siftDown(i, times[i]!, seqs[i]!, items[i]);
    }
  }

  #grow(): void {
    const times = new Float64Array(this.#times.length * 2);
    times.set(this.#times);
    this.#times = times;
    const seqs = new Float64Array(this.#seqs.length * 2);
    seqs.set(this.#seqs);
    this.#seqs = seqs;
  }

  // Places (time, seq, item) at hole `i` or above it.
  #siftUp(i: number, time: number, seq: number, item: T | undefined): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const items = this.#items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      items[i] = items[p];
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  // Places (time, seq, item) at hole `i` or below it.
  #siftDown(i: number, time: number, seq: number, item: T | undefined): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const items = this.#items;
    const n = this.#size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = times[c]!;
      let cs = seqs[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = times[r]!;
        const rs = seqs[r]!;
        if (rt < ct || (rt === ct && rs < cs)) {
          c = r;
          ct = rt;
          cs = rs;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      items[i] = items[c];
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }
}
