/**
 * Coordination for event-driven code, as in Twisted: a lock
 * ({@linkcode DeferredLock}), a semaphore ({@linkcode DeferredSemaphore})
 * and a queue ({@linkcode DeferredQueue}) whose waiting is a Deferred.
 *
 * Waiters are served first come, first served, and a waiter can be
 * cancelled: cancelling the Deferred from `acquire()` or `get()` while it
 * waits removes it from the line and fails it with `CancelledError`.
 *
 * Unlike Twisted, handing on to the next waiter never nests: if a waiter's
 * callbacks release (or put) again, the next waiter is served once they
 * return, so a long line of waiters that each finish at once runs in
 * constant stack. The state (`locked`, `tokens`, who holds what) changes
 * at once, as in Twisted; only the next waiter's callbacks wait. A waiter
 * that someone fired by hand while it waited is passed over, and the lock,
 * token or item goes to the next one (Twisted raises `AlreadyCalledError`
 * from that `release()` or `put()`, and the lock stays taken).
 *
 * @module
 */

import { Deferred, isDeferred } from "./deferred.ts";
import { QueueOverflow, QueueUnderflow } from "./errors.ts";
import { fail, maybeDeferred, succeed } from "./factories.ts";
import { checkFunction } from "./_validate.ts";

/**
 * Thrown by `release()` of a {@linkcode DeferredLock} that is not locked,
 * or of a {@linkcode DeferredSemaphore} released more times than it was
 * acquired (Twisted asserts here).
 *
 * @example Usage
 * ```ts
 * import { DeferredLock, NotAcquiredError } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new DeferredLock().release(), NotAcquiredError);
 * ```
 */
export class NotAcquiredError extends Error {
  /** Creates the error. */
  constructor(message = "Cannot release what was not acquired") {
    super(message);
    this.name = "NotAcquiredError";
  }
}

// A first-in, first-out line, with removal from the middle (cancelled
// waiters) and putting back at the front.
class Line<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  // The first item; call only when length > 0.
  shift(): T {
    const items = this.#items;
    const item = items[this.#head]!;
    items[this.#head++] = undefined as T;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      // Drop the consumed front now and then, keeping shift O(1) overall.
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  remove(item: T): void {
    const i = this.#items.indexOf(item, this.#head);
    if (i !== -1) this.#items.splice(i, 1);
  }
}

// Fires waiters one after another, never one inside another: a hand-off
// made while a waiter's callbacks run is queued, and served by the loop
// once they return. A queued waiter that got fired meanwhile (cancelled,
// say) refuses what it was given, which then goes back to its owner.
class HandOff<T> {
  #queue: Line<[Deferred<T>, T, (value: T) => void]> | undefined;

  give(d: Deferred<T>, value: T, refused: (value: T) => void): void {
    if (this.#queue !== undefined) {
      this.#queue.push([d, value, refused]);
      return;
    }
    const queue = (this.#queue = new Line());
    try {
      d.callback(value);
      while (queue.length > 0) {
        const [next, v, refuse] = queue.shift();
        if (next.called) refuse(v);
        else next.callback(v);
      }
    } finally {
      this.#queue = undefined;
    }
  }
}

/**
 * The logic a lock and a semaphore share (Twisted's
 * `_ConcurrencyPrimitive`): a number of tokens, a line of waiters, and
 * `run`. A lock is a pool of one token.
 */
class TokenPool<P> {
  readonly owner: P;
  readonly limit: number;
  tokens: number;
  #waiting = new Line<Deferred<P>>();
  #handOff = new HandOff<P>();
  #cancelWait = (d: Deferred<P>): void => this.#waiting.remove(d);
  // Passes a freed token to the first waiter, or keeps it.
  #pass = (): void => {
    while (this.#waiting.length > 0) {
      const d = this.#waiting.shift();
      // Fired by someone else while it waited: no longer waiting.
      if (d.called) continue;
      // The token goes straight to the waiter: `tokens` does not change.
      this.#handOff.give(d, this.owner, this.#pass);
      return;
    }
    this.tokens++;
  };

  constructor(owner: P, limit: number) {
    this.owner = owner;
    this.limit = limit;
    this.tokens = limit;
  }

  acquire(): Deferred<P> {
    const d = new Deferred<P>(this.#cancelWait);
    if (this.tokens === 0) {
      this.#waiting.push(d);
    } else {
      this.tokens--;
      d.callback(this.owner);
    }
    return d;
  }

  release(misuse: string): void {
    if (this.tokens >= this.limit) throw new NotAcquiredError(misuse);
    this.#pass();
  }

  run<T, A extends unknown[]>(
    release: () => void,
    fn: (...args: A) => T | PromiseLike<T>,
    args: A,
  ): Deferred<T> {
    const notAFunction = checkFunction("run", fn);
    if (notAFunction) return fail(notAFunction);
    const releaseAndReturn = <R>(result: R): R => {
      release();
      return result;
    };
    return this.acquire().addCallback(() =>
      maybeDeferred(fn, ...args).addBoth(releaseAndReturn)
    );
  }
}

/**
 * A lock for event-driven code, as Twisted's `DeferredLock`: `acquire()`
 * gives a Deferred that fires (with the lock) once the lock is yours;
 * `release()` hands it to the next waiter, first come first served.
 * {@linkcode DeferredLock.run} does all three around a function.
 *
 * Cancelling a waiting `acquire()` takes it out of the line (it fails with
 * `CancelledError`); cancelling one that has fired does nothing.
 *
 * @example Usage
 * ```ts
 * import { DeferredLock, Deferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const lock = new DeferredLock();
 * const order: string[] = [];
 * const slowWrite = new Deferred<void>();
 * lock.run(() => { order.push("first starts"); return slowWrite; });
 * lock.run(() => { order.push("second starts"); });
 * assert.deepEqual(order, ["first starts"]);
 * slowWrite.callback();
 * assert.deepEqual(order, ["first starts", "second starts"]);
 * assert.equal(lock.locked, false);
 * ```
 */
export class DeferredLock {
  #pool: TokenPool<DeferredLock> = new TokenPool<DeferredLock>(this, 1);

  /** Whether the lock is held. Look, do not touch. */
  get locked(): boolean {
    return this.#pool.tokens === 0;
  }

  /**
   * Asks for the lock: the Deferred fires with this lock once it is yours
   * (at once, if it is free).
   *
   * @example Usage
   * ```ts
   * import { DeferredLock } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const lock = new DeferredLock();
   * const first = lock.acquire();
   * const second = lock.acquire();
   * assert.equal(first.result, lock);
   * assert.equal(second.called, false);
   * lock.release();
   * assert.equal(second.result, lock);
   * ```
   */
  acquire(): Deferred<DeferredLock> {
    return this.#pool.acquire();
  }

  /**
   * Gives the lock up, to the first waiter if there is one (the lock then
   * stays locked, held by that waiter).
   *
   * @throws {NotAcquiredError} if the lock is not locked.
   * @example Usage
   * ```ts
   * import { DeferredLock } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const lock = new DeferredLock();
   * lock.acquire();
   * lock.release();
   * assert.equal(lock.locked, false);
   * ```
   */
  release(): void {
    this.#pool.release("Cannot release a DeferredLock that is not locked");
  }

  /**
   * Acquires the lock, calls `fn(...args)`, and releases the lock when its
   * result is there (a returned Deferred or promise is waited on), whether
   * it succeeded or failed.
   *
   * @returns A Deferred of `fn`'s result. Cancelling it while it waits for
   * the lock takes it out of the line; cancelling it while `fn`'s Deferred
   * runs cancels that.
   * A `fn` that is not a function fails it with a `TypeError`.
   * @example Usage
   * ```ts
   * import { DeferredLock } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const lock = new DeferredLock();
   * const d = lock.run((a: number, b: number) => a + b, 2, 3);
   * assert.equal(d.result, 5);
   * assert.equal(lock.locked, false);
   * ```
   */
  run<T, A extends unknown[]>(
    fn: (...args: A) => T | PromiseLike<T>,
    ...args: A
  ): Deferred<T> {
    return this.#pool.run(() => this.release(), fn, args);
  }
}

/**
 * A semaphore for event-driven code, as Twisted's `DeferredSemaphore`: at
 * most `limit` holders at once; `acquire()` gives a Deferred that fires
 * (with the semaphore) when a token is free; `release()` gives the token
 * to the next waiter, first come first served.
 *
 * To limit how much work runs at once, {@linkcode DeferredSemaphore.run}
 * each piece through one semaphore.
 *
 * @example Usage
 * ```ts
 * import { Deferred, DeferredSemaphore, gatherResults } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const sem = new DeferredSemaphore(2);
 * const downloads = [new Deferred<string>(), new Deferred<string>(), new Deferred<string>()];
 * let running = 0;
 * const all = gatherResults(downloads.map((download) =>
 *   sem.run(() => {
 *     running++;
 *     return download.addCallback((page) => { running--; return page; });
 *   })
 * ));
 * assert.equal(running, 2);
 * downloads[0]!.callback("a");
 * assert.equal(running, 2);
 * downloads[1]!.callback("b");
 * downloads[2]!.callback("c");
 * assert.deepEqual(all.result, ["a", "b", "c"]);
 * ```
 */
export class DeferredSemaphore {
  #pool: TokenPool<DeferredSemaphore>;

  /**
   * Creates a semaphore with `tokens` tokens.
   *
   * @throws {RangeError} if `tokens` is not a whole number of at least 1.
   */
  constructor(tokens: number) {
    if (!Number.isSafeInteger(tokens) || tokens < 1) {
      throw new RangeError(
        `Cannot create a DeferredSemaphore with ${tokens} tokens: it needs a whole number of at least 1`,
      );
    }
    this.#pool = new TokenPool<DeferredSemaphore>(this, tokens);
  }

  /** How many tokens are free: `limit` minus the current holders. */
  get tokens(): number {
    return this.#pool.tokens;
  }

  /** The most holders at once: the number of tokens it was created with. */
  get limit(): number {
    return this.#pool.limit;
  }

  /**
   * Asks for a token: the Deferred fires with this semaphore once one is
   * yours (at once, if one is free).
   *
   * @example Usage
   * ```ts
   * import { DeferredSemaphore } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const sem = new DeferredSemaphore(1);
   * sem.acquire();
   * const waiting = sem.acquire();
   * assert.equal(sem.tokens, 0);
   * sem.release();
   * assert.equal(waiting.result, sem);
   * ```
   */
  acquire(): Deferred<DeferredSemaphore> {
    return this.#pool.acquire();
  }

  /**
   * Gives a token back, to the first waiter if there is one.
   *
   * @throws {NotAcquiredError} if every token is already free.
   * @example Usage
   * ```ts
   * import { DeferredSemaphore } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const sem = new DeferredSemaphore(3);
   * sem.acquire();
   * assert.equal(sem.tokens, 2);
   * sem.release();
   * assert.equal(sem.tokens, 3);
   * ```
   */
  release(): void {
    this.#pool.release(
      "Cannot release a DeferredSemaphore more times than it was acquired",
    );
  }

  /**
   * Acquires a token, calls `fn(...args)`, and releases the token when its
   * result is there (a returned Deferred or promise is waited on), whether
   * it succeeded or failed.
   *
   * @returns A Deferred of `fn`'s result; cancelling it while it waits for
   * a token takes it out of the line.
   * A `fn` that is not a function fails it with a `TypeError`.
   * @example Usage
   * ```ts
   * import { DeferredSemaphore } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const sem = new DeferredSemaphore(4);
   * assert.equal(await sem.run(async (name: string) => `hello ${name}`, "bob"), "hello bob");
   * assert.equal(sem.tokens, 4);
   * ```
   */
  run<T, A extends unknown[]>(
    fn: (...args: A) => T | PromiseLike<T>,
    ...args: A
  ): Deferred<T> {
    return this.#pool.run(() => this.release(), fn, args);
  }
}

/**
 * A queue for event-driven code, as Twisted's `DeferredQueue`: `put(x)`
 * adds an item; `get()` gives a Deferred of the next item, at once if one
 * is there, else when one is put. Items and waiting getters are served
 * first in, first out.
 *
 * `size` bounds the items held (a `put` beyond it throws
 * {@linkcode QueueOverflow}, as in Twisted); `backlog` bounds the getters
 * waiting (a `get` beyond it returns a Deferred failed with
 * {@linkcode QueueUnderflow}, where Twisted raises it: a function that
 * returns a Deferred does not throw). Cancelling a waiting `get()` takes it
 * out of the line, so the next item goes to the next getter.
 *
 * @typeParam T The type of the items.
 * @example Usage
 * ```ts
 * import { DeferredQueue } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const lines = new DeferredQueue<string>();
 * const seen: string[] = [];
 * lines.get().addCallback((line) => { seen.push(line); });
 * lines.put("HELO example.com");
 * lines.put("QUIT");
 * assert.deepEqual(seen, ["HELO example.com"]);
 * assert.equal(await lines.get(), "QUIT");
 * ```
 */
export class DeferredQueue<T> {
  /** The most items held at once (`Infinity`: no bound). */
  readonly size: number;
  /** The most getters waiting at once (`Infinity`: no bound). */
  readonly backlog: number;
  #waiting = new Line<Deferred<T>>();
  #pending = new Line<T>();
  #handOff = new HandOff<T>();
  #cancelGet = (d: Deferred<T>): void => this.#waiting.remove(d);
  // An item a queued getter refused goes to the next getter, or back to
  // the front of the held items (even past `size`: it was taken already).
  #putBack = (obj: T): void => {
    if (!this.#offer(obj)) this.#pending.unshift(obj);
  };

  /**
   * Creates an empty queue.
   *
   * @param size The most items held at once.
   * @param backlog The most getters waiting at once.
   * @throws {RangeError} if `size` or `backlog` is negative or not a number.
   */
  constructor(size: number = Infinity, backlog: number = Infinity) {
    for (const [name, value] of [["size", size], ["backlog", backlog]]) {
      if (typeof value !== "number" || !(value >= 0)) {
        throw new RangeError(
          `Cannot create a DeferredQueue with a ${name} of ${
            String(value)
          }: it needs a number of at least 0`,
        );
      }
    }
    this.size = size;
    this.backlog = backlog;
  }

  /** How many items are held, waiting for a `get()`. */
  get pending(): number {
    return this.#pending.length;
  }

  /** How many `get()` Deferreds are waiting for an item. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Adds an item: it goes to the first waiting getter, or is held.
   *
   * @throws {QueueOverflow} if no getter waits and `size` items are held.
   * @example Usage
   * ```ts
   * import { DeferredQueue, QueueOverflow } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const q = new DeferredQueue<number>(2);
   * q.put(1);
   * q.put(2);
   * assert.throws(() => q.put(3), QueueOverflow);
   * assert.equal(q.pending, 2);
   * ```
   */
  put(obj: T): void {
    if (isDeferred(obj)) {
      throw new TypeError(
        "Cannot put a Deferred in a DeferredQueue: a getter cannot be fired with a Deferred",
      );
    }
    if (this.#offer(obj)) return;
    if (this.#pending.length >= this.size) throw new QueueOverflow();
    this.#pending.push(obj);
  }

  // Gives obj to the first waiting getter, if there is one.
  #offer(obj: T): boolean {
    while (this.#waiting.length > 0) {
      const d = this.#waiting.shift();
      // Fired by someone else while it waited: no longer waiting.
      if (d.called) continue;
      this.#handOff.give(d, obj, this.#putBack);
      return true;
    }
    return false;
  }

  /**
   * Takes the next item: a fired Deferred if one is held, else a Deferred
   * that fires when one is put.
   *
   * @returns The Deferred of the item; if no item is held and `backlog`
   * getters wait, it fails at once with {@linkcode QueueUnderflow} (Twisted
   * raises it: here a function that returns a Deferred never throws).
   * @example Usage
   * ```ts
   * import { DeferredQueue, QueueUnderflow } from "@twixt/defer";
   * import { failureResultOf } from "@twixt/defer/testing";
   * import assert from "node:assert/strict";
   *
   * const q = new DeferredQueue<string>(Infinity, 1);
   * const next = q.get();
   * failureResultOf(q.get(), QueueUnderflow);
   * q.put("job");
   * assert.equal(next.result, "job");
   * ```
   */
  get(): Deferred<T> {
    if (this.#pending.length > 0) return succeed(this.#pending.shift());
    if (this.#waiting.length >= this.backlog) return fail(new QueueUnderflow());
    const d = new Deferred<T>(this.#cancelGet);
    this.#waiting.push(d);
    return d;
  }
}
