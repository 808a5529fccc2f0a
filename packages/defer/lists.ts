/**
 * Waiting on many Deferreds at once: {@linkcode DeferredList} (every
 * result, success or failure), {@linkcode gatherResults} (every value, or
 * the first failure) and {@linkcode race} (the first success).
 *
 * @module
 */

import { Deferred, isDeferred } from "./deferred.ts";
import { FailureGroup, FirstError } from "./errors.ts";
import { Failure, isFailure } from "./failure.ts";
import { logError } from "./unhandled.ts";
import { checkBoolean, checkOptions } from "./_validate.ts";

/**
 * Options of {@linkcode DeferredList}.
 *
 * @example Usage
 * ```ts
 * import { Deferred, DeferredList, type DeferredListOptions, FirstError } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const options: DeferredListOptions = { fireOnOneErrback: true, consumeErrors: true };
 * const d = new Deferred<number>();
 * const dl = DeferredList([d, new Deferred<number>()], options);
 * d.errback(new Error("Unreachable"));
 * await assert.rejects(async () => await dl, FirstError);
 * assert.equal(d.result, undefined);
 * ```
 */
export interface DeferredListOptions {
  /**
   * Fire with `[result, index]` as soon as one input succeeds, without
   * waiting for the rest. If none succeeds, the list fires as without this
   * flag, once all have failed. An empty list with this flag never fires
   * (as in Twisted), unless cancelled.
   */
  fireOnOneCallback?: boolean;
  /**
   * Fail with a {@linkcode FirstError} as soon as one input fails, without
   * waiting for the rest.
   */
  fireOnOneErrback?: boolean;
  /**
   * Turn each input's failure into an `undefined` result on that input,
   * once the list has recorded it, so it is not passed on to the input's
   * later errbacks or reported as unhandled. The list still sees the
   * failure.
   */
  consumeErrors?: boolean;
}

/**
 * The result of a {@linkcode DeferredList}: for each input, in input order,
 * `[true, value]` if it succeeded or `[false, failure]` if it failed.
 *
 * @typeParam T The inputs' result type.
 * @example Usage
 * ```ts
 * import { DeferredList, type DeferredListResult, fail, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const outcomes: DeferredListResult<number> = await DeferredList(
 *   [succeed(1), fail<number>(new Error("No"))],
 *   { consumeErrors: true },
 * );
 * const values = outcomes.flatMap(([ok, r]) => (ok ? [r] : []));
 * assert.deepEqual(values, [1]);
 * ```
 */
export type DeferredListResult<T> = Array<
  [success: true, result: T] | [success: false, result: Failure]
>;

/**
 * The result type of a Deferred type: `number` for `Deferred<number>`,
 * and a union for a union of Deferreds.
 *
 * @typeParam D A Deferred type.
 * @example Usage
 * ```ts
 * import type { Deferred, DeferredResult } from "@twixt/defer";
 *
 * const n: DeferredResult<Deferred<number>> = 5;
 * const either: DeferredResult<Deferred<number> | Deferred<string>> = "five";
 * ```
 */
export type DeferredResult<D> = D extends Deferred<infer V> ? V : never;

/**
 * The type of {@linkcode DeferredList}: callable as a function or with
 * `new`, typed by its `fireOnOneCallback` option.
 *
 * Inputs of several result types give a union (`DeferredList([a, b])`
 * with `Deferred<number>` and `Deferred<string>` has results of
 * `number | string`); `DeferredList<T>(...)` names the result type.
 *
 * @example Usage
 * ```ts
 * import { DeferredList, type DeferredListConstructor, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const make: DeferredListConstructor = DeferredList;
 * const dl = new make([succeed(1)]);
 * assert.ok(dl instanceof DeferredList);
 * ```
 */
export interface DeferredListConstructor {
  /** Without `fireOnOneCallback`: fires with every input's outcome. */
  <T = never, D extends Deferred<unknown> = Deferred<T>>(
    deferredList: Iterable<D>,
    options?: DeferredListOptions & { fireOnOneCallback?: false },
  ): Deferred<DeferredListResult<DeferredResult<D>>>;
  /**
   * With `fireOnOneCallback`: fires with `[result, index]` of the first
   * success, or, if every input fails, with every input's outcome.
   */
  <T = never, D extends Deferred<unknown> = Deferred<T>>(
    deferredList: Iterable<D>,
    options?: DeferredListOptions,
  ): Deferred<
    | [result: DeferredResult<D>, index: number]
    | DeferredListResult<DeferredResult<D>>
  >;
  /** Without `fireOnOneCallback`: fires with every input's outcome. */
  new <T = never, D extends Deferred<unknown> = Deferred<T>>(
    deferredList: Iterable<D>,
    options?: DeferredListOptions & { fireOnOneCallback?: false },
  ): Deferred<DeferredListResult<DeferredResult<D>>>;
  /**
   * With `fireOnOneCallback`: fires with `[result, index]` of the first
   * success, or, if every input fails, with every input's outcome.
   */
  new <T = never, D extends Deferred<unknown> = Deferred<T>>(
    deferredList: Iterable<D>,
    options?: DeferredListOptions,
  ): Deferred<
    | [result: DeferredResult<D>, index: number]
    | DeferredListResult<DeferredResult<D>>
  >;
  /** Shared by every DeferredList, so `instanceof DeferredList` works. */
  readonly prototype: Deferred<unknown>;
}

// Bits of ListDeferred's #flags.
const ON_ONE_CALLBACK = 1;
const ON_ONE_ERRBACK = 2;
const CONSUME = 4;
// gatherResults: collect bare values instead of [success, result] pairs.
const VALUES = 8;

/**
 * The Deferred behind both DeferredList and gatherResults (which is a
 * DeferredList with fireOnOneErrback that keeps bare values).
 *
 * Its canceller cancels the inputs that have not delivered a result yet;
 * if that does not fire the list, the list fails with CancelledError, as
 * any cancelled Deferred does. (Twisted's DeferredList stays unfired then,
 * which can leave a caller hanging, e.g. on an empty list with
 * fireOnOneCallback.)
 */
class ListDeferred extends Deferred<unknown> {
  // Each input until it has delivered its result to the list.
  #inputs: Array<Deferred<unknown> | undefined>;
  #results: unknown[];
  #left: number;
  #flags: number;

  constructor(inputs: Array<Deferred<unknown> | undefined>, flags: number) {
    super(ListDeferred.#cancelInputs);
    this.#inputs = inputs;
    this.#results = new Array(inputs.length);
    this.#left = inputs.length;
    this.#flags = flags;
    if (inputs.length === 0 && !(flags & ON_ONE_CALLBACK)) {
      this.callback(this.#results);
    }
    // Flags and state are set before attaching, since inputs that have
    // already fired deliver at once.
    for (let i = 0; i < inputs.length; i++) {
      inputs[i]!.addBoth((r: unknown) => this.#deliver(i, r));
    }
  }

  static #cancelInputs(d: Deferred<unknown>): void {
    cancelEach((d as ListDeferred).#inputs);
  }

  #deliver(index: number, result: unknown): unknown {
    const failed = isFailure(result);
    // An input of another copy of this module passes its own Failures; the
    // list keeps this copy's (the input's chain goes on with its own).
    const own = failed && !(result instanceof Failure)
      ? new Failure(result)
      : result;
    const flags = this.#flags;
    this.#inputs[index] = undefined;
    this.#left--;
    if (!(flags & VALUES)) {
      this.#results[index] = [!failed, own];
    } else if (!failed) {
      this.#results[index] = result;
    }
    if (!this.called) {
      if (!failed && flags & ON_ONE_CALLBACK) {
        this.callback([result, index]);
      } else if (failed && flags & ON_ONE_ERRBACK) {
        this.errback(new Failure(new FirstError(own as Failure, index)));
      } else if (this.#left === 0) {
        this.callback(this.#results);
      }
    }
    return failed && flags & CONSUME ? undefined : result;
  }
}

// Cancels each Deferred in the list (skipping holes and `except`), going
// on past any whose cancel() throws: one broken input must not stop the
// others being cancelled, or break the chain that asked.
function cancelEach(
  ds: ReadonlyArray<Deferred<unknown> | undefined>,
  except?: Deferred<unknown>,
): void {
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i];
    if (d === undefined || d === except) continue;
    try {
      d.cancel();
    } catch (e) {
      logError(new Failure(e));
    }
  }
}

// Copies the inputs (later changes to the caller's list do not count) and
// checks them, so that bad input fails the returned Deferred instead of
// leaving some inputs watched and others not.
function collect(
  deferredList: Iterable<Deferred<unknown>>,
  caller: string,
): Deferred<unknown>[] | Failure {
  if (
    typeof (deferredList as Partial<Iterable<unknown>> | null)
      ?.[Symbol.iterator] !== "function"
  ) {
    return new Failure(
      new TypeError(`Cannot call ${caller} with a list that is not iterable`),
    );
  }
  const inputs: unknown[] = Array.from(deferredList);
  for (let i = 0; i < inputs.length; i++) {
    if (!isDeferred(inputs[i])) {
      return new Failure(
        new TypeError(
          `Cannot call ${caller} with an item that is not a Deferred, at index ${i}`,
        ),
      );
    }
  }
  return inputs as Deferred<unknown>[];
}

function makeList(
  deferredList: Iterable<Deferred<unknown>>,
  flags: number,
  caller: string,
  badOption?: TypeError,
): Deferred<unknown> {
  const inputs = badOption
    ? new Failure(badOption)
    : collect(deferredList, caller);
  if (inputs instanceof Failure) {
    const d = new ListDeferred([], ON_ONE_CALLBACK);
    d.errback(inputs);
    return d;
  }
  return new ListDeferred(inputs, flags);
}

/**
 * Waits for every Deferred in a list and fires with all their outcomes, as
 * Twisted's `DeferredList`: `[true, value]` or `[false, failure]` for each,
 * in input order. Call it as a function or with `new`.
 *
 * The list watches each input by adding a callback and errback to it, so
 * callbacks added to an input before the list see the result first, and
 * those added after see what the list passes on: the same result, or
 * `undefined` for a failure with `consumeErrors`. An empty list fires at
 * once with `[]` (with `fireOnOneCallback`, it never fires, as in Twisted).
 *
 * - `fireOnOneCallback`: fire with `[value, index]` at the first success
 *   (or, if all fail, with all the outcomes; the type says both).
 * - `fireOnOneErrback`: fail with {@linkcode FirstError} at the first
 *   failure.
 * - `consumeErrors`: inputs' failures end there (see
 *   {@linkcode DeferredListOptions.consumeErrors}); without it, an input's
 *   failure stays on that input, and is reported as unhandled if nothing
 *   else handles it.
 *
 * Once the list has fired, later inputs' results are still passed on (or
 * consumed, with `consumeErrors`) but change nothing. `cancel()` before it
 * fires cancels each input that has not delivered its result; the list
 * then fires as those results arrive (with a list of `CancelledError`
 * failures, unless an option says otherwise), and fails with
 * `CancelledError` if nothing fired it. A list that is not iterable, or
 * that holds something other than a Deferred, or an option that is not a
 * boolean, fails it with a `TypeError`.
 *
 * @example Usage
 * ```ts
 * import { Deferred, DeferredList, Failure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const a = new Deferred<string>();
 * const b = new Deferred<string>();
 * const dl = DeferredList([a, b], { consumeErrors: true });
 * a.callback("page");
 * b.errback(new Error("Connection refused"));
 * const [[okA, pageA], [okB, reasonB]] = dl.result as [
 *   [boolean, string],
 *   [boolean, Failure],
 * ];
 * assert.deepEqual([okA, pageA, okB], [true, "page", false]);
 * assert.equal(reasonB.getErrorMessage(), "Connection refused");
 * ```
 *
 * @example First to answer
 * ```ts
 * import { Deferred, DeferredList } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const mirrors = [new Deferred<string>(), new Deferred<string>()];
 * const first = new DeferredList(mirrors, { fireOnOneCallback: true });
 * mirrors[1]!.callback("from mirror 1");
 * assert.deepEqual(first.result, ["from mirror 1", 1]);
 * ```
 */
export const DeferredList: DeferredListConstructor = function DeferredList(
  deferredList: Iterable<Deferred<unknown>>,
  options?: DeferredListOptions,
): Deferred<unknown> {
  const flags = (options?.fireOnOneCallback ? ON_ONE_CALLBACK : 0) |
    (options?.fireOnOneErrback ? ON_ONE_ERRBACK : 0) |
    (options?.consumeErrors ? CONSUME : 0);
  const action = "call DeferredList";
  const badOption = checkOptions(action, options) ??
    checkBoolean(action, "fireOnOneCallback", options?.fireOnOneCallback) ??
    checkBoolean(action, "fireOnOneErrback", options?.fireOnOneErrback) ??
    checkBoolean(action, "consumeErrors", options?.consumeErrors);
  // Returning an object from a function called with `new` makes that
  // object the result, so both call styles give the same Deferred.
  return makeList(deferredList, flags, "DeferredList", badOption);
} as unknown as DeferredListConstructor;
(DeferredList as { prototype: unknown }).prototype = ListDeferred.prototype;

/**
 * Fires with the results of all the Deferreds, in input order, or fails
 * with a {@linkcode FirstError} (holding the failure and its index) as soon
 * as one fails, as Twisted's `gatherResults`. An empty list fires at once
 * with `[]`.
 *
 * A tuple of Deferreds gives a tuple of results:
 * `gatherResults([d1, d2])` with `Deferred<number>` and `Deferred<string>`
 * is a `Deferred<[number, string]>`.
 *
 * With `consumeErrors`, each input's failure becomes an `undefined` result
 * on that input, so it is not reported as unhandled there (the returned
 * Deferred still fails). Cancelling the returned Deferred cancels every
 * input that has not delivered its result.
 *
 * @param deferredList The Deferreds to wait for.
 * @param consumeErrors Whether the inputs' failures end at this call.
 * @returns A Deferred of every result, failing with a `TypeError` if the
 * list is not iterable or holds something other than a Deferred, or if
 * `consumeErrors` is not a boolean.
 * @example Usage
 * ```ts
 * import { gatherResults, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const both = gatherResults([succeed(7), succeed("seven")]);
 * const [n, s] = await both;
 * assert.equal(n + 1, 8);
 * assert.equal(s.length, 5);
 * ```
 *
 * @example A failure
 * ```ts
 * import { Deferred, FirstError, gatherResults, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const slow = new Deferred<number>();
 * const all = gatherResults([succeed(1), slow], true);
 * slow.errback(new RangeError("Too slow"));
 * await assert.rejects(async () => await all, (e: FirstError) => e.index === 1);
 * ```
 */
export function gatherResults<const D extends readonly Deferred<unknown>[]>(
  deferredList: D,
  consumeErrors?: boolean,
): Deferred<
  { -readonly [K in keyof D]: D[K] extends Deferred<infer V> ? V : never }
>;
/**
 * For any iterable of Deferreds: a list of their results.
 *
 * @example Usage
 * ```ts
 * import { gatherResults, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const ds = new Set([succeed(1), succeed(2)]);
 * assert.deepEqual(gatherResults(ds).result, [1, 2]);
 * ```
 */
export function gatherResults<
  T = never,
  D extends Deferred<unknown> = Deferred<T>,
>(
  deferredList: Iterable<D>,
  consumeErrors?: boolean,
): Deferred<DeferredResult<D>[]>;
export function gatherResults(
  deferredList: Iterable<Deferred<unknown>>,
  consumeErrors = false,
): Deferred<unknown[]> {
  return makeList(
    deferredList,
    ON_ONE_ERRBACK | VALUES | (consumeErrors ? CONSUME : 0),
    "gatherResults",
    checkBoolean("call gatherResults", "consumeErrors", consumeErrors),
  ) as Deferred<unknown[]>;
}

/**
 * Fires with `[index, value]` of the first Deferred to succeed, and cancels
 * all the others (Twisted's `race`, from Twisted 22.8). If every one fails,
 * it fails with a {@linkcode FailureGroup} holding all their failures in
 * input order.
 *
 * `race` takes its inputs' results: each input's chain goes on with
 * `undefined`, so the losers' `CancelledError`s are not reported as
 * unhandled. A loser that fires anyway (one that ignores cancellation) is
 * ignored. Cancelling the returned Deferred before it fires cancels every
 * input; it then fails with a `FailureGroup` of their `CancelledError`s
 * (or wins, if an input's canceller fired it with a value).
 *
 * An empty list fails at once with an empty `FailureGroup`, like
 * `Promise.any([])` (Twisted's `race([])` never fires). A list that is not
 * iterable, or holds something other than a Deferred, fails with a
 * `TypeError`.
 *
 * @param deferredList The competing Deferreds.
 * @returns A Deferred of the winner's index and value.
 * @example Usage
 * ```ts
 * import { CancelledError, Deferred, race } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const stopped: string[] = [];
 * const fetchFrom = (host: string) => new Deferred<string>(() => stopped.push(host));
 * const a = fetchFrom("a.example");
 * const b = fetchFrom("b.example");
 * const winner = race([a, b]);
 * b.callback("page from b");
 * assert.deepEqual(winner.result, [1, "page from b"]);
 * assert.deepEqual(stopped, ["a.example"]);
 * ```
 */
export function race<T = never, D extends Deferred<unknown> = Deferred<T>>(
  deferredList: Iterable<D>,
): Deferred<[index: number, value: DeferredResult<D>]> {
  type Result = [number, DeferredResult<D>];
  const inputs = collect(deferredList, "race");
  if (inputs instanceof Failure) {
    const d = new Deferred<Result>();
    d.errback(inputs);
    return d;
  }
  // Each input until it has delivered its result to the race.
  const pending: Array<Deferred<unknown> | undefined> = inputs.slice();
  let winner: Deferred<unknown> | undefined;
  const failures: Failure[] = new Array(inputs.length);
  let failed = 0;
  const result = new Deferred<Result>(() => cancelEach(pending));
  if (inputs.length === 0) {
    result.errback(new FailureGroup([]));
    return result;
  }
  const succeeded = (value: unknown, index: number): void => {
    pending[index] = undefined;
    // A second success comes from a loser whose canceller fired it with a
    // value; the race is already decided.
    if (winner !== undefined) return;
    winner = inputs[index];
    cancelEach(pending, winner);
    // The race itself may have been cancelled and given up already.
    if (!result.called) result.callback([index, value] as Result);
  };
  const lost = (failure: Failure, index: number): void => {
    pending[index] = undefined;
    // From an input of another copy, a Failure of that copy.
    failures[index] = failure instanceof Failure
      ? failure
      : new Failure(failure);
    if (++failed === inputs.length && !result.called) {
      result.errback(new FailureGroup(failures));
    }
  };
  for (let i = 0; i < inputs.length; i++) {
    inputs[i]!.addCallbacks(succeeded, lost, {
      callbackArgs: [i],
      errbackArgs: [i],
    });
  }
  return result;
}
