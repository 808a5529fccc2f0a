/**
 * Small ways to make a Deferred: already fired, or from a function call.
 *
 * @module
 */

import { Deferred, isDeferred } from "./deferred.ts";
import { isFailure } from "./failure.ts";
import { checkFunction } from "./_validate.ts";

/**
 * A Deferred that has already fired with `value`: callbacks added to it
 * run at once. A Deferred as `value` fails it with a `TypeError` instead
 * (Twisted raises an AssertionError; a function that returns a Deferred
 * does not throw): return a Deferred from a callback to chain it.
 *
 * @example Usage
 * ```ts
 * import { succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * let seen = "";
 * succeed("ready").addCallback((v) => { seen = v; });
 * assert.equal(seen, "ready");
 * ```
 */
export function succeed<T>(value: T): Deferred<T> {
  const d = new Deferred<T>();
  try {
    d.callback(value);
  } catch (e) {
    // d has no callbacks yet: only its refusal of a Deferred can throw.
    d.errback(e);
  }
  return d;
}

/**
 * A Deferred that has already failed with `reason` (wrapped in a
 * {@linkcode Failure} unless it is one).
 *
 * @example Usage
 * ```ts
 * import { fail } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * let message = "";
 * fail(new Error("No route")).addErrback((f) => { message = f.getErrorMessage(); });
 * assert.equal(message, "No route");
 * ```
 */
export function fail<T = never>(reason?: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(reason);
  return d;
}

/**
 * Calls `fn(...args)` and returns its result as a Deferred, whatever it
 * does: a Deferred is returned as it is, a promise is waited on, a value
 * becomes a fired Deferred, and a throw becomes a failed one.
 *
 * @example Usage
 * ```ts
 * import { maybeDeferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const ok = maybeDeferred((a: number, b: number) => a + b, 1, 2);
 * assert.equal(ok.result, 3);
 * const bad = maybeDeferred(() => { throw new Error("Broken"); });
 * bad.addErrback((f) => f.getErrorMessage());
 * assert.equal(bad.result, "Broken");
 * ```
 */
export function maybeDeferred<T, A extends unknown[]>(
  fn: (...args: A) => T | PromiseLike<T>,
  ...args: A
): Deferred<T> {
  const notAFunction = checkFunction("call", fn);
  if (notAFunction) return fail<T>(notAFunction);
  let result: T | PromiseLike<T>;
  try {
    result = fn(...args);
  } catch (e) {
    return fail<T>(e);
  }
  if (result instanceof Deferred) return result as Deferred<T>;
  // Another copy's Deferred, as one of this copy.
  if (isDeferred(result)) return Deferred.fromPromise(result as Deferred<T>);
  if (isFailure(result)) return fail<T>(result);
  if (isThenable(result)) return Deferred.fromPromise(result);
  return succeed(result as T);
}

/**
 * Calls `fn(...args)` now and returns a fired Deferred of its return value,
 * or a failed one if it throws. Unlike {@linkcode maybeDeferred}, a
 * returned promise is the result, not waited on; a returned Deferred
 * cannot be a result, so the Deferred fails with a `TypeError` (use
 * `maybeDeferred` for functions that may return one).
 *
 * @example Usage
 * ```ts
 * import { execute } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(execute(Math.max, 3, 7).result, 7);
 * ```
 */
export function execute<T, A extends unknown[]>(
  fn: (...args: A) => T,
  ...args: A
): Deferred<T> {
  const notAFunction = checkFunction("call", fn);
  if (notAFunction) return fail<T>(notAFunction);
  try {
    // succeed fails with a TypeError if fn returned a Deferred.
    return succeed(fn(...args));
  } catch (e) {
    return fail<T>(e);
  }
}

/** @internal Whether `x` has a callable `then`. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null &&
    (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function";
}
