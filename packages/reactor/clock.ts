/**
 * Clock: deterministic time for tests, as Twisted's `task.Clock`.
 *
 * @module
 */

import type { IReactorTime } from "@twixt/defer";
import { type DelayedCall, secondsError, TimedCalls } from "./delayed_call.ts";

/**
 * A clock that only moves when told to: an {@linkcode IReactorTime} for
 * tests, to pass wherever the reactor would go (`LoopingCall.clock`,
 * `deferLater`, `Deferred.addTimeout`, ...). Time starts at 0;
 * {@linkcode Clock.advance} moves it and runs the calls that fell due, in
 * time order, and those due at the same time in the order they were
 * scheduled.
 *
 * Unlike Twisted's Clock, which re-sorts its list on every call, the calls
 * are kept in a heap, so a hundred thousand pending calls cost O(log n)
 * each to schedule, cancel and run. Also unlike it, `callLater` checks its
 * delay as the reactor does.
 *
 * @example Usage
 * ```ts
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const log: string[] = [];
 * clock.callLater(2, () => log.push("two"));
 * clock.callLater(1, () => log.push("one"));
 * clock.advance(1);
 * assert.deepEqual(log, ["one"]);
 * clock.advance(1);
 * assert.deepEqual(log, ["one", "two"]);
 * assert.equal(clock.seconds(), 2);
 * ```
 */
export class Clock implements IReactorTime {
  /** The clock's current time, in seconds; `advance` moves it. */
  rightNow = 0;
  readonly #calls: TimedCalls = new TimedCalls(() => this.rightNow);

  /**
   * The clock's current time.
   *
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Clock().seconds(), 0);
   * ```
   */
  seconds(): number {
    return this.rightNow;
  }

  /**
   * Schedules `fn(...args)` for `delay` seconds from the clock's now; it
   * runs when {@linkcode Clock.advance} reaches that time.
   *
   * The call runs in the async context current when it was scheduled,
   * whichever context advances the clock.
   *
   * @throws {RangeError} if `delay` is negative, NaN or infinite.
   * @throws {TypeError} if `delay` is not a number, or `fn` is not a
   * function.
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const seen: number[] = [];
   * clock.callLater(1, (n: number) => seen.push(n), 7);
   * clock.advance(1);
   * assert.deepEqual(seen, [7]);
   * ```
   */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): DelayedCall {
    return this.#calls.schedule(delay, fn, args);
  }

  /**
   * The calls scheduled and not yet run or cancelled, earliest first.
   *
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const late = clock.callLater(2, () => {});
   * const early = clock.callLater(1, () => {});
   * assert.deepEqual(clock.getDelayedCalls(), [early, late]);
   * ```
   */
  getDelayedCalls(): DelayedCall[] {
    return this.#calls.calls();
  }

  /** The pending calls, earliest first; Twisted's `Clock.calls`. */
  get calls(): DelayedCall[] {
    return this.#calls.calls();
  }

  /**
   * Moves time forward by `amount` seconds and runs every call that is
   * due by then, including calls those calls schedule for no later than
   * the new time. An error thrown by a call propagates out of `advance`
   * (as in Twisted), leaving the later calls scheduled.
   *
   * @throws {RangeError} if `amount` is negative, NaN or infinite.
   * @throws {TypeError} if `amount` is not a number.
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * let ticks = 0;
   * const tick = (): void => {
   *   ticks++;
   *   clock.callLater(1, tick);
   * };
   * tick();
   * clock.advance(3);
   * assert.equal(ticks, 2);
   * ```
   */
  advance(amount: number): void {
    const error = secondsError(amount, "advance a Clock", "amount");
    if (error !== undefined) throw error;
    this.rightNow += amount;
    const calls = this.#calls;
    for (;;) {
      // Read the time each round: a call may itself advance the clock.
      const call = calls.takeDue(this.rightNow);
      if (call === undefined) return;
      call._invoke();
    }
  }

  /**
   * Advances the clock by each of `timings` in turn.
   *
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const times: number[] = [];
   * clock.callLater(1, () => times.push(clock.seconds()));
   * clock.pump([0.5, 0.5, 0.5]);
   * assert.deepEqual(times, [1]);
   * assert.equal(clock.seconds(), 1.5);
   * ```
   */
  pump(timings: Iterable<number>): void {
    for (const amount of timings) this.advance(amount);
  }
}
