/**
 * The Deferred: a result that is not there yet, with a chain of callbacks
 * and errbacks that run, synchronously, the moment it is.
 *
 * @module
 */

import { AlreadyCalledError, CancelledError, TimeoutError } from "./errors.ts";
import { _detachedFailure, Failure, isFailure } from "./failure.ts";
import type { IDelayedCall, IReactorTime } from "./time.ts";
import { describeValue, failInPlace } from "./_validate.ts";
import { _setPeek } from "./_peek.ts";
import {
  _callerStack,
  _NOT_READY as NOT_READY,
  _setTakeResult,
  _watch,
  type DebugInfo,
  getDebugging,
  logError,
} from "./unhandled.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;

/**
 * Options of {@linkcode Deferred.addCallbacks}: extra arguments for each side.
 *
 * @example Usage
 * ```ts
 * import { type AddCallbacksOptions, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const opts: AddCallbacksOptions = { callbackArgs: [10] };
 * const d = succeed(2).addCallbacks((n: number, by: number) => n * by, null, opts);
 * assert.equal(d.result, 20);
 * ```
 */
export interface AddCallbacksOptions {
  /** Passed to the callback after the result. */
  callbackArgs?: unknown[];
  /** Passed to the errback after the Failure. */
  errbackArgs?: unknown[];
}

/**
 * Returns its argument: the errback of {@linkcode Deferred.addCallback} and
 * the callback of {@linkcode Deferred.addErrback}, passing results through.
 *
 * @example Usage
 * ```ts
 * import { passthru } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(passthru(42), 42);
 * ```
 */
export function passthru<T>(x: T): T {
  return x;
}

// Marks the entry that hands a Deferred's result on to the Deferred that
// waits on it (Twisted's _CONTINUE); the entry's errback slot holds the
// waiter.
const CONTINUE: AnyFn = () => undefined;

// Passed to callback() by this module to run the chain without firing it;
// see resume.
const RESUME = Symbol("resume");

// #state packs, to keep a Deferred small: three flags, the form of the
// callback chain (KIND bits), and the pause count in the bits above.
const CALLED = 1;
const RUNNING = 2;
const SUPPRESS = 4;
// The chain is stored in #chain in the cheapest form that holds it: nothing;
// one entry whose other side passes the result through, as the function
// alone (CALLBACK, ERRBACK), one function for both sides (BOTH), or a
// continuation to a waiting Deferred (the waiter alone, CONTINUED); else
// an ARRAY [head, entry, entry, ...] whose first slot is the index of the
// next entry to run. An entry whose errback passes failures through (an
// addCallback, the common case) is its callback alone, one slot; any
// other is three, PAIR, callback, errback.
const PAIR: unknown = { pair: true };
const KIND = 7 << 3;
const EMPTY = 0;
const CALLBACK = 1 << 3;
const ERRBACK = 2 << 3;
const BOTH = 3 << 3;
const CONTINUED = 4 << 3;
const ARRAY = 5 << 3;
// One pause(); a state at or above it is paused.
const PAUSE = 1 << 6;

/**
 * A result that is not there yet: Twisted's `Deferred`, with its callback
 * chain, errbacks, chaining, pausing and cancellation.
 *
 * Add callbacks with {@linkcode Deferred.addCallback}, errbacks with
 * {@linkcode Deferred.addErrback}; fire it once with
 * {@linkcode Deferred.callback} or {@linkcode Deferred.errback}. Each
 * callback's return value is the next one's input; a throw switches to the
 * errback path, and an errback that returns normally switches back. A
 * callback returning another Deferred (or any promise) pauses the chain
 * until that one has a result. Callbacks run synchronously: as soon as the
 * result exists, or at once when added to a Deferred that already has one.
 *
 * A Deferred is a thenable, so `await d` works; see
 * {@linkcode Deferred.asPromise} for what awaiting takes.
 *
 * @typeParam T The type of the result the callbacks receive.
 * @example Usage
 * ```ts
 * import { Deferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const d = new Deferred<string>();
 * const seen: string[] = [];
 * d.addCallback((page) => page.toLowerCase())
 *   .addCallback((page) => { seen.push(page); });
 * d.callback("HELLO");
 * assert.deepEqual(seen, ["hello"]);
 * ```
 */
export class Deferred<T = unknown> implements PromiseLike<T> {
  /**
   * The current result once the Deferred has been fired: the last
   * callback's return value, a {@linkcode Failure} on the errback path, or
   * the Deferred being waited on while the chain is paused on it.
   */
  result: unknown = undefined;
  #state = 0;
  #chain: unknown = undefined;
  // deno-lint-ignore no-explicit-any
  #canceller: ((d: Deferred<any>) => void) | undefined;
  #debug: DebugInfo | undefined = undefined;

  /**
   * Creates an unfired Deferred.
   *
   * @param canceller Called by {@linkcode Deferred.cancel} to stop the work
   * behind this Deferred. If it does not fire the Deferred, `cancel`
   * errbacks it with {@linkcode CancelledError}.
   */
  constructor(canceller?: (d: Deferred<T>) => void) {
    this.#canceller = canceller;
    if (getDebugging()) {
      this.#debug = _watch(this);
      this.#debug.creator = _callerStack();
    }
  }

  /**
   * Whether {@linkcode Deferred.callback} or {@linkcode Deferred.errback}
   * has been called.
   */
  get called(): boolean {
    return (this.#state & CALLED) !== 0;
  }

  /**
   * How many {@linkcode Deferred.pause} calls are not yet matched by
   * `unpause`, plus one while the chain waits on another Deferred (as in
   * Twisted).
   */
  get paused(): number {
    return this.#state >>> 6;
  }

  /**
   * Adds a callback and an errback at the same level of the chain: exactly
   * one of them runs, with the result or the Failure that reaches that
   * level.
   *
   * @param callback Receives the result, then `opts.callbackArgs`.
   * @param errback Receives the Failure, then `opts.errbackArgs`; by default
   * the Failure passes on unchanged.
   * @returns This Deferred, typed with the new result.
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<number>();
   * d.addCallbacks((n) => n * 2, () => -1);
   * d.errback(new Error("No number"));
   * assert.equal(d.result, -1);
   * ```
   */
  addCallbacks<R, E = never>(
    // deno-lint-ignore no-explicit-any
    callback: (result: T, ...args: any[]) => R | PromiseLike<R>,
    // deno-lint-ignore no-explicit-any
    errback?:
      | ((failure: Failure, ...args: any[]) => E | PromiseLike<E> | Failure)
      | null,
    opts?: AddCallbacksOptions,
  ): Deferred<Exclude<R | E, Failure>> {
    if (typeof callback !== "function") {
      throw new TypeError("Cannot add a callback that is not a function");
    }
    if (errback != null && typeof errback !== "function") {
      throw new TypeError("Cannot add an errback that is not a function");
    }
    const callbackArgs = opts?.callbackArgs;
    const errbackArgs = opts?.errbackArgs;
    this.#add(
      callbackArgs?.length ? withArgs(callback, callbackArgs) : callback,
      errbackArgs?.length
        ? withArgs(errback ?? passthru, errbackArgs)
        : errback ?? passthru,
    );
    return this as unknown as Deferred<Exclude<R | E, Failure>>;
  }

  /**
   * Adds a callback; failures pass it by. Extra arguments are passed after
   * the result.
   *
   * @returns This Deferred, typed with the callback's result.
   * @example Usage
   * ```ts
   * import { succeed } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = succeed(2).addCallback((n, by: number) => n * by, 10);
   * assert.equal(d.result, 20);
   * ```
   */
  addCallback<R, A extends unknown[] = []>(
    callback: (result: T, ...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Deferred<Exclude<R, Failure>>;
  addCallback(callback: AnyFn, ...args: unknown[]): this {
    if (typeof callback !== "function") {
      throw new TypeError("Cannot add a callback that is not a function");
    }
    // A rest parameter, not `arguments`: engines inline this method and
    // drop the empty array (reading `arguments` made adding 1.5× as slow
    // on V8 and JSC); see withArgs for what keeps that possible.
    this.#add(
      args.length === 0 ? callback : withArgs(callback, args),
      passthru,
    );
    return this;
  }

  /**
   * Adds an errback; results pass it by. The errback may return a value
   * (recovering: the chain goes on with it), return or throw a Failure
   * (the failure goes on), or throw anything else (a new failure).
   *
   * @returns This Deferred, typed with the union of both paths' results.
   * @example Usage
   * ```ts
   * import { fail } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = fail(new Error("Down")).addErrback((f) => `recovered: ${f.getErrorMessage()}`);
   * assert.equal(d.result, "recovered: Down");
   * ```
   */
  addErrback<R = never, A extends unknown[] = []>(
    errback: (failure: Failure, ...args: A) => R | PromiseLike<R> | Failure,
    ...args: A
  ): Deferred<T | Exclude<R, Failure>>;
  addErrback(errback: AnyFn, ...args: unknown[]): this {
    if (typeof errback !== "function") {
      throw new TypeError("Cannot add an errback that is not a function");
    }
    this.#add(passthru, args.length === 0 ? errback : withArgs(errback, args));
    return this;
  }

  /**
   * Adds one function as both callback and errback: it receives the result
   * or the Failure, whichever arrives.
   *
   * @returns This Deferred, typed with the function's result.
   * @example Usage
   * ```ts
   * import { Deferred, Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const log: string[] = [];
   * const d = new Deferred<number>();
   * d.addBoth((r) => { log.push(r instanceof Failure ? "failed" : "ok"); });
   * d.errback(new Error("x"));
   * assert.deepEqual(log, ["failed"]);
   * ```
   */
  addBoth<R, A extends unknown[] = []>(
    fn: (result: T | Failure, ...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Deferred<Exclude<R, Failure>>;
  addBoth(fn: AnyFn, ...args: unknown[]): this {
    if (typeof fn !== "function") {
      throw new TypeError("Cannot add a callback that is not a function");
    }
    const both = args.length === 0 ? fn : withArgs(fn, args);
    this.#add(both, both);
    return this;
  }

  /**
   * Cancels this Deferred after `seconds` on `clock` unless it has fired by
   * then; a cancellation caused by the timeout fails with
   * {@linkcode TimeoutError} (or what `onTimeoutCancel` makes of it). The
   * timeout covers the callbacks added before this call, not those after.
   *
   * @param seconds How long to wait.
   * @param clock The reactor, or a `Clock` in tests.
   * @param onTimeoutCancel Called with the result and `seconds` when the
   * timeout cancelled the Deferred; its return value replaces the result.
   * @returns This Deferred. Bad arguments (`seconds` not a finite number of
   * at least 0, a `clock` without `callLater`) do not throw: as if it timed
   * out at once, the Deferred is cancelled if unfired, and from this point
   * its chain fails with a `TypeError` or `RangeError` naming the argument.
   * @example Usage
   * ```ts
   * import { Deferred, TimeoutError } from "@twixt/defer";
   * import type { IDelayedCall, IReactorTime } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * // A hand-driven clock; @twixt/reactor/task's Clock does this properly.
   * let due: (() => unknown) | undefined;
   * const clock = {
   *   seconds: () => 0,
   *   callLater: (_s: number, fn: () => unknown) => {
   *     due = fn;
   *     return { active: () => due !== undefined, cancel: () => { due = undefined; } } as IDelayedCall;
   *   },
   *   getDelayedCalls: () => [],
   * } as IReactorTime;
   *
   * const d = new Deferred<string>().addTimeout(5, clock);
   * let reason: unknown;
   * d.addErrback((f) => { reason = f.value; });
   * due?.();
   * assert.ok(reason instanceof TimeoutError);
   * ```
   */
  addTimeout(
    seconds: number,
    clock: IReactorTime,
    onTimeoutCancel?: (value: unknown, timeout: number) => unknown,
  ): this {
    let timedOut = false;
    let call: IDelayedCall;
    try {
      checkTimeout(seconds, clock, onTimeoutCancel);
      call = clock.callLater(seconds, () => {
        timedOut = true;
        this.cancel();
      });
    } catch (e) {
      // Bad input fails this Deferred rather than throwing: callers hold
      // the Deferred, not a try block (Twisted's callLater raises).
      failInPlace(this, e as Error);
      return this;
    }
    this.#add(convert, convert);
    this.#add(stopTimer, stopTimer);
    return this;

    function convert(value: unknown): unknown {
      if (!timedOut) return value;
      if (onTimeoutCancel) return onTimeoutCancel(value, seconds);
      if (value instanceof Failure) {
        value.trap(CancelledError);
        throw new TimeoutError(
          `Deferred timed out after ${seconds} seconds`,
          seconds,
        );
      }
      return value;
    }
    function stopTimer(value: unknown): unknown {
      if (call.active()) call.cancel();
      return value;
    }
  }

  /**
   * Makes `d` take part in this chain: at this point, this Deferred's
   * result fires `d`, and this chain goes on with `undefined`. Firing `d`
   * does not affect this one. Unlike returning `d` from a callback, long
   * `chainDeferred` cascades do use the stack, as in Twisted.
   *
   * @returns This Deferred.
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const a = new Deferred<number>();
   * const b = new Deferred<number>();
   * a.chainDeferred(b);
   * a.callback(7);
   * assert.equal(b.result, 7);
   * ```
   */
  chainDeferred(d: Deferred<T>): Deferred<void> {
    this.#add(
      (r: T) => {
        d.callback(r);
      },
      (f: Failure) => {
        d.errback(f);
      },
    );
    return this as unknown as Deferred<void>;
  }

  /**
   * Fires the callback chain with `result` (a {@linkcode Failure} fires the
   * errback chain instead).
   *
   * @throws {AlreadyCalledError} if this Deferred has been fired before.
   * @throws {TypeError} if `result` is a Deferred: return it from a callback
   * to chain it instead.
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<number>();
   * d.callback(3);
   * assert.equal(d.result, 3);
   * ```
   */
  callback(result: T | Failure): void {
    // RESUME, from this module only, runs the chain without firing: the
    // loop lives here so that a callback run by firing has one frame of
    // ours under it, not two. An Error thrown in a callback captures its
    // stack, and V8 pays 250-300 ns per frame (a failing chain: 10% faster).
    if (result !== RESUME) {
      // An array (DeferredList's result, say) is neither a Deferred nor a
      // Failure of any copy: skip the two brand lookups, which miss slowly.
      if (
        typeof result === "object" && result !== null && !Array.isArray(result)
      ) {
        if (isDeferred(result)) {
          throw new TypeError(
            "Cannot fire a Deferred with a Deferred; return it from a callback to chain it",
          );
        }
        // Another copy's Failure becomes this copy's, so the chain sees it.
        if (!(result instanceof Failure) && isFailure(result)) {
          this.#start(new Failure(result));
          return;
        }
      }
      if ((this.#state & CALLED) !== 0 || getDebugging()) {
        this.#start(result);
        return;
      }
      this.#state |= CALLED;
      this.result = result;
    }
    // Runs as much of the chain as can run now.
    //
    // This is a loop, not recursion, so that chains of any depth run in
    // constant stack (Twisted's `_runCallbacks`). When a callback returns an
    // unfired Deferred, this one pauses and leaves a CONTINUE entry on the
    // other; when the other fires, the loop meets that entry, hands the
    // result over and moves on to the waiting Deferred, keeping the
    // Deferreds it came through that have callbacks left in `parents`
    // instead of on the call stack, to finish their chains after.
    if (this.#state & RUNNING) return;
    let current = this as Deferred<unknown>;
    let parents: Deferred<unknown>[] | undefined;
    for (;;) {
      // Run current's own chain until it ends, pauses, or hands the result
      // to a waiting Deferred. One method rather than two, so that an error
      // thrown by a callback captures one frame fewer of ours in its stack
      // (capturing costs per frame). RUNNING stays set from one callback
      // to the next (nothing else runs in between), cleared only around
      // #adopt, which may call foreign code.
      let waiter: Deferred<unknown> | undefined;
      let state: number;
      current.#state |= RUNNING;
      // Unpaused (below PAUSE) and with an entry left (some KIND).
      while ((state = current.#state) < PAUSE && (state & KIND) !== EMPTY) {
        const kind = state & KIND;
        let callback: unknown;
        let errback: unknown;
        if (kind === ARRAY) {
          const entries = current.#chain as unknown[];
          let head = entries[0] as number;
          callback = entries[head];
          if (callback !== PAIR) {
            errback = passthru;
            head += 1;
          } else {
            callback = entries[head + 1];
            errback = entries[head + 2];
            head += 3;
          }
          if (head < entries.length) {
            entries[0] = head;
          } else {
            current.#chain = undefined;
            current.#state = state & ~KIND;
          }
        } else {
          callback = callbackOf(kind, current.#chain);
          errback = errbackOf(kind, current.#chain);
          current.#chain = undefined;
          current.#state = state & ~KIND;
        }
        if (callback === CONTINUE) {
          // Give the waiting Deferred this result; this chain goes on with
          // undefined once the waiter's has run.
          waiter = errback as Deferred<unknown>;
          waiter.result = current.result;
          current.result = undefined;
          if (current.#debug) current.#debug.failResult = undefined;
          waiter.#state -= PAUSE;
          break;
        }
        const input = current.result;
        const fn = (input instanceof Failure ? errback : callback) as AnyFn;
        if (fn === passthru) continue;
        let result: unknown;
        try {
          result = fn(input);
        } catch (e) {
          result = e instanceof Failure ? e : new Failure(e);
        }
        // One typeof for the common case, a value that is not an object.
        const type = typeof result;
        if (
          type === "object"
            ? result === null || result instanceof Failure
            : type !== "function"
        ) {
          current.result = result;
        } else {
          current.#state &= ~RUNNING;
          if (current.#adopt(result as object)) break; // Waiting on what it returned.
          current.#state |= RUNNING;
        }
      }
      current.#state &= ~RUNNING;
      if (waiter !== undefined) {
        // Come back for the rest of this chain, if any, after the waiter's.
        if (current.#state & KIND) (parents ??= []).push(current);
        current = waiter;
        continue;
      }
      // Remember a Failure the chain stopped on, for unhandled-error reports.
      if (current.result instanceof Failure) {
        noteFailure(current.#debug ??= _watch(current), current.result);
      } else if (current.#debug !== undefined) {
        current.#debug.failResult = undefined;
      }
      if (parents === undefined || parents.length === 0) return;
      current = parents.pop()!;
    }
  }

  /**
   * Fires the errback chain. A reason that is not a Failure is wrapped in
   * one; no reason at all means an unnamed `Error`.
   *
   * @throws {AlreadyCalledError} if this Deferred has been fired before.
   * @example Usage
   * ```ts
   * import { Deferred, Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<number>();
   * d.errback(new RangeError("Out of range"));
   * assert.ok(d.result instanceof Failure);
   * d.addErrback(() => 0);
   * ```
   */
  errback(reason?: unknown): void {
    const failure = reason instanceof Failure
      ? reason
      : reason === undefined
      ? new Failure()
      : new Failure(reason);
    // As in callback.
    if ((this.#state & CALLED) !== 0 || getDebugging()) {
      this.#start(failure);
      return;
    }
    this.#state |= CALLED;
    this.result = failure;
    callbackMethod.call(this, RESUME);
  }

  /**
   * Stops the chain from running until a matching
   * {@linkcode Deferred.unpause}; the result may still arrive meanwhile.
   *
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<number>();
   * let seen = 0;
   * d.addCallback((n) => { seen = n; });
   * d.pause();
   * d.callback(5);
   * assert.equal(seen, 0);
   * d.unpause();
   * assert.equal(seen, 5);
   * ```
   */
  pause(): void {
    this.#state += PAUSE;
  }

  /**
   * Undoes one {@linkcode Deferred.pause}; when none remain and a result is
   * there, the chain runs on. An unmatched call does nothing, nor does one
   * that would end a wait on another Deferred (only its firing does).
   */
  unpause(): void {
    const pauses = this.#state >>> 6;
    if (pauses === 0) return;
    if (
      pauses === 1 && (this.#state & CALLED) && this.result instanceof Deferred
    ) {
      return;
    }
    this.#state -= PAUSE;
    if (this.#state < PAUSE && (this.#state & CALLED)) {
      callbackMethod.call(this, RESUME);
    }
  }

  /**
   * Cancels the work behind this Deferred. Unfired, it calls the canceller;
   * if that did not fire it (or there is none), it errbacks with
   * {@linkcode CancelledError}. Without a canceller, the one later
   * `callback` or `errback` from the work is silently ignored. If this
   * Deferred is waiting on another, the other is cancelled instead.
   * A fired Deferred ignores cancellation.
   *
   * @example Usage
   * ```ts
   * import { CancelledError, Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * let stopped = false;
   * const d = new Deferred<string>(() => { stopped = true; });
   * d.addErrback((f) => { f.trap(CancelledError); });
   * d.cancel();
   * assert.ok(stopped);
   * ```
   */
  cancel(): void {
    if (!(this.#state & CALLED)) {
      const canceller = this.#canceller;
      if (canceller) {
        try {
          canceller(this);
        } catch (e) {
          // A broken canceller must not leave the Deferred hanging.
          if (!(this.#state & CALLED)) {
            this.errback(e);
          } else {
            logError(new Failure(e));
          }
          return;
        }
      } else {
        this.#state |= SUPPRESS;
      }
      if (!(this.#state & CALLED)) {
        this.errback(new Failure(new CancelledError()));
      }
    } else if (this.result instanceof Deferred) {
      this.result.cancel();
    }
  }

  /**
   * Makes `await d` and `d.then(...)` work, with the rule of
   * {@linkcode Deferred.asPromise}.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.asPromise().then(onfulfilled, onrejected);
  }

  /**
   * A Promise of this Deferred's result, rejected with the failure's
   * `value`. As with Twisted's `await`: if the result is not there yet, the
   * Promise takes it when it comes, and this chain goes on with
   * `undefined` (a failure taken so is handled); if the result is already
   * there, the Promise reads it and leaves it in place (a failure read so
   * is not reported as unhandled).
   *
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<number>();
   * setTimeout(() => d.callback(9), 0);
   * assert.equal(await d.asPromise(), 9);
   * ```
   */
  asPromise(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const r = this.result;
      // Fired, and the chain has run to its end: not paused or waiting,
      // not in one of its own callbacks, no callback left.
      const state = this.#state;
      if (
        (state & CALLED) && state < PAUSE && (state & (KIND | RUNNING)) === 0
      ) {
        if (r instanceof Failure) {
          if (this.#debug) this.#debug.failResult = undefined;
          reject(r.value);
        } else {
          resolve(r as T);
        }
        return;
      }
      this.#add(
        (v: T) => {
          resolve(v);
        },
        (f: Failure) => {
          reject(f.value);
        },
      );
    });
  }

  /**
   * A Deferred that fires with the promise's value, or fails with its
   * rejection reason (with a `TypeError` if `p` is not a thenable).
   * Cancelling it does not stop the promise (promises cannot be stopped);
   * its later settling is then ignored. For work that can be stopped, see
   * `fromAbortable`.
   *
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = Deferred.fromPromise(Promise.resolve("done"));
   * assert.equal(await d, "done");
   * ```
   */
  static fromPromise<T>(p: PromiseLike<T>): Deferred<T> {
    if (!(p instanceof Deferred) && isDeferred(p)) {
      return fromForeign(p) as Deferred<T>;
    }
    let then: unknown;
    try {
      then = (p as PromiseLike<T> | null | undefined)?.then;
    } catch (e) {
      then = new Failure(e);
    }
    if (typeof then === "function") {
      return fromThenable(p, then as PromiseLike<T>["then"]);
    }
    // Twisted's fromCoroutine raises NotACoroutineError; here bad input
    // fails the Deferred instead.
    const d = new Deferred<T>();
    d.errback(
      then instanceof Failure ? then : new TypeError(
        "Cannot make a Deferred from a value that is not a promise or thenable",
      ),
    );
    return d;
  }

  /**
   * Twisted's name for {@linkcode Deferred.fromPromise}: an `async`
   * function's Promise is JavaScript's coroutine.
   *
   * @example Usage
   * ```ts
   * import { Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * async function work(): Promise<number> { return 1; }
   * assert.equal(await Deferred.fromCoroutine(work()), 1);
   * ```
   */
  static fromCoroutine<T>(p: PromiseLike<T>): Deferred<T> {
    return Deferred.fromPromise(p);
  }

  /** A short description: pending, waiting, or the current result. */
  toString(): string {
    if (!(this.#state & CALLED)) return "Deferred { pending }";
    if (this.result instanceof Deferred) {
      return "Deferred { waiting on another Deferred }";
    }
    return `Deferred { current result: ${String(this.result)} }`;
  }

  // describe.ts reads the state and chain (describeDeferred, printing):
  // handed over once here, so the Deferred itself pays nothing.
  static {
    _setPeek((d) => {
      const s = d.#state;
      const kind = s & KIND;
      return {
        called: (s & CALLED) !== 0,
        running: (s & RUNNING) !== 0,
        paused: s >>> 6,
        entries: kind === ARRAY
          ? pairsOf(d.#chain as unknown[])
          : kind === EMPTY
          ? [1]
          : [1, callbackOf(kind, d.#chain), errbackOf(kind, d.#chain)],
        cont: CONTINUE,
      };
    });
    _setTakeResult((d) => {
      const s = d.#state;
      // Fired, unpaused, not running its chain, no entry left: what a
      // callback added now would see at once.
      if ((s & CALLED) === 0 || s >= PAUSE || (s & (KIND | RUNNING)) !== 0) {
        return NOT_READY;
      }
      const r = d.result;
      d.result = undefined;
      if (d.#debug !== undefined) d.#debug.failResult = undefined;
      return r;
    });
  }

  #add(callback: AnyFn, errback: AnyFn): void {
    // The common case first: one more entry on an unfired chain's array.
    if ((this.#state & (KIND | CALLED)) === ARRAY) {
      if (errback === passthru) (this.#chain as unknown[]).push(callback);
      else (this.#chain as unknown[]).push(PAIR, callback, errback);
      return;
    }
    this.#push(callback, errback);
    if (this.#state & CALLED) callbackMethod.call(this, RESUME);
  }

  // Appends an entry to the chain; for a continuation, `errback` is the
  // waiting Deferred.
  #push(callback: AnyFn, errback: unknown): void {
    const state = this.#state;
    const kind = state & KIND;
    if (kind === ARRAY) {
      if (errback === passthru) (this.#chain as unknown[]).push(callback);
      else (this.#chain as unknown[]).push(PAIR, callback, errback);
      return;
    }
    if (kind === EMPTY) {
      let single = EMPTY;
      if (errback === passthru) single = CALLBACK;
      else if (callback === passthru) single = ERRBACK;
      else if (callback === errback) single = BOTH;
      else if (callback === CONTINUE) single = CONTINUED;
      if (single !== EMPTY) {
        this.#chain = single === CALLBACK || single === BOTH
          ? callback
          : errback;
        this.#state = state | single;
        return;
      }
      this.#chain = [1, PAIR, callback, errback];
    } else {
      // One array literal per case: growing one by push costs a copy.
      const stored = this.#chain;
      const single = errback === passthru;
      if (kind === CALLBACK) {
        this.#chain = single
          ? [1, stored, callback]
          : [1, stored, PAIR, callback, errback];
      } else {
        const first = callbackOf(kind, stored);
        const second = errbackOf(kind, stored);
        this.#chain = single
          ? [1, PAIR, first, second, callback]
          : [1, PAIR, first, second, PAIR, callback, errback];
      }
    }
    this.#state = (state & ~KIND) | ARRAY;
  }

  #start(result: unknown): void {
    if (this.#state & CALLED) {
      if (this.#state & SUPPRESS) {
        this.#state &= ~SUPPRESS;
        return;
      }
      const debug = this.#debug?.describe();
      throw new AlreadyCalledError(
        debug ? `Cannot fire a Deferred twice\n${debug}` : undefined,
      );
    }
    if (getDebugging()) {
      (this.#debug ??= _watch(this)).invoker = _callerStack();
    }
    this.#state |= CALLED;
    this.result = result;
    callbackMethod.call(this, RESUME);
  }

  // Makes a callback's result that is an object this chain's result: a
  // Deferred or thenable with a result gives it up; one without is waited
  // on (returns true).
  #adopt(returned: object): boolean {
    let inner: Deferred<unknown>;
    if (returned instanceof Deferred) {
      inner = returned;
    } else {
      let then: unknown;
      try {
        then = (returned as PromiseLike<unknown>).then;
      } catch (e) {
        this.result = new Failure(e);
        return false;
      }
      if (typeof then !== "function") {
        // Another copy's Failure is a failure here too (never an array).
        this.result = !Array.isArray(returned) && isFailure(returned)
          ? new Failure(returned)
          : returned;
        return false;
      }
      inner = isDeferred(returned) ? fromForeign(returned) : fromThenable(
        returned as PromiseLike<unknown>,
        then as PromiseLike<unknown>["then"],
      );
    }
    if (inner === this) {
      this.result = new Failure(
        new TypeError(
          "Cannot chain a Deferred to itself: a callback returned the Deferred it was added to",
        ),
      );
      return false;
    }
    if (
      !(inner.#state & CALLED) || inner.#state >= PAUSE ||
      inner.result instanceof Deferred
    ) {
      // No result yet: wait for it.
      this.result = inner;
      this.#state += PAUSE;
      inner.#push(CONTINUE, this);
      return true;
    }
    // The inner Deferred has its result: take it and go on.
    this.result = inner.result;
    inner.result = undefined;
    if (inner.#debug) inner.#debug.failResult = undefined;
    return false;
  }
}

// What runs a chain, with RESUME (see callback): this class's callback,
// not a subclass's override, which would not know RESUME.
const callbackMethod = Deferred.prototype.callback;

// Failures that chains stopped on in this turn, as pairs (the Deferred's
// DebugInfo, the Failure): after the turn, those still unhandled are
// replaced by a detached copy (see _detachedFailure), without which a
// Deferred whose callback threw could never be collected and reported.
// Not at once, since most are handled within the turn and a copy costs a
// formatted stack trace.
let noted: unknown[] = [];

function noteFailure(info: DebugInfo, failure: Failure): void {
  info.failResult = failure;
  if (noted.length === 0) queueMicrotask(detachNoted);
  noted.push(info, failure);
}

function detachNoted(): void {
  const pairs = noted;
  noted = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const info = pairs[i] as DebugInfo;
    const failure = pairs[i + 1] as Failure;
    if (info.failResult === failure) {
      info.failResult = _detachedFailure(failure);
    }
  }
}

// Throws the TypeError or RangeError that addTimeout's arguments deserve.
function checkTimeout(
  seconds: unknown,
  clock: unknown,
  onTimeoutCancel: unknown,
): void {
  if (typeof seconds !== "number") {
    throw new TypeError(
      `Cannot add a timeout of ${
        describeValue(seconds)
      } seconds: seconds must be a number`,
    );
  }
  if (!(seconds >= 0) || seconds === Infinity) {
    throw new RangeError(
      `Cannot add a timeout of ${seconds} seconds: seconds must be a finite number of at least 0`,
    );
  }
  if (
    typeof (clock as Partial<IReactorTime> | null)?.callLater !== "function"
  ) {
    throw new TypeError(
      `Cannot add a timeout with clock ${
        describeValue(clock)
      }: it must have a callLater method (an IReactorTime)`,
    );
  }
  if (onTimeoutCancel !== undefined && typeof onTimeoutCancel !== "function") {
    throw new TypeError(
      `Cannot add a timeout with onTimeoutCancel ${
        describeValue(onTimeoutCancel)
      }: it must be a function`,
    );
  }
}

// An ARRAY chain as describe.ts reads it: [head, callback, errback, ...],
// two slots per entry, head the index of the next entry's callback.
function pairsOf(entries: unknown[]): unknown[] {
  const pairs: unknown[] = [0];
  const head = entries[0] as number;
  for (let i = 1; i < entries.length;) {
    if (i === head) pairs[0] = pairs.length;
    if (entries[i] === PAIR) {
      pairs.push(entries[i + 1], entries[i + 2]);
      i += 3;
    } else {
      pairs.push(entries[i], passthru);
      i += 1;
    }
  }
  return pairs;
}

// The two sides of an entry stored in a single-entry form.
function callbackOf(kind: number, stored: unknown): unknown {
  return kind === ERRBACK ? passthru : kind === CONTINUED ? CONTINUE : stored;
}
function errbackOf(kind: number, stored: unknown): unknown {
  return kind === CALLBACK ? passthru : stored;
}

// `fn` with extra arguments passed after the result, as Twisted's
// callbackArgs: entries hold one function per side, so the arguments go in
// a closure; one and two arguments, the common cases, without a spread.
// Callers make one only when there are arguments, keeping the common path
// small enough to inline.
function withArgs(fn: AnyFn, args: unknown[]): AnyFn {
  const a = args[0];
  if (args.length === 1) return (result: unknown) => fn(result, a);
  const b = args[1];
  if (args.length === 2) return (result: unknown) => fn(result, a, b);
  // A copy: a closure over the caller's rest array would make it escape,
  // and engines could no longer drop that array when it is empty (adding
  // ten callbacks took 1.3-1.8× as long).
  const all = Array.from(args);
  return (result: unknown) => fn(result, ...all);
}

// Marks Deferreds of every copy of this module (a bundle, or a nested
// duplicate in node_modules, may hold two), so each recognises the others'.
const DEFERRED_BRAND = Symbol.for("twixt.deferred");
Object.defineProperty(Deferred.prototype, DEFERRED_BRAND, { value: true });

/**
 * Whether `x` is a {@linkcode Deferred}, from this copy of `@twixt/defer`
 * or from any other (`instanceof` only knows its own copy's class). Every
 * function here that takes a Deferred takes another copy's too.
 *
 * @example Usage
 * ```ts
 * import { Deferred, isDeferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDeferred(new Deferred()));
 * assert.ok(!isDeferred(Promise.resolve(1)));
 * ```
 */
export function isDeferred(x: unknown): x is Deferred<unknown> {
  return x instanceof Deferred ||
    (typeof x === "object" && x !== null &&
      (x as { [DEFERRED_BRAND]?: unknown })[DEFERRED_BRAND] === true);
}

// A Deferred of this copy for a Deferred of another copy, chained at once
// through the other's public methods: it takes the other's result (whose
// chain goes on with undefined, as when a callback returns a Deferred),
// and cancelling it cancels the other.
function fromForeign(other: Deferred<unknown>): Deferred<unknown> {
  const d = new Deferred<unknown>(() => other.cancel());
  other.addBoth((r: unknown) => {
    if (!d.called) d.callback(r);
  });
  return d;
}

// A Deferred for a thenable, made as robust as Promise resolution: only the
// first settlement counts, and a `then` that throws fails the Deferred.
function fromThenable<T>(
  p: PromiseLike<T>,
  then: PromiseLike<T>["then"],
): Deferred<T> {
  const d = new Deferred<T>();
  let settled = false;
  const fulfil = (v: T): void => {
    if (settled) return;
    settled = true;
    if (isDeferred(v)) v.chainDeferred(d);
    else d.callback(v);
  };
  const reject = (e: unknown): void => {
    if (settled) return;
    settled = true;
    d.errback(e);
  };
  try {
    then.call(p, fulfil, reject);
  } catch (e) {
    reject(e);
  }
  return d;
}
