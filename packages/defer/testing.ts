/**
 * Helpers for testing code that returns Deferreds, as in Twisted trial's
 * `SynchronousTestCase`: read a Deferred's result (or failure) right now,
 * assert it has none yet, and take the failures reported as unhandled.
 *
 * Paired with `Clock` from `@twixt/reactor/task`, they let a test drive
 * time by hand and check results synchronously, with no waiting.
 *
 * @example Usage
 * ```ts
 * import { Deferred } from "@twixt/defer";
 * import { assertNoResult, successResultOf } from "@twixt/defer/testing";
 * import assert from "node:assert/strict";
 *
 * const d = new Deferred<number>();
 * assertNoResult(d);
 * d.callback(42);
 * assert.equal(successResultOf(d), 42);
 * ```
 *
 * @module
 */

import type { Deferred } from "./deferred.ts";
import type { ErrorType } from "./failure.ts";
import { type Failure, isFailure } from "./failure.ts";
import { ensureDeferred } from "./inline.ts";
import { _observeFailures } from "./unhandled.ts";
import { assertionError } from "./_node.ts";

const NO_RESULT = Symbol("no result");

// Takes the result, as trial does: the Deferred goes on with undefined,
// and a Failure taken so is handled.
function take(d: Deferred<unknown>): unknown {
  let result: unknown = NO_RESULT;
  d.addBoth((r) => {
    result = r;
  });
  return result;
}

/**
 * Returns the result of a Deferred that has fired successfully, taking it
 * (the Deferred goes on with `undefined`).
 *
 * @throws {AssertionError} if it has no result yet, or failed.
 * @example Usage
 * ```ts
 * import { succeed } from "@twixt/defer";
 * import { successResultOf } from "@twixt/defer/testing";
 * import assert from "node:assert/strict";
 *
 * assert.equal(successResultOf(succeed("ok")), "ok");
 * ```
 */
export function successResultOf<T>(d: Deferred<T> | PromiseLike<T>): T {
  const deferred = ensureDeferred(d);
  const result = take(deferred);
  if (result === NO_RESULT) {
    throw assertionError({
      message:
        `Success result expected on ${deferred}, found no result instead`,
    });
  }
  if (isFailure(result)) {
    throw assertionError({
      message:
        `Success result expected on ${deferred}, found failure result instead:\n${result.getTraceback()}`,
    });
  }
  return result as T;
}

/**
 * Returns the Failure of a Deferred that has failed, taking it (so it is
 * not reported as unhandled). With `types`, the failure must match one.
 *
 * @throws {AssertionError} if it has no result, succeeded, or failed with
 * another type.
 * @example Usage
 * ```ts
 * import { fail } from "@twixt/defer";
 * import { failureResultOf } from "@twixt/defer/testing";
 * import assert from "node:assert/strict";
 *
 * const f = failureResultOf(fail(new RangeError("Too big")), RangeError);
 * assert.equal(f.getErrorMessage(), "Too big");
 * ```
 */
export function failureResultOf(
  d: Deferred<unknown> | PromiseLike<unknown>,
  ...types: ErrorType[]
): Failure {
  const deferred = ensureDeferred(d);
  const result = take(deferred);
  if (result === NO_RESULT) {
    throw assertionError({
      message:
        `Failure result expected on ${deferred}, found no result instead`,
    });
  }
  if (!isFailure(result)) {
    throw assertionError({
      message: `Failure result expected on ${deferred}, found success result (${
        String(result)
      }) instead`,
    });
  }
  if (types.length > 0 && result.check(...types) === null) {
    const expected = types
      .map((t) => (typeof t === "string" ? t : t.name))
      .join(" or ");
    throw assertionError({
      message:
        `Failure of type (${expected}) expected on ${deferred}, found type ${
          result.type?.name ?? String(result.value)
        } instead:\n${result.getTraceback()}`,
    });
  }
  return result;
}

/**
 * Asserts that a Deferred has no result yet. If it has one, the assertion
 * fails (and a Failure result is handled, so it is not reported twice).
 *
 * @throws {AssertionError} if the Deferred has a result.
 * @example Usage
 * ```ts
 * import { Deferred } from "@twixt/defer";
 * import { assertNoResult } from "@twixt/defer/testing";
 *
 * assertNoResult(new Deferred());
 * ```
 */
export function assertNoResult(
  d: Deferred<unknown> | PromiseLike<unknown>,
): void {
  const deferred = ensureDeferred(d);
  let result: unknown = NO_RESULT;
  deferred.addBoth((r) => {
    result = r;
    return r;
  });
  if (result !== NO_RESULT) {
    deferred.addErrback(() => undefined);
    throw assertionError({
      message: `No result expected on ${deferred}, found ${
        String(result)
      } instead`,
    });
  }
}

let logged: Failure[] = [];
_observeFailures((_message, failure) => {
  logged.push(failure);
});

/**
 * Takes the failures reported so far (unhandled Deferred failures, and
 * those passed to `logError`) that match `types` (all, if none are given),
 * so a test can assert on them. Reports are kept only once this module
 * has been imported.
 *
 * Unhandled failures are reported when their Deferred is garbage
 * collected, so a test of that must make the collector run first. Such a
 * report carries a detached copy of the failure (same class, message and
 * traceback): holding the original Error would keep the Deferred alive
 * through the Error's stack frames. Match reports by type, not identity.
 *
 * @example Usage
 * ```ts
 * import { Failure, logError, setFailureLogger } from "@twixt/defer";
 * import { flushLoggedErrors } from "@twixt/defer/testing";
 * import assert from "node:assert/strict";
 *
 * const previous = setFailureLogger(() => {});
 * logError(new Failure(new RangeError("Out")));
 * setFailureLogger(previous);
 * const errors = flushLoggedErrors(RangeError);
 * assert.equal(errors.length, 1);
 * ```
 */
export function flushLoggedErrors(...types: ErrorType[]): Failure[] {
  if (types.length === 0) {
    const all = logged;
    logged = [];
    return all;
  }
  const taken: Failure[] = [];
  const kept: Failure[] = [];
  for (const f of logged) (f.check(...types) === null ? kept : taken).push(f);
  logged = kept;
  return taken;
}

// Types this entry's API uses, exported here too so that the entry
// documents (and JSR scores it) on its own.
export type { AddCallbacksOptions, Deferred } from "./deferred.ts";
export type { ErrorClass, ErrorType, Failure } from "./failure.ts";
export type { IDelayedCall, IReactorTime } from "./time.ts";
