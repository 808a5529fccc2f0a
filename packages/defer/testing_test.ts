import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import {
  Deferred,
  fail,
  Failure,
  logError,
  setFailureLogger,
  succeed,
} from "./mod.ts";
import {
  assertNoResult,
  failureResultOf,
  flushLoggedErrors,
  successResultOf,
} from "./testing.ts";

describe("successResultOf", () => {
  it("returns the result of a fired Deferred and takes it", () => {
    const d = succeed("x");
    assert.equal(successResultOf(d), "x");
    assert.equal(d.result, undefined);
  });

  it("fails when there is no result", () => {
    assert.throws(() => successResultOf(new Deferred()), AssertionError);
  });

  it("fails on a failure, naming it, and handles it", () => {
    const d = fail(new RangeError("Far"));
    assert.throws(
      () => successResultOf(d),
      (e: AssertionError) =>
        e instanceof AssertionError && /RangeError: Far/.test(e.message),
    );
    assert.equal(d.result, undefined);
  });
});

describe("failureResultOf", () => {
  it("returns the Failure", () => {
    const f = failureResultOf(fail(new TypeError("t")));
    assert.ok(f instanceof Failure);
    assert.equal(f.type, TypeError);
  });

  it("checks the failure's type", () => {
    assert.throws(
      () => failureResultOf(fail(new TypeError("t")), RangeError),
      AssertionError,
    );
    assert.ok(failureResultOf(fail(new TypeError("t")), RangeError, TypeError));
  });

  it("fails on a success or no result", () => {
    assert.throws(() => failureResultOf(succeed(1)), AssertionError);
    assert.throws(() => failureResultOf(new Deferred()), AssertionError);
  });
});

describe("assertNoResult", () => {
  it("passes for an unfired Deferred and leaves it working", () => {
    const d = new Deferred<number>();
    assertNoResult(d);
    d.callback(2);
    assert.equal(d.result, 2);
  });

  it("fails for a fired Deferred and keeps its result", () => {
    const d = succeed(3);
    assert.throws(() => assertNoResult(d), AssertionError);
    assert.equal(d.result, 3);
  });

  it("fails for a failed Deferred and handles the failure", () => {
    const d = fail(new Error("x"));
    assert.throws(() => assertNoResult(d), AssertionError);
    assert.equal(d.result, undefined);
  });
});

describe("flushLoggedErrors", () => {
  it("takes the logged failures of the given types only", () => {
    const previous = setFailureLogger(() => {});
    try {
      flushLoggedErrors();
      logError(new Failure(new RangeError("a")));
      logError(new Failure(new TypeError("b")));
      const ranges = flushLoggedErrors(RangeError);
      assert.deepEqual(ranges.map((f) => f.getErrorMessage()), ["a"]);
      const rest = flushLoggedErrors();
      assert.deepEqual(rest.map((f) => f.getErrorMessage()), ["b"]);
      assert.deepEqual(flushLoggedErrors(), []);
    } finally {
      setFailureLogger(previous);
    }
  });
});
