// Two copies of @twixt/defer in one program, as npm installs a nested
// duplicate when two packages ask for different versions: each copy's
// functions take the other's Deferreds and Failures (issue 10, item 8).
// The second copy is the package's own files copied to a temporary folder
// (the npm build on Node), so every class in it is a different class.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { importSecondCopy } from "./_child_test_util.ts";
import {
  CancelledError,
  Deferred,
  DeferredList,
  DeferredQueue,
  Failure,
  FailureGroup,
  FirstError,
  gatherResults,
  inlineCallbacks,
  isDeferred,
  isFailure,
  maybeDeferred,
  race,
  succeed,
} from "./mod.ts";
import { failureResultOf, successResultOf } from "./testing.ts";

let other: typeof import("./mod.ts");
let cleanUp = (): void => {};

describe("Deferreds and Failures of another copy of @twixt/defer", () => {
  before(async () => {
    [other, cleanUp] = await importSecondCopy();
    assert.notEqual(other.Deferred, Deferred, "a separate copy");
  });
  after(() => cleanUp());

  it("are recognised by isDeferred and isFailure, not by instanceof", () => {
    const d = new other.Deferred();
    const f = new other.Failure(new Error("x"));
    assert.ok(!(d instanceof Deferred) && isDeferred(d));
    assert.ok(!(f instanceof Failure) && isFailure(f));
    assert.ok(!isDeferred({ then() {} }) && !isFailure(new Error("x")));
  });

  it("are gathered by gatherResults and DeferredList, fired or not", () => {
    const later = new other.Deferred<string>();
    const all = gatherResults([other.succeed(1), succeed(2), later]);
    later.callback("three");
    assert.deepEqual(successResultOf(all), [1, 2, "three"]);

    const failing = new other.Deferred<number>();
    const dl = DeferredList([failing, succeed(1)], { consumeErrors: true });
    failing.errback(new RangeError("From the other copy"));
    const [ok, f] = successResultOf(dl)[0]!;
    assert.equal(ok, false);
    assert.ok(f instanceof Failure, "the list holds this copy's Failure");
    assert.equal((f as Failure).getErrorMessage(), "From the other copy");
    assert.equal(failing.result, undefined, "consumed on the input");

    const first = gatherResults([other.fail(new TypeError("Bad"))], true);
    const firstError = failureResultOf(first, FirstError).value as FirstError;
    assert.ok(firstError.subFailure instanceof Failure);
    assert.equal(firstError.subFailure.type, TypeError);
  });

  it("chain when a callback returns one, pending or fired", () => {
    const inner = new other.Deferred<number>();
    const d = succeed(1).addCallback(() => inner).addCallback((n) => n * 2);
    assert.equal(d.called && d.paused, 1, "waits on the other copy's");
    inner.callback(21);
    assert.equal(successResultOf(d), 42);
    assert.equal(inner.result, undefined, "the result moved on");

    const failed = succeed(1).addCallback(() => other.fail(new Error("Far")));
    const f = failureResultOf(failed, Error);
    assert.ok(f instanceof Failure);
    assert.equal(f.getErrorMessage(), "Far");
  });

  it("are failures when returned, thrown or passed to errback as another copy's Failure", () => {
    const theirs = new other.Failure(new RangeError("Theirs"));
    const returned = succeed(1).addCallback(() => theirs);
    assert.equal(failureResultOf(returned, RangeError).value, theirs.value);
    const thrown = succeed(1).addCallback(() => {
      throw theirs;
    });
    assert.equal(failureResultOf(thrown, RangeError).value, theirs.value);
    const d = new Deferred();
    d.errback(theirs);
    assert.equal(failureResultOf(d, RangeError).value, theirs.value);
    const called = new Deferred();
    called.callback(theirs);
    assert.ok(called.result instanceof Failure, "callback() of a Failure");
    failureResultOf(called);
  });

  it("are cancelled through a Deferred that waits on them", () => {
    let stopped = false;
    const inner = new other.Deferred<number>(() => {
      stopped = true;
    });
    const d = succeed(1).addCallback(() => inner);
    d.cancel();
    assert.ok(stopped);
    failureResultOf(d, CancelledError);
  });

  it("match trap and check with either copy's error classes", () => {
    const d = new other.Deferred<string>();
    d.cancel();
    const f = new Failure(failureResultOf(d).value);
    assert.equal(f.check(CancelledError), CancelledError);
    assert.equal(f.trap(other.CancelledError), other.CancelledError);
    assert.ok(new other.TimeoutError() instanceof Error);
    assert.ok(!(new CancelledError() instanceof other.TimeoutError));
  });

  it("race, cancelling the other copy's losers", () => {
    let loserStopped = false;
    const loser = new other.Deferred<string>(() => {
      loserStopped = true;
    });
    const winner = new other.Deferred<string>();
    const r = race([loser, winner]);
    winner.callback("won");
    assert.deepEqual(successResultOf(r), [1, "won"]);
    assert.ok(loserStopped);
    const allFailed = race([other.fail(new Error("a"))]);
    const group = failureResultOf(allFailed, FailureGroup).value;
    assert.ok((group as FailureGroup).failures[0] instanceof Failure);
  });

  it("are taken by maybeDeferred and yielded in inlineCallbacks", () => {
    const d = maybeDeferred(() => other.succeed("x"));
    assert.ok(d instanceof Deferred);
    assert.equal(successResultOf(d), "x");
    const theirs = new other.Deferred<number>();
    const run = inlineCallbacks(function* () {
      const n = (yield theirs) as number;
      const m = (yield other.succeed(2)) as number;
      return n + m;
    });
    const result = run();
    theirs.callback(40);
    assert.equal(successResultOf(result), 42);
  });

  it("are refused where a Deferred is not a valid value", () => {
    const theirs = new other.Deferred();
    assert.throws(() => new Deferred().callback(theirs), TypeError);
    assert.throws(() => new DeferredQueue().put(theirs), TypeError);
  });
});
