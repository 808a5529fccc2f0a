import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  fail,
  Failure,
  FailureGroup,
  FirstError,
  setFailureLogger,
  succeed,
} from "./mod.ts";
import {
  DeferredList,
  type DeferredListResult,
  gatherResults,
  race,
} from "./lists.ts";
import {
  assertNoResult,
  failureResultOf,
  flushLoggedErrors,
  successResultOf,
} from "./testing.ts";

class GenericError extends Error {
  override name = "GenericError";
}

// Twisted's fakeCallbackCanceller: cancelling fires with a value.
function callbackCanceller(d: Deferred<string>): void {
  d.callback("Callback Result");
}

// A Deferred that records whether it was cancelled.
function watched<T>(log: boolean[], i: number): Deferred<T> {
  log[i] = false;
  return new Deferred<T>(() => {
    log[i] = true;
  });
}

// A Deferred whose cancel() throws, as a broken subclass might.
class BrokenCancel<T> extends Deferred<T> {
  override cancel(): void {
    throw new RangeError("Broken cancel");
  }
}

// A Deferred that ignores cancel().
class Stubborn<T> extends Deferred<T> {
  override cancel(): void {}
}

// Runs fn with reported failures kept quiet, returning what was reported.
function quietly(fn: () => void): Failure[] {
  flushLoggedErrors();
  const previous = setFailureLogger(() => {});
  try {
    fn();
  } finally {
    setFailureLogger(previous);
  }
  return flushLoggedErrors();
}

describe("DeferredList", () => {
  it("fires with [success, result] for each input, in input order", () => {
    const d1 = new Deferred<string>();
    const d2 = new Deferred<string>();
    const d3 = new Deferred<string>();
    const dl = DeferredList([d1, d2, d3]);
    d2.addErrback(() => undefined);
    d3.callback("3");
    d2.errback(new GenericError("2"));
    assertNoResult(dl);
    d1.callback("1");
    const result = successResultOf(dl);
    assert.equal(result.length, 3);
    assert.deepEqual(result[0], [true, "1"]);
    assert.equal(result[1]![0], false);
    assert.equal((result[1]![1] as Failure).getErrorMessage(), "2");
    assert.ok((result[1]![1] as Failure).check(GenericError));
    assert.deepEqual(result[2], [true, "3"]);
  });

  it("is callable as a function and with new, giving a Deferred", () => {
    const called = DeferredList([succeed(1)]);
    const constructed = new DeferredList([succeed(1)]);
    for (const dl of [called, constructed]) {
      assert.ok(dl instanceof Deferred);
      assert.ok(dl instanceof DeferredList);
      assert.deepEqual(successResultOf(dl), [[true, 1]]);
    }
  });

  it("fires at once with [] when the list is empty", () => {
    assert.deepEqual(successResultOf(DeferredList([])), []);
    assert.deepEqual(successResultOf(new DeferredList([])), []);
  });

  it("never fires when empty with fireOnOneCallback, as in Twisted", () => {
    const dl = DeferredList([], { fireOnOneCallback: true });
    assertNoResult(dl);
  });

  it("fails with CancelledError when an empty fireOnOneCallback list is cancelled", () => {
    const dl = DeferredList([], { fireOnOneCallback: true });
    dl.cancel();
    failureResultOf(dl, CancelledError);
  });

  it("fires with results of inputs that had fired before it was made", () => {
    const d1 = fail<number>(new GenericError("Bang"));
    const d2 = succeed(2);
    const dl = DeferredList([d1, d2]);
    const result = successResultOf(dl);
    assert.equal(result.length, 2);
    assert.equal(result[0]![0], false);
    assert.deepEqual(result[1], [true, 2]);
    failureResultOf(d1, GenericError);
  });

  it("sees the result left by callbacks added to an input before it", () => {
    const d = new Deferred<number>();
    d.addCallback((n) => n * 10);
    const dl = DeferredList([d]);
    d.callback(4);
    assert.deepEqual(successResultOf(dl), [[true, 40]]);
  });

  it("passes each result on to callbacks added to the input after it", () => {
    const d = new Deferred<number>();
    DeferredList([d]);
    const seen: number[] = [];
    d.addCallback((n) => {
      seen.push(n);
    });
    d.callback(5);
    assert.deepEqual(seen, [5]);
  });

  it("watches a Deferred listed twice twice", () => {
    const d = new Deferred<string>();
    const dl = DeferredList([d, d]);
    d.callback("x");
    assert.deepEqual(successResultOf(dl), [[true, "x"], [true, "x"]]);
  });

  it("collects from any iterable, copying it first", () => {
    function* two(): Generator<Deferred<number>> {
      yield succeed(1);
      yield succeed(2);
    }
    assert.deepEqual(successResultOf(DeferredList(two())), [
      [true, 1],
      [true, 2],
    ]);
    assert.deepEqual(successResultOf(DeferredList(new Set([succeed("s")]))), [
      [true, "s"],
    ]);
  });

  it("fires on the first failure with FirstError, with fireOnOneErrback", () => {
    const d1 = new Deferred<string>();
    const d2 = new Deferred<string>();
    const d3 = new Deferred<string>();
    const dl = DeferredList([d1, d2, d3], { fireOnOneErrback: true });
    d2.addErrback(() => undefined);
    d1.callback("1");
    assertNoResult(dl);
    d2.errback(new GenericError("from def2"));
    const f = failureResultOf(dl, FirstError);
    const firstError = f.value as FirstError;
    assert.equal(firstError.subFailure.type, GenericError);
    assert.equal(firstError.subFailure.getErrorMessage(), "from def2");
    assert.equal(firstError.index, 1);
    assertNoResult(d3);
  });

  it("fails at once with fireOnOneErrback when an input had already failed", () => {
    const d1 = fail<number>(new GenericError("Bang"));
    const d2 = new Deferred<number>();
    const dl = DeferredList([d1, d2], { fireOnOneErrback: true });
    const f = failureResultOf(dl, FirstError);
    assert.equal((f.value as FirstError).index, 0);
    failureResultOf(d1, GenericError);
  });

  it("fires with every outcome under fireOnOneErrback when all succeed", () => {
    const dl = DeferredList([succeed(1), succeed(2)], {
      fireOnOneErrback: true,
    });
    assert.deepEqual(successResultOf(dl), [[true, 1], [true, 2]]);
  });

  it("fires with [result, index] on the first success, with fireOnOneCallback", () => {
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    const dl = DeferredList([d1, d2], { fireOnOneCallback: true });
    assertNoResult(dl);
    d2.callback(22);
    assert.deepEqual(successResultOf(dl), [22, 1]);
  });

  it("still passes later inputs' results on after fireOnOneCallback fired", () => {
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    const dl = DeferredList([d1, d2], { fireOnOneCallback: true });
    const fired: unknown[] = [];
    dl.addCallback((r) => {
      fired.push(r);
    });
    d1.callback(1);
    d2.callback(2);
    assert.deepEqual(fired, [[1, 0]]);
    assert.equal(successResultOf(d2), 2);
  });

  it("fires with every failure when all fail under fireOnOneCallback", () => {
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    const dl = DeferredList([d1, d2], {
      fireOnOneCallback: true,
      consumeErrors: true,
    });
    d1.errback(new GenericError("x"));
    d2.errback(new RangeError("y"));
    const result = successResultOf(dl) as DeferredListResult<number>;
    assert.deepEqual(result.map(([ok]) => ok), [false, false]);
    assert.ok((result[1]![1] as Failure).check(RangeError));
  });

  it("leaves failures on the inputs without consumeErrors", () => {
    const d1 = new Deferred<void>();
    const dl = DeferredList([d1]);
    const trapped: Failure[] = [];
    d1.addErrback((f) => {
      trapped.push(f);
    });
    d1.errback(new GenericError("Bang"));
    assert.equal(trapped[0]!.getErrorMessage(), "Bang");
    const [[ok, f]] = successResultOf(dl) as [[boolean, Failure]];
    assert.equal(ok, false);
    assert.equal(f.getErrorMessage(), "Bang");
  });

  it("keeps an unhandled failure on its input, to be reported, without consumeErrors", () => {
    const d1 = new Deferred<void>();
    DeferredList([d1]);
    d1.errback(new GenericError("Bang"));
    assert.ok(d1.result instanceof Failure);
    failureResultOf(d1, GenericError);
  });

  it("turns inputs' failures into undefined with consumeErrors", () => {
    const d1 = new Deferred<void>();
    const dl = DeferredList([d1], { consumeErrors: true });
    const trapped: Failure[] = [];
    d1.addErrback((f) => {
      trapped.push(f);
    });
    d1.errback(new GenericError("Bang"));
    assert.deepEqual(trapped, []);
    assert.equal(d1.result, undefined);
    const [[ok, f]] = successResultOf(dl) as [[boolean, Failure]];
    assert.equal(ok, false);
    assert.equal(f.getErrorMessage(), "Bang");
  });

  it("consumes failures that arrive after it fired, with consumeErrors", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2], {
      fireOnOneErrback: true,
      consumeErrors: true,
    });
    d1.errback(new GenericError("1"));
    d2.errback(new GenericError("2"));
    const f = failureResultOf(dl, FirstError);
    assert.equal((f.value as FirstError).subFailure.getErrorMessage(), "1");
    assert.equal(d1.result, undefined);
    assert.equal(d2.result, undefined);
  });

  it("fails with a TypeError when given something other than Deferreds", () => {
    const notIterable = DeferredList(42 as unknown as Deferred<number>[]);
    assert.match(
      failureResultOf(notIterable, TypeError).getErrorMessage(),
      /not iterable/,
    );
    const notDeferred = DeferredList([
      succeed(1),
      Promise.resolve(2) as unknown as Deferred<number>,
    ]);
    assert.match(
      failureResultOf(notDeferred, TypeError).getErrorMessage(),
      /not a Deferred, at index 1/,
    );
  });

  it("fails with a TypeError naming an option that is not a boolean, watching no input", () => {
    const bad: Array<[unknown, RegExp]> = [
      ["yes", /options "yes": they must be an object/],
      [
        { fireOnOneCallback: "yes" },
        /fireOnOneCallback "yes": it must be a boolean/,
      ],
      [{ fireOnOneErrback: 1 }, /fireOnOneErrback 1: it must be a boolean/],
      [
        { consumeErrors: [true] },
        /consumeErrors \[true\]: it must be a boolean/,
      ],
    ];
    for (const [options, message] of bad) {
      const input = new Deferred<number>();
      const dl = DeferredList([input], options as { consumeErrors: boolean });
      assert.match(failureResultOf(dl, TypeError).getErrorMessage(), message);
      input.errback(new GenericError("still mine"));
      failureResultOf(input, GenericError);
    }
    const gathered = gatherResults([succeed(1)], "no" as unknown as boolean);
    assert.match(
      failureResultOf(gathered, TypeError).getErrorMessage(),
      /Cannot call gatherResults with consumeErrors "no": it must be a boolean/,
    );
  });

  it("handles a hundred thousand inputs", () => {
    const inputs = Array.from(
      { length: 100_000 },
      () => new Deferred<number>(),
    );
    const dl = DeferredList(inputs);
    inputs.forEach((d, i) => d.callback(i));
    const result = successResultOf(dl);
    assert.equal(result.length, 100_000);
    assert.deepEqual(result[99_999], [true, 99_999]);
  });
});

describe("DeferredList.cancel", () => {
  it("cancels every input of an unfired list", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2]);
    dl.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    const result = successResultOf(dl);
    assert.ok(
      result.every(([ok, r]) => !ok && (r as Failure).check(CancelledError)),
    );
  });

  it("fires with the outcomes when an input's canceller fires it with a value", () => {
    const d1 = new Deferred<string>(callbackCanceller);
    const d2 = new Deferred<string>();
    const dl = DeferredList([d1, d2]);
    dl.cancel();
    failureResultOf(d2, CancelledError);
    const result = successResultOf(dl);
    assert.deepEqual(result[0], [true, "Callback Result"]);
    assert.equal(result[1]![0], false);
    assert.ok((result[1]![1] as Failure).check(CancelledError));
  });

  it("cancels every input with fireOnOneCallback", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2], { fireOnOneCallback: true });
    dl.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    assert.equal(successResultOf(dl).length, 2);
  });

  it("fires with [result, index] when a canceller fires with a value, with fireOnOneCallback", () => {
    const d1 = new Deferred<string>(callbackCanceller);
    const d2 = new Deferred<string>();
    const dl = DeferredList([d1, d2], { fireOnOneCallback: true });
    dl.cancel();
    failureResultOf(d2, CancelledError);
    assert.deepEqual(successResultOf(dl), ["Callback Result", 0]);
  });

  it("cancels every input with fireOnOneErrback, failing with FirstError", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2], { fireOnOneErrback: true });
    dl.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    const f = failureResultOf(dl, FirstError);
    assert.ok((f.value as FirstError).subFailure.check(CancelledError));
  });

  it("fires with every outcome when all cancellers fire values, with fireOnOneErrback", () => {
    const d1 = new Deferred<string>(callbackCanceller);
    const d2 = new Deferred<string>(callbackCanceller);
    const dl = DeferredList([d1, d2], { fireOnOneErrback: true });
    dl.cancel();
    assert.deepEqual(successResultOf(dl), [
      [true, "Callback Result"],
      [true, "Callback Result"],
    ]);
  });

  it("cancels only the Deferreds it was given, not later additions to the caller's list", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const argumentList = [d1, d2];
    const dl = DeferredList(argumentList);
    const d3 = new Deferred<void>();
    argumentList.push(d3);
    dl.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    assertNoResult(d3);
    successResultOf(dl);
  });

  it("cancels the other inputs when one input's cancel throws, and logs that", () => {
    const d1 = new BrokenCancel<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2]);
    const logged = quietly(() => dl.cancel());
    failureResultOf(d2, CancelledError);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.check(RangeError));
    // Nothing fired the list, so it failed as any cancelled Deferred does.
    failureResultOf(dl, CancelledError);
    d1.callback();
  });

  it("does not cancel the rest once fired by fireOnOneCallback", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2], { fireOnOneCallback: true });
    d1.callback();
    dl.cancel();
    assertNoResult(d2);
    successResultOf(dl);
  });

  it("does not cancel the rest once fired by fireOnOneErrback", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const dl = DeferredList([d1, d2], { fireOnOneErrback: true });
    d1.errback(new GenericError("test"));
    dl.cancel();
    assertNoResult(d2);
    failureResultOf(d1, GenericError);
    failureResultOf(dl, FirstError);
  });

  it("does not cancel an input that has delivered its result already", () => {
    const inner = new Deferred<void>();
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    const dl = DeferredList([d1, d2]);
    // d1 delivers to the list, then its own chain waits on other work.
    d1.addCallback(() => inner);
    d1.callback(1);
    dl.cancel();
    assertNoResult(inner);
    failureResultOf(d2, CancelledError);
    assert.deepEqual(successResultOf(dl)[0], [true, 1]);
  });

  it("fails with CancelledError when an input ignores cancellation", () => {
    const stubborn = new Stubborn<number>();
    const dl = DeferredList([stubborn]);
    dl.cancel();
    failureResultOf(dl, CancelledError);
    stubborn.callback(1);
    assert.equal(stubborn.result, 1);
  });

  it("cancels the Deferred its callbacks wait on, once fired", () => {
    const cancelled: boolean[] = [];
    const waitedOn = watched<string>(cancelled, 0);
    const dl = DeferredList([succeed(1)]).addCallback(() => waitedOn);
    dl.cancel();
    assert.deepEqual(cancelled, [true]);
    failureResultOf(dl, CancelledError);
  });
});

describe("gatherResults", () => {
  it("fires with the list of results", () => {
    assert.deepEqual(successResultOf(gatherResults([succeed(1), succeed(2)])), [
      1,
      2,
    ]);
  });

  it("keeps input order whatever order the inputs fire in", () => {
    const ds = [
      new Deferred<string>(),
      new Deferred<string>(),
      new Deferred<string>(),
    ];
    const all = gatherResults(ds);
    ds[2]!.callback("c");
    ds[0]!.callback("a");
    assertNoResult(all);
    ds[1]!.callback("b");
    assert.deepEqual(successResultOf(all), ["a", "b", "c"]);
  });

  it("fires at once with [] when the list is empty", () => {
    assert.deepEqual(successResultOf(gatherResults([])), []);
  });

  it("fails with FirstError holding the first failure and its index", () => {
    const dl = [succeed(1), fail<number>(new RangeError("Bad")), succeed(3)];
    const f = failureResultOf(gatherResults(dl), FirstError);
    const first = f.value as FirstError;
    assert.equal(first.index, 1);
    assert.ok(first.subFailure.check(RangeError));
    failureResultOf(dl[1]!, RangeError);
  });

  it("fails on the first failure without waiting for the rest", () => {
    const slow = new Deferred<number>();
    const all = gatherResults([slow, fail<number>(new GenericError("now"))]);
    failureResultOf(all, FirstError);
    assertNoResult(slow);
  });

  it("turns the inputs' failures into undefined with consumeErrors", () => {
    const good = succeed(1);
    const bad = fail<number>(new RangeError("oh noes"));
    const all = gatherResults([good, bad], true);
    const unconsumed: Failure[] = [];
    bad.addErrback((f) => {
      unconsumed.push(f);
    });
    const f = failureResultOf(all, FirstError);
    assert.deepEqual(unconsumed, []);
    assert.ok((f.value as FirstError).subFailure.check(RangeError));
  });

  it("leaves the inputs' failures in place without consumeErrors", () => {
    const bad = fail<number>(new RangeError("oh noes"));
    failureResultOf(gatherResults([bad]), FirstError);
    failureResultOf(bad, RangeError);
  });

  it("cancels every input when cancelled, failing with FirstError", () => {
    const d1 = new Deferred<void>();
    const d2 = new Deferred<void>();
    const all = gatherResults([d1, d2]);
    all.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    const f = failureResultOf(all, FirstError);
    assert.ok((f.value as FirstError).subFailure.check(CancelledError));
  });

  it("fires with the results when every canceller fires with a value", () => {
    const d1 = new Deferred<string>(callbackCanceller);
    const d2 = new Deferred<string>(callbackCanceller);
    const all = gatherResults([d1, d2]);
    all.cancel();
    assert.deepEqual(successResultOf(all), [
      "Callback Result",
      "Callback Result",
    ]);
  });

  it("collects from a Set or a generator", () => {
    const set = new Set([succeed("a"), succeed("b")]);
    assert.deepEqual(successResultOf(gatherResults(set)), ["a", "b"]);
    function* numbers(): Generator<Deferred<number>> {
      yield succeed(1);
      yield succeed(2);
    }
    assert.deepEqual(successResultOf(gatherResults(numbers())), [1, 2]);
  });

  it("works with await", async () => {
    const d = new Deferred<number>();
    setTimeout(() => d.callback(2), 0);
    assert.deepEqual(await gatherResults([succeed(1), d]), [1, 2]);
  });

  it("fails with a TypeError when given something other than Deferreds", () => {
    const bad = gatherResults([null as unknown as Deferred<number>]);
    failureResultOf(bad, TypeError);
  });

  it("gives a tuple of results for a tuple of Deferreds (type-level)", () => {
    const n = new Deferred<number>();
    const s = new Deferred<string>();
    const both = gatherResults([n, s]);
    n.callback(1);
    s.callback("one");
    // These assignments stop compiling if the tuple typing regresses.
    const pair: [number, string] = successResultOf(both);
    const fromConst: Deferred<[number, string]> = gatherResults(
      [n, s] as const,
    );
    const fromArray: Deferred<number[]> = gatherResults(
      [n, n] as Deferred<number>[],
    );
    const named: Deferred<number[]> = gatherResults<number>(new Set([n]));
    const mixed: Deferred<(number | string)[]> = gatherResults(new Set([n, s]));
    // @ts-expect-error: the second result is a string, not a number
    const wrong: [number, number] = successResultOf(gatherResults([n, s]));
    assert.deepEqual(pair, [1, "one"]);
    assert.ok(
      [fromConst, fromArray, named, mixed].every((d) => d instanceof Deferred),
    );
    assert.deepEqual(wrong, [1, "one"]);
  });

  it("types DeferredList and race results from their inputs (type-level)", () => {
    const n = succeed(1);
    const s = succeed("one");
    const list: Deferred<Array<[boolean, number | string | Failure]>> =
      DeferredList([n, s]);
    const first: Deferred<
      [number | string, number] | DeferredListResult<number | string>
    > = DeferredList([n, s], {
      fireOnOneCallback: true,
    });
    const named: Deferred<DeferredListResult<number>> = new DeferredList<
      number
    >([n]);
    const won: Deferred<[number, number | string]> = race([n, s]);
    // @ts-expect-error: fireOnOneCallback gives [result, index], not a list
    const notAList: Deferred<DeferredListResult<number>> = DeferredList([n], {
      fireOnOneCallback: true,
    });
    assert.ok(
      [list, first, named, won, notAList].every((d) => d instanceof Deferred),
    );
  });
});

describe("race", () => {
  it("fires with [index, value] of the first success and cancels the others", () => {
    for (let before = 0; before <= 3; before++) {
      for (let after = 0; after <= 3; after++) {
        const cancelled: boolean[] = [];
        const ds = Array.from(
          { length: before + 1 + after },
          (_, i) => watched<object>(cancelled, i),
        );
        const raced = race(ds);
        const expected = {};
        ds[before]!.callback(expected);
        const [index, value] = successResultOf(raced);
        assert.equal(index, before);
        assert.equal(value, expected);
        assert.deepEqual(cancelled, ds.map((_, i) => i !== before));
      }
    }
  });

  it("fails with FailureGroup holding every failure in input order when all fail", () => {
    for (let n = 1; n <= 4; n++) {
      const cancelled: boolean[] = [];
      const ds = Array.from(
        { length: n },
        (_, i) => watched<number>(cancelled, i),
      );
      const raced = race(ds);
      const failures = ds.map((_, i) => new Failure(new GenericError(`#${i}`)));
      // Fire last first: the group is still in input order.
      for (let i = n - 1; i >= 0; i--) ds[i]!.errback(failures[i]);
      const f = failureResultOf(raced, FailureGroup);
      assert.deepEqual((f.value as FailureGroup).failures, failures);
      assert.deepEqual(cancelled, ds.map(() => false));
    }
  });

  it("takes its inputs' results, so a loser's failure is not left unhandled", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    race([a, b]);
    b.errback(new GenericError("lost"));
    a.callback(1);
    assert.equal(a.result, undefined);
    assert.equal(b.result, undefined);
  });

  it("ignores a loser that fires after it was cancelled, logging nothing", () => {
    for (let before = 0; before <= 3; before++) {
      const ds = Array.from({ length: before + 2 }, () => new Deferred<null>());
      const raced = race(ds);
      const logged = quietly(() => {
        ds[before]!.callback(null);
        ds[before + 1]!.callback(null);
      });
      assert.deepEqual(successResultOf(raced), [before, null]);
      assert.deepEqual(logged, []);
    }
  });

  it("ignores a loser whose canceller fires it with a value", () => {
    const winner = new Deferred<object>();
    const loser = new Deferred<object>((d) => d.callback({}));
    const raced = race([winner, loser]);
    const expected = {};
    winner.callback(expected);
    assert.deepEqual(successResultOf(raced), [0, expected]);
  });

  it("cancels every input when cancelled, failing with FailureGroup", () => {
    for (let n = 1; n <= 3; n++) {
      const cancelled: boolean[] = [];
      const ds = Array.from(
        { length: n },
        (_, i) => watched<number>(cancelled, i),
      );
      const raced = race(ds);
      raced.cancel();
      assert.deepEqual(cancelled, ds.map(() => true));
      const f = failureResultOf(raced, FailureGroup);
      const group = f.value as FailureGroup;
      assert.equal(group.failures.length, n);
      assert.ok(group.failures.every((x) => x.check(CancelledError)));
    }
  });

  it("wins with the value an input's canceller fires when cancelled", () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>(callbackCanceller);
    const raced = race([a, b]);
    raced.cancel();
    assert.deepEqual(successResultOf(raced), [1, "Callback Result"]);
    assert.equal(a.called, true);
  });

  it("fails with CancelledError when cancelled while an input ignores cancellation", () => {
    const stubborn = new Stubborn<number>();
    const raced = race([stubborn, new Deferred<number>()]);
    raced.cancel();
    failureResultOf(raced, CancelledError);
    // Its late success changes nothing and raises nothing.
    stubborn.callback(1);
    assert.equal(raced.called, true);
  });

  it("does not cancel the winner when cancelled after it fired", () => {
    const cancelled: boolean[] = [];
    const winner = watched<number>(cancelled, 0);
    const raced = race([winner, watched<number>(cancelled, 1)]);
    winner.callback(7);
    raced.cancel();
    assert.deepEqual(cancelled, [false, true]);
    assert.deepEqual(successResultOf(raced), [0, 7]);
  });

  it("wins at once with an input that had fired, cancelling the others", () => {
    const cancelled: boolean[] = [];
    const pending = watched<number>(cancelled, 0);
    const raced = race([pending, succeed(5)]);
    assert.deepEqual(successResultOf(raced), [1, 5]);
    assert.deepEqual(cancelled, [true]);
  });

  it("cancels the other losers and still fires when a loser's cancel throws", () => {
    const cancelled: boolean[] = [];
    const broken = new BrokenCancel<number>();
    const other = watched<number>(cancelled, 0);
    const winner = new Deferred<number>();
    const raced = race([broken, other, winner]);
    const logged = quietly(() => winner.callback(3));
    assert.deepEqual(successResultOf(raced), [2, 3]);
    assert.deepEqual(cancelled, [true]);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.check(RangeError));
  });

  it("does not cancel an input that has already lost when cancelled", () => {
    const cancelled: boolean[] = [];
    const lost = new Deferred<number>();
    const inner = watched<number>(cancelled, 0);
    const raced = race([lost, new Deferred<number>()]);
    // lost delivers its failure to the race, then its chain waits on inner.
    lost.addCallback(() => inner);
    lost.errback(new GenericError("down"));
    raced.cancel();
    assert.deepEqual(cancelled, [false]);
    failureResultOf(raced, FailureGroup);
  });

  it("fails at once with an empty FailureGroup when the list is empty", () => {
    // Twisted's race([]) never fires; an immediate failure, like
    // Promise.any([]), cannot leave a caller waiting forever.
    const f = failureResultOf(race([]), FailureGroup);
    assert.deepEqual((f.value as FailureGroup).failures, []);
  });

  it("fails with a TypeError when given something other than Deferreds", () => {
    failureResultOf(race([1 as unknown as Deferred<number>]), TypeError);
    failureResultOf(
      race(undefined as unknown as Deferred<number>[]),
      TypeError,
    );
  });

  it("works with await", async () => {
    const cancelled: boolean[] = [];
    const slow = watched<string>(cancelled, 0);
    const fast = new Deferred<string>();
    setTimeout(() => fast.callback("fast"), 0);
    assert.deepEqual(await race([slow, fast]), [1, "fast"]);
    assert.deepEqual(cancelled, [true]);
  });
});
