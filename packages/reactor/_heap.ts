/**
 * A priority queue of timed entries, ordered by time and then by a
 * sequence number, so entries due at the same time come out in the order
 * they were first scheduled.
 *
 * Most timed calls arrive in order: a program that schedules with the same
 * delay again and again (timeouts, a loop's next round) adds entries due
 * no earlier than the last one. Those go to a sorted run, a FIFO, at O(1)
 * to add and to take; only entries that arrive out of order go to a binary
 * heap, at O(log n). The earliest entry is the earlier of the two heads.
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

/** @internal The binary heap, for the entries that arrive out of order. */
class TimeHeap<T> {
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

/** @internal The queue: a sorted run for in-order entries, a heap for the rest. */
export class TimeQueue<T> {
  readonly #heap = new TimeHeap<T>();
  // The run is a ring buffer: `#len` entries from `#head`, wrapping at
  // the capacity, a power of two.
  #times = new Float64Array(64);
  #seqs = new Float64Array(64);
  #items: (T | undefined)[] = new Array(64);
  #head = 0;
  #len = 0;

  /** How many entries are queued, stale ones included. */
  get size(): number {
    return this.#heap.size + this.#len;
  }

  /** The earliest entry's item, without removing it. */
  peek(): T | undefined {
    return this.#runFirst() ? this.#items[this.#head] : this.#heap.peek();
  }

  /** The earliest entry's time (`Infinity` when empty). */
  peekTime(): number {
    return this.#runFirst() ? this.#times[this.#head]! : this.#heap.peekTime();
  }

  /** Adds `item` due at `time`, ordered among equal times by `seq`. */
  push(time: number, seq: number, item: T): void {
    const len = this.#len;
    const mask = this.#times.length - 1;
    if (len > 0) {
      const last = (this.#head + len - 1) & mask;
      const lt = this.#times[last]!;
      if (time < lt || (time === lt && seq < this.#seqs[last]!)) {
        this.#heap.push(time, seq, item);
        return;
      }
      if (len === mask + 1) {
        this.#grow();
        this.#append(time, seq, item);
        return;
      }
    }
    this.#append(time, seq, item);
  }

  /** Removes and returns the earliest entry's item. */
  pop(): T | undefined {
    if (!this.#runFirst()) return this.#heap.pop();
    const h = this.#head;
    const item = this.#items[h];
    this.#items[h] = undefined;
    this.#head = (h + 1) & (this.#times.length - 1);
    this.#len--;
    return item;
  }

  /** Calls `fn` with each entry (in no particular order). */
  forEach(fn: (item: T, time: number) => void): void {
    const mask = this.#times.length - 1;
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#head + k) & mask;
      fn(this.#items[i]!, this.#times[i]!);
    }
    this.#heap.forEach((item, time) => fn(item, time));
  }

  /** Keeps only the entries `keep` accepts, in O(n). */
  rebuild(keep: (item: T, time: number) => boolean): void {
    const mask = this.#times.length - 1;
    let n = 0;
    // Compact in place: the kept entries move towards the head, in order.
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#head + k) & mask;
      const item = this.#items[i]!;
      this.#items[i] = undefined;
      if (!keep(item, this.#times[i]!)) continue;
      const j = (this.#head + n++) & mask;
      this.#times[j] = this.#times[i]!;
      this.#seqs[j] = this.#seqs[i]!;
      this.#items[j] = item;
    }
    this.#len = n;
    this.#heap.rebuild(keep);
  }

  #append(time: number, seq: number, item: T): void {
    const i = (this.#head + this.#len++) & (this.#times.length - 1);
    this.#times[i] = time;
    this.#seqs[i] = seq;
    this.#items[i] = item;
  }

  // Doubles the ring, unwrapping it so the head is at 0.
  #grow(): void {
    const cap = this.#times.length;
    const times = new Float64Array(cap * 2);
    const seqs = new Float64Array(cap * 2);
    const items: (T | undefined)[] = new Array(cap * 2);
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#head + k) & (cap - 1);
      times[k] = this.#times[i]!;
      seqs[k] = this.#seqs[i]!;
      items[k] = this.#items[i];
    }
    this.#times = times;
    this.#seqs = seqs;
    this.#items = items;
    this.#head = 0;
  }

  // Whether the run's head comes before the heap's top.
  #runFirst(): boolean {
    if (this.#len === 0) return false;
    const heap = this.#heap;
    if (heap.size === 0) return true;
    const h = this.#head;
    const rt = this.#times[h]!;
    const ht = heap.peekTime();
    return rt < ht || (rt === ht && this.#seqs[h]! < heap.peekSeq());
  }
}
