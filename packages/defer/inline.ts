/**
 * inlineCallbacks and ensureDeferred: sequential-looking code over
 * Deferreds, with generators (Twisted's way) or promises.
 *
 * @module
 */

import {
  _isolated,
  _runIn,
  captureContext,
  type ContextSnapshot,
} from "./context.ts";
import { Deferred } from "./deferred.ts";
import { Failure } from "./failure.ts";
import { fail, isThenable } from "./factories.ts";
import { _NOT_READY, _takeResult } from "./unhandled.ts";

// A generator driven by inlineCallbacks, and the Deferred it fires; that
// Deferred is replaced when the outer one is cancelled (see cancel below).
interface Status<T> {
  // deno-lint-ignore no-explicit-any
  it: Generator<unknown, T, any>;
  // The one closure a call makes: added to each Deferred the generator
  // waits on (to resume it), and the canceller of the Deferreds it fires.
  resume: (r: unknown) => void;
  deferred: Deferred<T>;
  waitingOn: Deferred<unknown> | undefined;
  // The generator's own async context, in which every step after the
  // first wait runs; taken when it first waits (see drive).
  context: ContextSnapshot | undefined;
  // Whether the generator has run its first steps.
  started: boolean;
}

// What an outer Deferred is fired with on cancel: its first callback
// (uncancel, shared by every call) turns it into "wait on the generator's
// new Deferred".
class Cancelled {
  constructor(readonly status: Status<unknown>) {}
}

function uncancel(r: unknown): unknown {
  return r instanceof Cancelled ? r.status.deferred : r;
}

/**
 * Wraps a generator function so that it returns a Deferred, Twisted's
 * `@inlineCallbacks`: inside, `yield` a Deferred (or a promise) to wait for
 * its result; a failure is thrown at the `yield`, where `try`/`catch`
 * handles it; the generator's `return` value fires the Deferred, and an
 * uncaught throw fails it. Yielding anything else gives it straight back.
 *
 * Cancelling the returned Deferred cancels the Deferred the generator is
 * waiting on; the resulting `CancelledError` is thrown into the generator,
 * which may catch it and carry on.
 *
 * Synchronously available results are handled in a loop, so a generator
 * may yield fired Deferreds any number of times without growing the stack.
 *
 * Each call keeps its own async context (`AsyncLocalStorage`), as
 * Twisted's does with contextvars: every step of the generator runs in the
 * context the function was called in, whoever fires the Deferred it waits
 * on; a value set inside with `enterWith` stays for the rest of the
 * generator and does not leak to the caller.
 *
 * TypeScript cannot tell what a plain `yield` gives back, so its value is
 * `any` unless annotated; `yield* waitFor(d)` gives `d`'s result type, and
 * the returned Deferred's type follows from what the generator returns.
 *
 * @typeParam A The wrapped function's parameters.
 * @typeParam T The generator's return type.
 * @example Usage
 * ```ts
 * import { Deferred, inlineCallbacks, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const double = inlineCallbacks(function* (n: number) {
 *   const a: number = yield succeed(n);
 *   const b: number = yield Promise.resolve(n);
 *   return a + b;
 * });
 * assert.equal(await double(21), 42);
 * ```
 */
export function inlineCallbacks<A extends unknown[], T>(
  // deno-lint-ignore no-explicit-any
  gen: (...args: A) => Generator<unknown, T, any>,
): (...args: A) => Deferred<T> {
  if (typeof gen !== "function") {
    throw new TypeError("Cannot apply inlineCallbacks to a non-function");
  }
  return function (this: unknown, ...args: A): Deferred<T> {
    // deno-lint-ignore no-explicit-any
    let it: Generator<unknown, T, any>;
    try {
      it = gen.apply(this, args);
    } catch (e) {
      return fail<T>(e);
    }
    if (
      it === null || typeof it !== "object" ||
      typeof (it as Partial<Generator>).next !== "function" ||
      typeof (it as Partial<Generator>).throw !== "function"
    ) {
      return fail<T>(
        new TypeError(
          `Cannot apply inlineCallbacks to ${
            gen.name || "a function"
          }: it did not return a generator`,
        ),
      );
    }
    const status: Status<T> = {
      it,
      // Called with a waited-on Deferred's result, which is never a
      // Deferred (a chain waits on those), or, as the canceller, with the
      // Deferred being cancelled.
      resume: (r: unknown): void => {
        if (r === status.deferred) cancel(status);
        else drive(r, status);
      },
      deferred: undefined as unknown as Deferred<T>,
      waitingOn: undefined,
      context: undefined,
      started: false,
    };
    const outer = cancellable(status);
    drive(undefined, status);
    return outer;
  };
}

// A Deferred for the generator to fire, whose cancellation keeps the
// generator running: instead of failing, it waits on a fresh Deferred that
// the generator fires, and cancels what the generator waits on, so the
// CancelledError reaches the generator (Twisted's
// _cancellableInlineCallbacks). Its canceller is the call's resume closure
// and its first callback a shared function: a call makes one closure.
function cancellable<T>(status: Status<T>): Deferred<T> {
  const d = new Deferred<T>(status.resume);
  d.addCallback(uncancel);
  status.deferred = d;
  return d;
}

function cancel<T>(status: Status<T>): void {
  const self = status.deferred;
  const awaited = status.waitingOn;
  cancellable(status);
  self.callback(new Cancelled(status as Status<unknown>) as T);
  awaited?.cancel();
}

// What a run of the generator's steps ended in: waiting on a Deferred, or
// the generator's end, returned or thrown.
const WAITING = Symbol("waiting");
class Threw {
  constructor(readonly error: unknown) {}
}

// Runs the generator from `first` for as long as its results are at hand,
// in its own context; then fires the outer Deferred outside that context,
// as Twisted runs only the generator's steps in it.
//
// The first steps run in the caller's context, which is the generator's,
// so they need no snapshot, only a scope that keeps their enterWith from
// leaking to the caller (_isolated: on Deno much cheaper than a snapshot).
// The context is captured only when the generator first waits, and again
// each time it waits after a wake-up, never when it ends: a generator that
// never waits takes no snapshot, and one that waits once takes one.
function drive<T>(first: unknown, status: Status<T>): void {
  const context = status.context;
  let end: typeof WAITING | Threw | IteratorReturnResult<T>;
  if (!status.started) {
    status.started = true;
    end = _isolated(stepsInContext<T>, first, status);
  } else {
    end = context === undefined
      ? steps(first, status)
      : _runIn(context, stepsInContext<T>, first, status);
  }
  if (end === WAITING) return;
  status.waitingOn = undefined;
  if (end instanceof Threw) status.deferred.errback(end.error);
  else finish(end.value, status);
}

// One run of steps inside the generator's context; when they end waiting,
// the context is captured there, so that what the steps set with enterWith
// lasts for the next ones (running a snapshot does not keep such changes in
// it, except on Node 20).
function stepsInContext<T>(
  first: unknown,
  status: Status<T>,
): typeof WAITING | Threw | IteratorReturnResult<T> {
  const end = steps(first, status);
  if (end === WAITING) status.context = captureContext();
  return end;
}

function steps<T>(
  first: unknown,
  status: Status<T>,
): typeof WAITING | Threw | IteratorReturnResult<T> {
  const it = status.it;
  let result = first;
  for (;;) {
    let step: IteratorResult<unknown, T>;
    try {
      step = result instanceof Failure
        ? it.throw(result.value)
        : it.next(result);
    } catch (e) {
      return new Threw(e);
    }
    if (step.done) return step;
    let yielded = step.value;
    if (!(yielded instanceof Deferred)) {
      if (!isThenable(yielded)) {
        result = yielded;
        continue;
      }
      yielded = Deferred.fromPromise(yielded);
    }
    const d = yielded as Deferred<unknown>;
    // Fired already, its chain run: take the result (leaving undefined, as
    // a callback returning nothing would) and loop; else resume from a
    // callback. Taking it directly spares a callback and a closure.
    const taken = _takeResult(d);
    if (taken === _NOT_READY) {
      status.waitingOn = d;
      d.addBoth(status.resume);
      return WAITING;
    }
    result = taken;
  }
}

// A generator may return a Deferred or promise; wait for it as a callback
// returning one would be waited on (and let cancellation reach it).
function finish<T>(value: unknown, status: Status<T>): void {
  if (value instanceof Deferred || isThenable(value)) {
    const inner = ensureDeferred(value as PromiseLike<T>);
    status.waitingOn = inner;
    inner.addBoth((r) => {
      status.waitingOn = undefined;
      status.deferred.callback(r as T);
    });
    return;
  }
  status.deferred.callback(value as T);
}

/**
 * Returns `x` as a Deferred: a Deferred as it is, a promise or other
 * thenable (such as an `async` function's result) wrapped by
 * `Deferred.fromPromise`. Anything else gives a Deferred failed with a
 * `TypeError`.
 *
 * @example Usage
 * ```ts
 * import { ensureDeferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * async function fetchName(): Promise<string> { return "twixt"; }
 * assert.equal(await ensureDeferred(fetchName()), "twixt");
 * ```
 */
export function ensureDeferred<T>(
  x: Deferred<T> | PromiseLike<T>,
): Deferred<T> {
  if (x instanceof Deferred) return x;
  if (isThenable(x)) return Deferred.fromPromise(x);
  return fail<T>(
    new TypeError(
      "Cannot make a Deferred from a value that is neither a Deferred nor a promise",
    ),
  );
}

/**
 * Waits, inside an {@linkcode inlineCallbacks} generator, for a Deferred or
 * promise, typed: `const page = yield* waitFor(getPage(url))` gives `page`
 * the Deferred's result type, where a plain `yield` gives `any`. It yields
 * `d` once; a failure is thrown at the `yield*`.
 *
 * @typeParam T The result type of `d`.
 * @param d The Deferred or promise to wait for.
 * @returns A generator to delegate to with `yield*`; its value is `d`'s
 * result.
 * @example Usage
 * ```ts
 * import { inlineCallbacks, succeed, waitFor } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const greet = inlineCallbacks(function* (name: string) {
 *   const greeting = yield* waitFor(succeed("hello")); // a string
 *   const n = yield* waitFor(Promise.resolve(name.length)); // a number
 *   return `${greeting.toUpperCase()} ${name} (${n})`;
 * });
 * const d = greet("ada"); // a Deferred<string>
 * assert.equal(await d, "HELLO ada (3)");
 * ```
 */
export function* waitFor<T>(
  d: Deferred<T> | PromiseLike<T>,
): Generator<Deferred<T> | PromiseLike<T>, T, unknown> {
  return (yield d) as T;
}
