import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, Deferred } from "@twixt/defer";
import {
  assertNoResult,
  failureResultOf,
  successResultOf,
} from "@twixt/defer/testing";
import { Reactor } from "./mod.ts";
import { Clock, deferLater } from "./task.ts";
import { BAD_SECONDS } from "./_bad_seconds_test_util.ts";

class TestException extends Error {}

describe("deferLater", () => {
  it("fires after the delay with the function's result", () => {
    const results: unknown[][] = [];
    const flag = {};
    const clock = new Clock();
    const d = deferLater(
      clock,
      3,
      (foo: string, bar: string) => {
        results.push([foo, bar]);
        return flag;
      },
      "foo",
      "bar",
    );
    clock.advance(2);
    assert.deepEqual(results, []);
    assertNoResult(d);
    clock.advance(1);
    assert.deepEqual(results, [["foo", "bar"]]);
    assert.equal(successResultOf(d), flag);
  });

  it("fails when the function throws", () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => {
      throw new TestException();
    });
    clock.advance(1);
    failureResultOf(d, TestException);
  });

  it("waits for a Deferred returned by the function", () => {
    const clock = new Clock();
    const inner = new Deferred<string>();
    const d = deferLater(clock, 1, () => inner);
    clock.advance(1);
    assertNoResult(d);
    inner.callback("inner");
    assert.equal(successResultOf(d), "inner");
  });

  it("cancels the call when cancelled, failing with CancelledError", () => {
    const called: unknown[] = [];
    const clock = new Clock();
    const d = deferLater(clock, 1, () => called.push(null));
    d.cancel();
    failureResultOf(d, CancelledError);
    assert.deepEqual(clock.getDelayedCalls(), []);
    clock.advance(1);
    assert.deepEqual(called, []);
  });

  it("fires with undefined when given no function", () => {
    const clock = new Clock();
    const d = deferLater(clock, 2.0);
    assertNoResult(d);
    clock.advance(2.0);
    assert.equal(successResultOf(d), undefined);
  });

  it("fails with RangeError for a bad delay, and TypeError for a non-function, scheduling nothing", () => {
    const clock = new Clock();
    failureResultOf(deferLater(clock, -1), RangeError);
    failureResultOf(deferLater(clock, NaN, () => 1), RangeError);
    failureResultOf(
      deferLater(clock, 1, "f" as unknown as () => void),
      TypeError,
    );
    assert.deepEqual(clock.getDelayedCalls(), []);
  });

  it("works with await on the reactor", async () => {
    const r = new Reactor();
    const value = await deferLater(r, 0.005, (x: number) => x * 2, 21);
    assert.equal(value, 42);
  });

  it("leaves no call on the reactor when cancelled", () => {
    const r = new Reactor();
    const d = deferLater(r, 60);
    d.addErrback(() => {});
    d.cancel();
    assert.deepEqual(r.getDelayedCalls(), []);
  });
});

describe("deferLater with bad input", () => {
  it("fails the Deferred, never throws, naming the argument and value", () => {
    for (const [delay, Kind, shown] of BAD_SECONDS) {
      const clock = new Clock();
      const f = failureResultOf(
        deferLater(clock, delay as number, () => 1),
        Kind,
      );
      assert.equal((f.value as Error).constructor, Kind);
      assert.ok(
        (f.value as Error).message.includes(`delay ${shown}`),
        (f.value as Error).message,
      );
      assert.deepEqual(clock.getDelayedCalls(), []);
    }
    const f = failureResultOf(
      deferLater(new Clock(), 1, 7 as unknown as () => void),
      TypeError,
    );
    assert.match((f.value as Error).message, /fn 7/);
    failureResultOf(deferLater(undefined as unknown as Clock, 1), TypeError);
  });
});
