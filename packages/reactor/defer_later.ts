/**
 * deferLater: a Deferred that fires after a delay, as Twisted's
 * `task.deferLater`.
 *
 * @module
 */

import { Deferred, fail, type IReactorTime } from "@twixt/defer";
import { describe, secondsError } from "./delayed_call.ts";

/**
 * Returns a Deferred that fires `delay` seconds from now on `clock` with
 * the result of `fn(...args)` (with `undefined` when there is no `fn`). If
 * `fn` throws, the Deferred fails; if it returns a Deferred or promise, the
 * Deferred waits for it. Cancelling the Deferred before the time cancels
 * the call, and it fails with `CancelledError`.
 *
 * @param clock The reactor, or a `Clock` in tests.
 * @param delay Seconds to wait: a finite number, 0 or more; a bad delay
 * fails the Deferred with a `TypeError` (not a number) or `RangeError`
 * (NaN, negative, infinite), never a synchronous throw.
 * @param fn What to call when the time comes.
 * @returns A Deferred of `fn`'s result.
 * @example Usage
 * ```ts
 * import { Clock, deferLater } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const d = deferLater(clock, 3, (a: number, b: number) => a + b, 1, 2);
 * clock.advance(2);
 * assert.equal(d.called, false);
 * clock.advance(1);
 * assert.equal(d.result, 3);
 * ```
 */
export function deferLater(clock: IReactorTime, delay: number): Deferred<void>;
/**
 * Returns a Deferred that fires `delay` seconds from now on `clock` with
 * the result of `fn(...args)`; see the form without `fn` for the details.
 *
 * @example Usage
 * ```ts
 * import { Clock, deferLater } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const d = deferLater(clock, 1, (name: string) => `hello ${name}`, "you");
 * clock.advance(1);
 * assert.equal(d.result, "hello you");
 * ```
 */
export function deferLater<T, A extends unknown[]>(
  clock: IReactorTime,
  delay: number,
  fn: (...args: A) => T | PromiseLike<T>,
  ...args: A
): Deferred<T>;
export function deferLater<T, A extends unknown[]>(
  clock: IReactorTime,
  delay: number,
  fn?: (...args: A) => T | PromiseLike<T>,
  ...args: A
): Deferred<T | void> {
  if (
    typeof (clock as Partial<IReactorTime> | null)?.callLater !== "function"
  ) {
    return fail(
      new TypeError(
        `Cannot defer a call on clock ${describe(clock)}: it has no callLater`,
      ),
    );
  }
  const error = secondsError(delay, "defer a call", "delay");
  if (error !== undefined) return fail(error);
  if (fn !== undefined && typeof fn !== "function") {
    return fail(
      new TypeError(
        `Cannot defer a call to fn ${describe(fn)}: it is not a function`,
      ),
    );
  }
  const d = new Deferred<T | void>(() => {
    if (call.active()) call.cancel();
  });
  let call: ReturnType<IReactorTime["callLater"]>;
  try {
    call = clock.callLater(delay, () => d.callback(undefined));
  } catch (e) {
    return fail(e);
  }
  if (fn === undefined) return d;
  return d.addCallback(() => fn(...args));
}
