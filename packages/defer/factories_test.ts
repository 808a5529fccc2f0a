// Tests of succeed, fail, maybeDeferred and execute, after Twisted 22.4's
// twisted/test/test_defer.py (testImmediateSuccess, testImmediateFailure,
// test_maybeDeferred*).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred } from "./deferred.ts";
import { execute, fail, maybeDeferred, succeed } from "./factories.ts";
import { Failure } from "./failure.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./testing.ts";

class GenericError extends Error {
  override name = "GenericError";
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("succeed", () => {
  it("makes a fired Deferred whose callbacks run at once", () => {
    const seen: string[] = [];
    const d = succeed("success");
    assert.equal(d.called, true);
    d.addCallback((v) => {
      seen.push(v);
    });
    assert.deepEqual(seen, ["success"]);
  });

  it("keeps undefined and null as results", () => {
    assert.equal(successResultOf(succeed(undefined)), undefined);
    assert.equal(successResultOf(succeed(null)), null);
  });

  // Twisted raises an AssertionError from succeed itself; a function that
  // returns a Deferred keeps to the errback path, as execute does.
  it("fails with a TypeError, without throwing, when given a Deferred", () => {
    const d = succeed(new Deferred());
    assert.match(
      failureResultOf(d, TypeError).getErrorMessage(),
      /Cannot fire a Deferred with a Deferred/,
    );
  });
});

describe("fail", () => {
  it("makes a failed Deferred whose errbacks run at once", () => {
    const seen: Failure[] = [];
    fail(new GenericError("fail")).addErrback((f) => {
      seen.push(f);
    });
    assert.equal(seen[0]?.getErrorMessage(), "fail");
  });

  it("uses a Failure it is given as it is", () => {
    const f = new Failure(new GenericError("x"));
    assert.equal(failureResultOf(fail(f)), f);
  });

  it("wraps any other reason, and makes an Error when given none", () => {
    assert.equal(failureResultOf(fail("reason")).value, "reason");
    assert.ok(failureResultOf(fail()).value instanceof Error);
  });
});

describe("maybeDeferred", () => {
  it("fires with the result of a synchronous function", () => {
    const result = {};
    assert.equal(successResultOf(maybeDeferred(() => result)), result);
  });

  it("passes the arguments to the function", () => {
    const plusFive = (x: number): number => x + 5;
    assert.equal(successResultOf(maybeDeferred(plusFive, 10)), 15);
  });

  it("fails with what a synchronous function throws", () => {
    const error = new TypeError("can only concatenate str");
    const d = maybeDeferred(() => {
      throw error;
    });
    assert.equal(failureResultOf(d, TypeError).value, error);
  });

  it("fails with the Failure a function returns, unchanged", () => {
    const expected = new Failure(new TypeError("x"));
    assert.equal(failureResultOf(maybeDeferred(() => expected)), expected);
  });

  it("returns a Deferred the function returns, itself", () => {
    const d1 = new Deferred<string>();
    const d2 = maybeDeferred(() => d1);
    assert.equal(d2, d1);
    d1.callback("Success");
    assert.equal(successResultOf(d2), "Success");
  });

  it("passes on the failure of a Deferred the function returns", () => {
    const d1 = new Deferred<never>();
    const d2 = maybeDeferred(() => d1);
    d1.errback(new Failure(new RangeError()));
    failureResultOf(d2, RangeError);
  });

  // Twisted 22.4 makes a coroutine's Deferred only in ensureDeferred; a
  // Promise is JavaScript's usual asynchronous result, so it is waited on.
  it("waits for a Promise the function returns", async () => {
    const d = maybeDeferred(() => Promise.resolve("later"));
    assertNoResult(d);
    await tick();
    assert.equal(successResultOf(d), "later");
  });

  it("fails when a Promise the function returns rejects", async () => {
    const d = maybeDeferred(async () => {
      await null;
      throw new GenericError("async");
    });
    await tick();
    failureResultOf(d, GenericError);
  });
});

describe("execute", () => {
  it("fires with the function's return value", () => {
    assert.equal(successResultOf(execute(Math.max, 3, 7)), 7);
  });

  it("fails with what the function throws", () => {
    const d = execute(() => {
      throw new GenericError("thrown");
    });
    failureResultOf(d, GenericError);
  });

  it("fails with a Failure the function returns", () => {
    const f = new Failure(new GenericError("returned"));
    assert.equal(failureResultOf(execute(() => f)), f);
  });

  it("takes a returned Promise as the result, not waiting on it", () => {
    const p = Promise.resolve(1);
    assert.equal(successResultOf(execute(() => p)), p);
  });

  // Twisted raises an AssertionError from execute itself; Twixt keeps to
  // the errback path.
  it("fails with a TypeError when the function returns a Deferred", () => {
    const d = execute(() => new Deferred());
    failureResultOf(d, TypeError);
  });
});

describe("maybeDeferred and execute with something other than a function", () => {
  it("fail the Deferred with a TypeError naming the value, without throwing", () => {
    for (const make of [maybeDeferred, execute]) {
      const d = (make as (fn: unknown) => Deferred<unknown>)(42);
      assert.match(
        failureResultOf(d, TypeError).getErrorMessage(),
        /Cannot call 42: it must be a function/,
      );
    }
  });
});
