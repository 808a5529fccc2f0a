/**
 * LoopingCall: call a function every so many seconds, as Twisted's
 * `task.LoopingCall`.
 *
 * @module
 */

import {
  captureContext,
  type ContextSnapshot,
  Deferred,
  fail,
  type Failure,
  type IDelayedCall,
  type IReactorTime,
  maybeDeferred,
} from "@twixt/defer";
import { secondsError } from "./delayed_call.ts";
import { reactor } from "./reactor.ts";

/**
 * Calls a function repeatedly, every `interval` seconds, on a clock (the
 * reactor unless {@linkcode LoopingCall.clock} is set, e.g. to a `Clock`
 * in tests).
 *
 * The calls keep to the grid `start + k × interval`: when a call (or the
 * Deferred or promise it returned, which the loop waits for) takes longer
 * than an interval, the intervals that went by are skipped and the next
 * call waits for the next point of the grid still in the future.
 * {@linkcode LoopingCall.withCount} makes a loop that tells its function
 * how many intervals have passed since its last call.
 *
 * `start()` returns a Deferred that fires with the LoopingCall when
 * `stop()` is called, or fails (and the loop stops) when the function
 * throws or its Deferred or promise fails.
 *
 * @typeParam A The arguments passed to the function on each call.
 * @example Usage
 * ```ts
 * import { Clock, LoopingCall } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const seen: number[] = [];
 * const loop = new LoopingCall(() => { seen.push(clock.seconds()); });
 * loop.clock = clock;
 * const done = loop.start(0.5);
 * clock.pump([0.5, 0.5, 0.5]);
 * loop.stop();
 * assert.deepEqual(seen, [0, 0.5, 1, 1.5]);
 * assert.equal(done.result, loop);
 * ```
 */
export class LoopingCall<A extends unknown[] = []> {
  /** The function called on each round. */
  readonly f: (...args: A) => unknown;
  /** The arguments it is called with. */
  readonly a: A;
  /**
   * The clock the loop runs on: the reactor by default. Set it before
   * `start`, e.g. to a `Clock` in tests.
   */
  clock: IReactorTime = reactor;
  /** The scheduled next call, if one is scheduled. */
  call: IDelayedCall | undefined = undefined;
  /**
   * True from `start` until `stop`, or until the function fails; false
   * by the time the Deferred of `start` fires.
   */
  running = false;
  /**
   * Seconds between calls, as given to `start`. It may be changed while
   * the loop runs; the change applies from the next scheduling.
   */
  interval: number | undefined = undefined;
  /** When the loop was started (or last reset), on its clock. */
  starttime: number | undefined = undefined;
  #deferred: Deferred<LoopingCall<A>> | undefined = undefined;
  #runAtStart = false;
  #realLastTime: number | undefined = undefined;
  // The async context start() was called in: every round runs in it,
  // whoever fired the Deferred the last round returned.
  #context: ContextSnapshot | undefined = undefined;

  /**
   * Makes a loop that will call `f(...a)`; it starts with `start`.
   *
   * @throws {TypeError} if `f` is not a function.
   */
  constructor(f: (...args: A) => unknown, ...a: A) {
    if (typeof f !== "function") {
      throw new TypeError("Cannot loop over something not a function");
    }
    this.f = f;
    this.a = a;
  }

  /**
   * Makes a loop that calls `countCallable(count)`, where `count` is how
   * many intervals have passed since the previous call: normally 1, more
   * when calls were skipped because the clock jumped or the previous call
   * (or its Deferred) took longer than an interval. With an interval of 0
   * the count is always 1.
   *
   * @example Usage
   * ```ts
   * import { Clock, LoopingCall } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const counts: number[] = [];
   * const loop = LoopingCall.withCount((n) => { counts.push(n); });
   * loop.clock = clock;
   * loop.start(1);
   * clock.advance(1);
   * clock.advance(3);
   * loop.stop();
   * assert.deepEqual(counts, [1, 1, 3]);
   * ```
   */
  static withCount(countCallable: (count: number) => unknown): LoopingCall {
    const loop: LoopingCall = new LoopingCall((): unknown => {
      const now = loop.clock.seconds();
      if (loop.interval === 0) {
        loop.#realLastTime = now;
        return countCallable(1);
      }
      let lastTime = loop.#realLastTime;
      if (lastTime === undefined) {
        lastTime = loop.starttime!;
        if (loop.#runAtStart) lastTime -= loop.interval!;
      }
      const count = loop.#intervalOf(now) - loop.#intervalOf(lastTime);
      if (count > 0) {
        loop.#realLastTime = now;
        return countCallable(count);
      }
      return undefined;
    });
    return loop;
  }

  /**
   * Starts calling the function every `interval` seconds: at once if
   * `now` is true (the default), else after the first interval.
   *
   * @param interval Seconds between calls, 0 or more; 0 calls the
   * function again as soon as possible each time.
   * @returns A Deferred that fires with this LoopingCall when `stop` is
   * called, or fails with the function's error. It fails with a
   * `TypeError` for an interval that is not a number, a `RangeError` for a
   * negative, NaN or infinite one, and with an `Error` if the loop is
   * already running (which then goes on undisturbed). Every round runs in
   * the async context `start` was called in.
   * @example Usage
   * ```ts
   * import { Clock, LoopingCall } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * let calls = 0;
   * const loop = new LoopingCall(() => { calls++; });
   * loop.clock = clock;
   * loop.start(2, false);
   * assert.equal(calls, 0);
   * clock.advance(2);
   * assert.equal(calls, 1);
   * loop.stop();
   * ```
   */
  start(interval: number, now = true): Deferred<LoopingCall<A>> {
    if (this.running) {
      return fail(
        new Error("Cannot start a LoopingCall that is already running"),
      );
    }
    // Twisted raises ValueError for a negative interval; a Deferred was
    // promised here, so bad input fails it instead.
    const error = secondsError(interval, "start a LoopingCall", "interval");
    if (error !== undefined) return fail(error);
    this.running = true;
    // The loop may fail at once and clear #deferred; keep our own handle.
    const deferred = this.#deferred = new Deferred<LoopingCall<A>>();
    this.starttime = this.clock.seconds();
    this.interval = interval;
    this.#runAtStart = now;
    this.#realLastTime = undefined;
    this.#context = captureContext();
    if (now) this.#call();
    else this.#scheduleFrom(this.starttime);
    return deferred;
  }

  /**
   * Stops the loop: no further calls are made, and the Deferred of
   * `start` fires with this LoopingCall (at once, or, if the function's
   * Deferred or promise is pending, when it settles).
   *
   * @throws {Error} if the loop is not running.
   * @example Usage
   * ```ts
   * import { Clock, LoopingCall } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const loop = new LoopingCall(() => {});
   * loop.clock = new Clock();
   * const done = loop.start(1);
   * loop.stop();
   * assert.equal(loop.running, false);
   * assert.equal(done.result, loop);
   * ```
   */
  stop(): void {
    if (!this.running) {
      throw new Error("Cannot stop a LoopingCall that is not running");
    }
    this.running = false;
    if (this.call !== undefined) {
      this.call.cancel();
      this.call = undefined;
      this.#finish()?.callback(this);
    }
  }

  /**
   * Skips the next call and starts the intervals again from now.
   *
   * @throws {Error} if the loop is not running.
   * @example Usage
   * ```ts
   * import { Clock, LoopingCall } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * let calls = 0;
   * const loop = new LoopingCall(() => { calls++; });
   * loop.clock = clock;
   * loop.start(2, false);
   * clock.advance(1);
   * loop.reset();
   * clock.advance(1);
   * assert.equal(calls, 0);
   * clock.advance(1);
   * assert.equal(calls, 1);
   * loop.stop();
   * ```
   */
  reset(): void {
    if (!this.running) {
      throw new Error("Cannot reset a LoopingCall that is not running");
    }
    if (this.call !== undefined) {
      this.call.cancel();
      this.call = undefined;
      this.starttime = this.clock.seconds();
      this.#scheduleFrom(this.starttime);
    }
  }

  /** Twisted's repr: `LoopingCall<interval>(name, *args)`. */
  toString(): string {
    return `LoopingCall<${this.interval ?? "None"}>(${
      this.f.name || "anonymous"
    }, *${JSON.stringify(this.a) ?? "[]"})`;
  }

  // One round: call the function, then, once its result is in, schedule
  // the next round (or finish, if stopped meanwhile).
  #call = (): void => {
    this.call = undefined;
    const context = this.#context;
    if (context === undefined) this.#round();
    else context.run(this.#round);
  };

  #round = (): void => {
    // The errback is added after the callback, as in Twisted, so that it
    // also takes a failure to schedule the next round (an interval made
    // negative meanwhile, a clock that throws) and the loop stops with it
    // instead of hanging with `running` still true.
    maybeDeferred(this.f, ...this.a).addCallback(() => {
      if (this.running) this.#scheduleFrom(this.clock.seconds());
      else this.#finish()?.callback(this);
    }).addErrback((failure: Failure) => {
      this.running = false;
      this.#finish()?.errback(failure);
    });
  };

  #finish(): Deferred<LoopingCall<A>> | undefined {
    const d = this.#deferred;
    this.#deferred = undefined;
    return d;
  }

  #intervalOf(t: number): number {
    return Math.trunc((t - this.starttime!) / this.interval!);
  }

  #scheduleFrom(when: number): void {
    this.call = this.clock.callLater(this.#howLong(when), this.#call);
  }

  // Seconds from `when` to the next point of the grid.
  #howLong(when: number): number {
    const interval = this.interval!;
    if (interval === 0) return 0;
    const runningFor = when - this.starttime!;
    let sinceLast = runningFor % interval;
    // As Python's modulo: never negative for a positive interval.
    if (sinceLast < 0) sinceLast += interval;
    const untilNextInterval = interval - sinceLast;
    // An amount too small to change `when` (floating point) means we are
    // on a point of the grid already: wait a whole interval.
    if (when === when + untilNextInterval) return interval;
    return untilNextInterval;
  }
}
