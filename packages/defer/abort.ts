/**
 * Bridges between Deferred cancellation and the web's AbortSignal.
 *
 * @module
 */

import { Deferred } from "./deferred.ts";
import { CancelledError } from "./errors.ts";
import { maybeDeferred } from "./factories.ts";

/**
 * Runs `fn` with a fresh AbortSignal and returns a Deferred of its result;
 * cancelling the Deferred aborts the signal (with a `CancelledError` as the
 * reason) and fails the Deferred with `CancelledError` at once. This is how
 * signal-taking APIs such as `fetch` become cancellable Deferreds.
 *
 * @typeParam T The result of `fn`.
 * @example Usage
 * ```ts
 * import { CancelledError, fromAbortable } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * let aborted = false;
 * const d = fromAbortable((signal) =>
 *   new Promise<string>((resolve) => {
 *     const timer = setTimeout(() => resolve("late"), 1000);
 *     signal.addEventListener("abort", () => { aborted = true; clearTimeout(timer); });
 *   })
 * );
 * d.cancel();
 * assert.ok(aborted);
 * d.addErrback((f) => { f.trap(CancelledError); });
 * ```
 */
export function fromAbortable<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
): Deferred<T> {
  const controller = new AbortController();
  const d = new Deferred<T>(() => {
    controller.abort(new CancelledError());
  });
  // The work's own settling after a cancel (usually an AbortError) is
  // ignored: the Deferred has already failed with CancelledError.
  maybeDeferred(fn, controller.signal).addCallbacks(
    (v: T) => {
      if (!d.called) d.callback(v);
    },
    (f) => {
      if (!d.called) d.errback(f);
    },
  );
  return d;
}

/**
 * Cancels `d` when `signal` aborts (at once if it already has), and stops
 * listening once `d` has a result, so no listener outlives it.
 *
 * @returns `d`, for chaining.
 * @example Usage
 * ```ts
 * import { cancelOnAbort, CancelledError, Deferred, Failure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const d = cancelOnAbort(new Deferred<number>(), controller.signal);
 * controller.abort();
 * assert.ok(d.result instanceof Failure && d.result.check(CancelledError));
 * d.addErrback(() => {});
 * ```
 */
export function cancelOnAbort<T>(
  d: Deferred<T>,
  signal: AbortSignal,
): Deferred<T> {
  if (signal.aborted) {
    d.cancel();
    return d;
  }
  const onAbort = (): void => d.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  d.addBoth((r) => {
    signal.removeEventListener("abort", onAbort);
    return r;
  });
  return d as Deferred<T>;
}
