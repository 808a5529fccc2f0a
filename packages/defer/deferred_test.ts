// Tests of the Deferred, after Twisted 22.4's twisted/test/test_defer.py
// (DeferredTests, AlreadyCalledTests, DeferredCancellerTests,
// DeferredAddTimeoutTests). Where Twixt deliberately differs from Twisted,
// the test says so.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred, passthru } from "./deferred.ts";
import { AlreadyCalledError, CancelledError, TimeoutError } from "./errors.ts";
import { fail, succeed } from "./factories.ts";
import { Failure } from "./failure.ts";
import type { IDelayedCall, IReactorTime } from "./time.ts";
import { setDebugging, setFailureLogger } from "./unhandled.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./testing.ts";

class GenericError extends Error {
  override name = "GenericError";
}

// Reads the current result without taking it, for chains that end in a
// Failure that the test handles by reading.
function resultOf(d: Deferred<unknown>): unknown {
  return d.result;
}

// Collects what reaches this point of the chain (the chain goes on with
// undefined, as with Twisted's `results.append`).
function record(d: Deferred<any>): unknown[] {
  const seen: unknown[] = [];
  d.addCallback((r: unknown) => {
    seen.push(r);
  });
  return seen;
}

// A hand-driven IReactorTime: defer must not depend on @twixt/reactor, whose
// Clock is the real one.
class FakeClock implements IReactorTime {
  now = 0;
  #calls: FakeCall[] = [];
  seconds(): number {
    return this.now;
  }
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall {
    const call = new FakeCall(this, this.now + delay, () => fn(...args));
    this.#calls.push(call);
    return call;
  }
  getDelayedCalls(): IDelayedCall[] {
    return this.#calls.filter((c) => c.active());
  }
  advance(seconds: number): void {
    this.now += seconds;
    for (;;) {
      const due = this.#calls
        .filter((c) => c.active() && c.getTime() <= this.now)
        .sort((a, b) => a.getTime() - b.getTime())[0];
      if (!due) return;
      due.run();
    }
  }
}

class FakeCall implements IDelayedCall {
  #state: "pending" | "called" | "cancelled" = "pending";
  constructor(
    readonly clock: FakeClock,
    public time: number,
    readonly fn: () => unknown,
  ) {}
  getTime(): number {
    return this.time;
  }
  cancel(): void {
    if (this.#state !== "pending") throw new Error("Cannot cancel twice");
    this.#state = "cancelled";
  }
  delay(s: number): void {
    this.time += s;
  }
  reset(s: number): void {
    this.time = this.clock.now + s;
  }
  active(): boolean {
    return this.#state === "pending";
  }
  run(): void {
    this.#state = "called";
    this.fn();
  }
}

// A Deferred's canceller that fires it, as in Twisted's tests.
function fakeCallbackCanceller(d: Deferred<string>): void {
  d.callback("Callback Result");
}

// onTimeoutCancel of Twisted's timeout tests.
function overrideFunc(_value: unknown, _timeout: number): string {
  return "OVERRIDDEN";
}

describe("Deferred callbacks", () => {
  it("calls a callback with the result", () => {
    const d = new Deferred<string>();
    const seen: unknown[][] = [];
    d.addCallback((...args: unknown[]) => {
      seen.push(args);
    });
    d.callback("hello");
    assert.deepEqual(seen, [["hello"]]);
  });

  it("passes extra arguments after the result", () => {
    const d = new Deferred<string>();
    const seen: unknown[][] = [];
    d.addCallback(
      (r: string, a: string, b: number) => {
        seen.push([r, a, b]);
      },
      "world",
      2,
    );
    d.callback("hello");
    assert.deepEqual(seen, [["hello", "world", 2]]);
  });

  it("gives each callback the previous callback's return value", () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.addCallback((n) => {
      seen.push(n);
      return n + 1;
    }).addCallback((n) => {
      seen.push(n);
      return n * 10;
    });
    d.callback(1);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(d.result, 20);
  });

  it("returns the same Deferred from every add method", () => {
    const d = new Deferred<number>();
    assert.equal(d.addCallback(passthru), d);
    assert.equal(d.addErrback(passthru), d);
    assert.equal(d.addBoth(passthru), d);
    assert.equal(d.addCallbacks(passthru, passthru), d);
    assert.equal(d.addTimeout(1, new FakeClock()), d);
    d.callback(1);
  });

  it("runs callbacks added after firing at once, synchronously", () => {
    const d = succeed("now");
    let seen: string | undefined;
    d.addCallback((v) => {
      seen = v;
    });
    assert.equal(seen, "now");
  });

  it("runs no callback before it is fired", () => {
    const d = new Deferred<number>();
    let ran = false;
    d.addBoth(() => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(d.called, false);
    assert.equal(d.result, undefined);
  });

  it("reports called once fired by callback or errback", () => {
    const a = new Deferred<number>();
    a.callback(1);
    assert.equal(a.called, true);
    const b = new Deferred<number>();
    b.errback(new GenericError("x"));
    assert.equal(b.called, true);
    b.addErrback(() => undefined);
  });

  it("uses a pass-through errback when addCallbacks gets null", () => {
    const error = new GenericError("oopsie");
    const d = new Deferred<number>();
    let called = false;
    d.addCallbacks(() => {
      called = true;
    }, null);
    d.errback(error);
    const f = failureResultOf(d, GenericError);
    assert.equal(f.value, error);
    assert.equal(called, false);
  });

  it("passes callbackArgs and errbackArgs from addCallbacks", () => {
    const seen: unknown[][] = [];
    const ok = new Deferred<string>();
    ok.addCallbacks((...a: unknown[]) => seen.push(a), (...a) => seen.push(a), {
      callbackArgs: [1, 2],
      errbackArgs: [3],
    });
    ok.callback("r");
    const bad = new Deferred<string>();
    const f = new Failure(new GenericError("e"));
    bad.addCallbacks(
      (...a: unknown[]) => seen.push(a),
      (...a) => seen.push(a),
      {
        callbackArgs: [1, 2],
        errbackArgs: [3],
      },
    );
    bad.errback(f);
    assert.deepEqual(seen, [["r", 1, 2], [f, 3]]);
  });

  it("passes extra arguments to errbacks and to addBoth functions", () => {
    const seen: unknown[][] = [];
    const f = new Failure(new GenericError("e"));
    fail(f).addErrback((...a: unknown[]) => {
      seen.push(a);
    }, "x");
    succeed(1).addBoth((...a: unknown[]) => seen.push(a), "y", "z");
    fail(f).addBoth((...a: unknown[]) => {
      seen.push(a);
    }, "w");
    assert.deepEqual(seen, [[f, "x"], [1, "y", "z"], [f, "w"]]);
  });

  it("rejects callbacks and errbacks that are not functions", () => {
    const d = new Deferred();
    const notFn = 42 as unknown as () => void;
    assert.throws(() => d.addCallback(notFn), TypeError);
    assert.throws(() => d.addErrback(notFn), TypeError);
    assert.throws(() => d.addBoth(notFn), TypeError);
    assert.throws(() => d.addCallbacks(notFn), TypeError);
    assert.throws(() => d.addCallbacks(passthru, notFn), TypeError);
  });

  it("describes itself as pending, waiting or with its result", () => {
    const d = new Deferred<string>();
    assert.equal(String(d), "Deferred { pending }");
    d.callback("orange");
    assert.equal(String(d), "Deferred { current result: orange }");
    const a = new Deferred();
    a.addCallback(() => new Deferred());
    a.callback(null);
    assert.equal(String(a), "Deferred { waiting on another Deferred }");
  });

  // Twisted asserts; JS has no asserts in production, so a clear TypeError.
  it("refuses to be fired with a Deferred", () => {
    const d = new Deferred<unknown>();
    assert.throws(() => d.callback(new Deferred()), TypeError);
    assert.equal(d.called, false);
  });
});

describe("Deferred reentrancy", () => {
  it("adds a callback added by a running callback to the end of the chain", () => {
    const d = new Deferred<null>();
    const called: number[] = [];
    d.addCallback(() => {
      called.push(1);
      d.addCallback(() => {
        called.push(3);
      });
    });
    d.addCallback(() => {
      called.push(2);
    });
    d.callback(null);
    assert.deepEqual(called, [1, 2, 3]);
  });

  it("does not run a callback added by a running callback until that one returns", () => {
    const d = new Deferred<null>();
    const called: number[] = [];
    d.addCallback(() => {
      called.push(1);
      d.addCallback(() => {
        called.push(2);
      });
      assert.deepEqual(called, [1]);
    });
    d.callback(null);
    assert.deepEqual(called, [1, 2]);
  });

  it("fails the chain when a callback added by a running callback throws", () => {
    const d = new Deferred<null>();
    d.addCallback(() => {
      d.addCallback(() => {
        throw new Error("callback raised exception");
      });
    });
    d.callback(null);
    const f = failureResultOf(d, Error);
    assert.equal(f.getErrorMessage(), "callback raised exception");
  });

  it("throws AlreadyCalledError when a callback fires its own Deferred", () => {
    const d = new Deferred<number>();
    let error: unknown;
    d.addCallback(() => {
      try {
        d.callback(2);
      } catch (e) {
        error = e;
      }
    });
    d.callback(1);
    assert.ok(error instanceof AlreadyCalledError);
  });
});

describe("Deferred errback path", () => {
  it("wraps a reason that is not a Failure in one", () => {
    const error = new GenericError("bad");
    const d = fail(error);
    const f = failureResultOf(d, GenericError);
    assert.equal(f.value, error);
  });

  it("passes a Failure on unchanged", () => {
    const f = new Failure(new GenericError("bad"));
    const d = new Deferred();
    d.errback(f);
    assert.equal(failureResultOf(d), f);
  });

  // JavaScript has no "current exception" for errback() to take, as
  // Python's Failure() does.
  it("makes an Error when errback gets no reason", () => {
    const d = new Deferred();
    d.errback();
    const f = failureResultOf(d, Error);
    assert.equal(f.getErrorMessage(), "Unknown failure");
  });

  it("wraps values that are not errors, keeping them as the value", () => {
    for (const reason of ["text", 42, null, { code: 7 }]) {
      const f = failureResultOf(fail(reason));
      assert.equal(f.value, reason);
    }
  });

  it("runs the errback chain when fired with callback(failure)", () => {
    const f = new Failure(new GenericError("via callback"));
    const d = new Deferred<number>();
    d.callback(f);
    assert.equal(failureResultOf(d), f);
  });

  it("switches to the errback path when a callback throws, skipping callbacks", () => {
    const seen: string[] = [];
    const d = new Deferred<number>();
    d
      .addCallback(() => {
        throw new RangeError("1 // 0");
      })
      .addCallback(() => {
        seen.push("skipped");
      })
      .addErrback((f) => {
        seen.push(f.type === RangeError ? "errback" : "wrong");
      });
    d.callback(1);
    assert.deepEqual(seen, ["errback"]);
  });

  it("switches to the errback path when a callback returns a Failure", () => {
    const d = new Deferred<number>();
    d.addCallback(() => new Failure(new RangeError("returned")));
    d.callback(1);
    failureResultOf(d, RangeError);
  });

  it("passes a thrown Failure on as that same Failure", () => {
    const f = new Failure(new GenericError("thrown"));
    const d = succeed(1).addCallback(() => {
      throw f;
    });
    assert.equal(failureResultOf(d), f);
  });

  it("switches back to callbacks when an errback returns a value", () => {
    const d = fail(new GenericError("x"))
      .addErrback(() => "recovered")
      .addCallback((s) => s.toUpperCase());
    assert.equal(successResultOf(d), "RECOVERED");
  });

  it("stays on the errback path when an errback throws", () => {
    const d = fail(new GenericError("first")).addErrback(() => {
      throw new RangeError("second");
    });
    assert.equal(failureResultOf(d, RangeError).getErrorMessage(), "second");
  });

  // Twisted's trap raises the value, so the next errback gets a new Failure
  // with the same value; Twixt passes on the same Failure (API.md).
  it("passes the same Failure to the next errback when trap matches nothing", () => {
    const f = new Failure(new GenericError("x"));
    let next: Failure | undefined;
    fail(f)
      .addErrback((g) => g.trap(RangeError))
      .addErrback((g) => {
        next = g;
      });
    assert.equal(next, f);
  });

  it("runs a paused Deferred's errbacks once unpaused", () => {
    const seen: Failure[] = [];
    const d = fail(new GenericError("fail"));
    d.pause();
    d.addErrback((f) => {
      seen.push(f);
    });
    assert.equal(seen.length, 0);
    d.unpause();
    assert.equal(seen[0]?.getErrorMessage(), "fail");
  });
});

describe("Deferred pause and unpause", () => {
  it("holds the callbacks while paused and runs them on unpause", () => {
    const d = new Deferred<number>();
    const seen = record(d);
    d.pause();
    d.callback(5);
    assert.deepEqual(seen, []);
    assert.equal(d.paused, 1);
    d.unpause();
    assert.deepEqual(seen, [5]);
    assert.equal(d.paused, 0);
  });

  it("needs one unpause per pause", () => {
    const d = new Deferred<number>();
    const seen = record(d);
    d.pause();
    d.pause();
    d.callback(1);
    d.unpause();
    assert.deepEqual(seen, []);
    d.unpause();
    assert.deepEqual(seen, [1]);
  });

  it("does nothing on unpause before a result", () => {
    const d = new Deferred<number>();
    let ran = false;
    d.pause();
    d.addCallback(() => {
      ran = true;
    });
    d.unpause();
    assert.equal(ran, false);
    d.callback(1);
    assert.equal(ran, true);
  });

  // Twisted lets `paused` go negative, after which the chain never runs
  // until a pause() brings it back to zero; Twixt ignores the stray unpause.
  it("ignores an unpause that matches no pause", () => {
    const d = new Deferred<number>();
    const seen = record(d);
    d.unpause();
    assert.equal(d.paused, 0);
    d.callback(3);
    assert.deepEqual(seen, [3]);
  });

  // In Twisted such an unpause runs the rest of the chain with the other
  // Deferred as the result, and its firing later drives `paused` negative.
  it("ignores an unpause that would end a wait on another Deferred", () => {
    const inner = new Deferred<number>();
    const d = succeed(0).addCallback(() => inner);
    const seen = record(d);
    assert.equal(d.paused, 1);
    d.unpause();
    assert.equal(d.paused, 1);
    assert.deepEqual(seen, []);
    inner.callback(5);
    assert.deepEqual(seen, [5]);
    assert.equal(d.paused, 0);
  });

  it("holds callbacks added to a fired, paused Deferred", () => {
    const d = succeed(1);
    d.pause();
    const seen = record(d);
    assert.deepEqual(seen, []);
    d.unpause();
    assert.deepEqual(seen, [1]);
  });

  it("waits for a paused Deferred returned from a callback to be unpaused", () => {
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    d2.pause();
    const seen: number[] = [];
    d1.addCallback(() => d2).addCallback((n) => {
      seen.push(n);
    });
    d1.callback(1);
    assert.deepEqual(seen, []);
    d2.callback(2);
    assert.deepEqual(seen, []);
    d2.unpause();
    assert.deepEqual(seen, [2]);
  });

  it("waits on a paused Deferred that already has a result", () => {
    const expected = {};
    const paused = succeed(expected);
    paused.pause();
    const chained = new Deferred<null>();
    chained.addCallback(() => paused);
    chained.callback(null);
    const seen = record(chained);
    assert.deepEqual(seen, []);
    paused.unpause();
    assert.equal(seen[0], expected);
  });

  it("lets a fired Deferred run its callbacks while the one that waited on it is paused", () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    first.addCallback(() => second);
    first.callback(null);
    first.pause();
    second.callback(null);
    const seen = record(second);
    assert.deepEqual(seen, [undefined]);
  });

  // Twisted stops the whole loop when the waiting Deferred is paused,
  // stranding the callbacks added to the inner one after the hand-off
  // until another callback is added to it; Twixt runs them.
  it("runs an inner Deferred's later callbacks when the one waiting on it is paused", () => {
    const first = new Deferred<string>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const firstSeen = record(first);
    const secondSeen = record(second);
    second.pause();
    first.callback("x");
    assert.deepEqual(firstSeen, [undefined]);
    assert.deepEqual(secondSeen, []);
    second.unpause();
    assert.deepEqual(secondSeen, ["x"]);
  });
});

describe("Deferred chaining", () => {
  it("takes the result of a fired Deferred returned from a callback, leaving it undefined", () => {
    const result = {};
    const first = succeed(result);
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const seen = record(first);
    assert.equal(seen[0], undefined);
    second.addCallback((r) => {
      seen.push(r);
    });
    assert.equal(seen[1], result);
  });

  it("waits for an unfired Deferred returned from a callback, then takes its result", () => {
    const first = new Deferred<object>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const firstResult = record(first);
    const secondResult = record(second);
    assert.deepEqual(firstResult, []);
    assert.deepEqual(secondResult, []);
    const result = {};
    first.callback(result);
    assert.deepEqual(firstResult, [undefined]);
    assert.equal(secondResult[0], result);
  });

  it("takes the Failure of a failed Deferred returned from a callback", () => {
    const first = fail(new RangeError("First Deferred's Failure"));
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const firstResult = record(first);
    assert.equal(firstResult[0], undefined);
    failureResultOf(second, RangeError);
  });

  it("takes the Failure of a waited-on Deferred when it fails later", () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const secondError: Failure[] = [];
    second.addErrback((f) => {
      secondError.push(f);
    });
    const firstResult = record(first);
    const secondResult = record(second);
    first.errback(new RangeError("First Deferred's Failure"));
    assert.ok(secondError[0]?.check(RangeError));
    assert.deepEqual(firstResult, [undefined]);
    assert.equal(secondResult.length, 1);
  });

  it("chains transitively: C returned on B returned on A fires A when C fires", () => {
    const first = new Deferred<object>();
    const second = new Deferred<unknown>();
    second.addCallback(() => first);
    const third = new Deferred<unknown>();
    third.addCallback(() => second);
    const thirdResult = record(third);
    const result = {};
    second.callback(null);
    third.callback(null);
    assert.deepEqual(thirdResult, []);
    first.callback(result);
    assert.equal(thirdResult[0], result);
  });

  it("continues an outer chain when a nested inner Deferred fires later", () => {
    const results: unknown[] = [];
    const failures: Failure[] = [];
    const inner = new Deferred<string>();
    const outer = succeed("outer");
    outer.addCallback((result) => {
      results.push(["start-of-cb", result]);
      return succeed("inner")
        .addCallback(() => {
          results.push(["firstCallback", "inner"]);
          return inner;
        })
        .addCallback((r) => {
          results.push(["secondCallback", r]);
          return r + r;
        })
        .addErrback((f) => {
          failures.push(f);
        });
    });
    outer.addCallback((r) => {
      results.push(r);
    });
    assert.deepEqual(results, [
      ["start-of-cb", "outer"],
      ["firstCallback", "inner"],
    ]);
    inner.callback("orange");
    inner.addErrback((f) => {
      failures.push(f);
    });
    outer.addErrback((f) => {
      failures.push(f);
    });
    assert.deepEqual(failures, []);
    assert.deepEqual(results, [
      ["start-of-cb", "outer"],
      ["firstCallback", "inner"],
      ["secondCallback", "orange"],
      "orangeorange",
    ]);
  });

  it("applies callbacks added to the inner Deferred before it was returned", () => {
    const results: unknown[] = [];
    const inner = new Deferred<string>();
    const outer = succeed("outer");
    outer.addCallback((result) => {
      results.push(["start-of-cb", result]);
      return succeed("inner")
        .addCallback((r) => {
          results.push(["firstCallback", r]);
          return inner.addCallback((x) => [x]);
        })
        .addCallback((r) => {
          results.push(["secondCallback", r]);
          return [...r, ...r];
        });
    });
    outer.addCallback((r) => {
      results.push(r);
    });
    assert.deepEqual(results, [
      ["start-of-cb", "outer"],
      ["firstCallback", "inner"],
    ]);
    inner.callback("withers");
    assert.deepEqual(results, [
      ["start-of-cb", "outer"],
      ["firstCallback", "inner"],
      ["secondCallback", ["withers"]],
      ["withers", "withers"],
    ]);
  });

  it("runs a middle Deferred's callbacks after the third fires and before the first gets the result", () => {
    const results: unknown[] = [];
    const inner = new Deferred<string>();
    const outer = succeed("outer");
    outer.addCallback((result) => {
      results.push(["start-of-cb", result]);
      const d = succeed("inner");
      d.addCallback(() => {
        results.push(["firstCallback", "inner"]);
        return inner;
      }).addCallback((r) => {
        results.push(["secondCallback", r]);
        return r + r;
      });
      return d;
    });
    inner.callback("orange");
    outer.addCallback((r) => {
      results.push(r);
    });
    assert.deepEqual(results, [
      ["start-of-cb", "outer"],
      ["firstCallback", "inner"],
      ["secondCallback", "orange"],
      "orangeorange",
    ]);
  });

  // Twisted's test_continueCallbackNotFirst and test_callbackOrderPreserved
  // use gatherResults([a]); a Deferred fed by `a` plays its part here.
  function following(a: Deferred<string | null>): Deferred<unknown[]> {
    const g = new Deferred<unknown[]>();
    a.addCallback((v) => {
      g.callback([v]);
    });
    return g;
  }

  it("finds the continuation of a waiting Deferred when it is not the first callback", () => {
    const results: unknown[] = [];
    const failures: Failure[] = [];
    const a = new Deferred<string | null>();
    const outer = succeed("outer");
    outer.addCallback((result) => {
      results.push(["cb", result]);
      const d = new Deferred<null>();
      d.addCallback((r) => {
        results.push(["firstCallback", r]);
        return following(a);
      }).addCallback((r) => {
        results.push(["secondCallback", r]);
      }).addErrback((f) => {
        failures.push(f);
      });
      d.callback(null);
      return d;
    });
    outer.addErrback((f) => {
      failures.push(f);
    });
    assert.deepEqual(results, [["cb", "outer"], ["firstCallback", null]]);
    a.callback("withers");
    assert.deepEqual(failures, []);
    assert.deepEqual(results, [
      ["cb", "outer"],
      ["firstCallback", null],
      ["secondCallback", ["withers"]],
    ]);
  });

  it("runs a callback added after a chained one only after the other Deferred's callbacks", () => {
    const results: unknown[] = [];
    const a = new Deferred<string | null>();
    const outer = new Deferred<string>();
    outer.addCallback((result) => {
      results.push(["cb", result]);
      const d = new Deferred<null>();
      d.addCallback((r) => {
        results.push(["firstCallback", r]);
        return following(a);
      }).addCallback((r) => {
        results.push(["secondCallback", r]);
      });
      d.callback(null);
      return d;
    });
    outer.addCallback(() => {
      results.push(["final", null]);
    });
    outer.callback("outer");
    assert.deepEqual(results, [["cb", "outer"], ["firstCallback", null]]);
    a.callback("withers");
    assert.deepEqual(results, [
      ["cb", "outer"],
      ["firstCallback", null],
      ["secondCallback", ["withers"]],
      ["final", null],
    ]);
  });

  it("calls callbacks added to a middle Deferred after the last one fires", () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    const third = new Deferred<null>();
    first.addCallback(() => second);
    second.addCallback(() => third);
    second.callback(null);
    first.callback(null);
    third.callback(null);
    const results = record(second);
    assert.deepEqual(results, [undefined]);
  });

  // Twisted warns and then hangs forever; Twixt fails the chain instead.
  it("fails with a TypeError when a callback returns its own Deferred", () => {
    const d = new Deferred<string>();
    d.addCallback(() => d as unknown as string);
    d.callback("foo");
    const f = failureResultOf(d, TypeError);
    assert.match(f.getErrorMessage(), /Cannot chain a Deferred to itself/);
  });

  it("says it is waiting while another Deferred holds it", () => {
    const a = new Deferred<null>();
    const b = new Deferred<null>();
    a.addCallback(() => b);
    a.callback(null);
    assert.equal(a.result, b);
    assert.match(String(a), /waiting/);
    b.callback(null);
    assert.equal(a.result, null);
    assert.equal(b.result, undefined);
  });
});

describe("Deferred.chainDeferred", () => {
  it("fires the other Deferred with this result and goes on with undefined", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    assert.equal(a.chainDeferred(b), a);
    a.callback(3);
    assert.equal(a.result, undefined);
    assert.equal(successResultOf(b), 3);
  });

  it("passes a Failure on to the other Deferred", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    const f = new Failure(new GenericError("x"));
    a.errback(f);
    assert.equal(resultOf(a), undefined);
    assert.equal(failureResultOf(b), f);
  });

  it("is not fired when the other Deferred fires", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    b.callback(1);
    assert.equal(a.called, false);
    // As in Twisted, firing this one then fails its chain: the other
    // cannot be fired twice.
    a.callback(2);
    failureResultOf(a, AlreadyCalledError);
  });
});

describe("Deferred stack depth", () => {
  // Twisted's test_boundedStackDepth: the callback at the end of a chain of
  // Deferreds runs at the same stack depth however long the chain is.
  function depthAfterChaining(howMany: number): number {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const depths: number[] = [];
      const top = new Deferred<null>();
      const inners = Array.from(
        { length: howMany },
        () => new Deferred<null>(),
      );
      const originals = [...inners];
      const last = new Deferred<null>();
      let inner = inners.pop()!;
      const firstInner = inner;
      top.addCallback(() => firstInner);
      top.addCallback(() => {
        depths.push((new Error().stack ?? "").split("\n").length);
      });
      while (inners.length) {
        const newInner = inners.pop()!;
        inner.addCallback(() => newInner);
        inner = newInner;
      }
      inner.addCallback(() => last);
      top.callback(null);
      for (const d of originals) d.callback(null);
      assert.deepEqual(depths, []);
      last.callback(null);
      assert.equal(depths.length, 1);
      return depths[0]!;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  it("runs callbacks at the same stack depth however many Deferreds are chained", () => {
    assert.equal(depthAfterChaining(1), depthAfterChaining(2));
    assert.equal(depthAfterChaining(1), depthAfterChaining(50));
  });

  // An Error thrown in a callback captures the frames under it, at a cost
  // per frame: firing puts one frame of the library there, not two.
  it("runs a callback fired by callback() with one frame of its own under it", () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const depth = (): number => (new Error().stack ?? "").split("\n").length;
      let inCaller = 0;
      let inCallback = 0;
      const d = new Deferred<number>();
      d.addCallback(() => {
        inCallback = depth();
      });
      const fire = (): void => {
        inCaller = depth();
        d.callback(1);
      };
      fire();
      // The callback's own frame, then the Deferred's.
      assert.equal(inCallback - inCaller, 2);
    } finally {
      Error.stackTraceLimit = limit;
    }
  });

  const N = 1_000_000;

  // Each Deferred's callback returns the next one, which waits on the
  // next; the order of firing decides whether every Deferred waits (outermost
  // first) or finds its inner one fired already (innermost first).
  for (const order of ["outermost", "innermost"]) {
    it(`runs 1,000,000 nested Deferreds fired ${order} first`, {
      timeout: 120_000,
    }, () => {
      const ds = Array.from({ length: N }, () => new Deferred<number>());
      for (let i = 0; i < N - 1; i++) {
        const next = ds[i + 1]!;
        ds[i]!.addCallback(() => next);
      }
      ds[0]!.addCallback((r) => r * 2);
      if (order === "outermost") {
        for (let i = 0; i < N; i++) ds[i]!.callback(i);
      } else for (let i = N - 1; i >= 0; i--) ds[i]!.callback(i);
      assert.equal(ds[0]!.result, (N - 1) * 2);
    });
  }

  it(
    "runs 1,000,000 Deferreds each made and returned by the previous one's callback",
    { timeout: 120_000 },
    () => {
      // Each callback makes the next Deferred and returns it unfired; they
      // are fired in the order they were made, then the last is fired.
      const last = new Deferred<number>();
      const made: Deferred<number>[] = [];
      const step = (): Deferred<number> => {
        const d = new Deferred<number>();
        d.addCallback(made.length < N - 1 ? step : () => last);
        made.push(d);
        return d;
      };
      const top = new Deferred<number>();
      top.addCallback(step);
      top.callback(0);
      for (let i = 0; i < made.length; i++) made[i]!.callback(i);
      assert.equal(made.length, N);
      assertNoResult(top);
      last.callback(42);
      assert.equal(top.result, 42);
    },
  );

  it("runs 1,000,000 callbacks on one Deferred", { timeout: 120_000 }, () => {
    const d = new Deferred<number>();
    const inc = (x: number): number => x + 1;
    for (let i = 0; i < N; i++) d.addCallback(inc);
    d.callback(0);
    assert.equal(d.result, N);
  });

  it("runs 1,000,000 callbacks each returning a fired Deferred", {
    timeout: 120_000,
  }, () => {
    const d = new Deferred<number>();
    const inc = (x: number): Deferred<number> => succeed(x + 1);
    for (let i = 0; i < N; i++) d.addCallback(inc);
    d.callback(0);
    assert.equal(d.result, N);
  });
});

describe("Deferred waiting on thenables", () => {
  it("pauses the chain on a returned Promise and goes on with its value", async () => {
    const seen: unknown[] = [];
    let resolve!: (v: string) => void;
    const p = new Promise<string>((r) => {
      resolve = r;
    });
    const d = succeed(1)
      .addCallback(() => p)
      .addCallback((v) => {
        seen.push(v);
        return v.length;
      });
    assertNoResult(d);
    resolve("later");
    await p;
    await Promise.resolve();
    assert.deepEqual(seen, ["later"]);
    assert.equal(successResultOf(d), 5);
  });

  it("switches to the errback path when a returned Promise rejects", async () => {
    const error = new GenericError("rejected");
    const d = succeed(1).addCallback(() => Promise.reject(error));
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(failureResultOf(d, GenericError).value, error);
  });

  it("waits on an async function's Promise returned from a callback", async () => {
    const d = succeed(2).addCallback(async (n) => {
      await null;
      return n * 3;
    });
    assert.equal(await d, 6);
  });

  it("pauses the chain on a custom thenable and goes on when it calls back", () => {
    let onFulfilled: ((v: number) => void) | undefined;
    const thenable: PromiseLike<number> = {
      then(f) {
        onFulfilled = f as (v: number) => void;
        return this as PromiseLike<never>;
      },
    };
    const seen: number[] = [];
    const d = succeed(0)
      .addCallback(() => thenable)
      .addCallback((n) => {
        seen.push(n);
      });
    assertNoResult(d);
    onFulfilled!(7);
    assert.deepEqual(seen, [7]);
  });

  it("goes straight on when a custom thenable calls back synchronously", () => {
    const thenable: PromiseLike<string> = {
      then(f) {
        f?.("sync");
        return this as PromiseLike<never>;
      },
    };
    const d = succeed(0).addCallback(() => thenable);
    assert.equal(successResultOf(d), "sync");
  });

  it("takes a custom thenable's rejection as a Failure", () => {
    const thenable: PromiseLike<string> = {
      then(_f, r) {
        r?.(new GenericError("no"));
        return this as PromiseLike<never>;
      },
    };
    const d = succeed(0).addCallback(() => thenable);
    failureResultOf(d, GenericError);
  });

  it("fails the chain when a thenable's then throws", () => {
    const thenable = {
      then(): never {
        throw new GenericError("then broke");
      },
    };
    const d = succeed(0).addCallback(() => thenable as PromiseLike<never>);
    assert.equal(
      failureResultOf(d, GenericError).getErrorMessage(),
      "then broke",
    );
    // The Deferred still works: later callbacks run.
    d.addCallback(() => "after");
    assert.equal(successResultOf(d), "after");
  });

  it("fails the chain when reading then throws", () => {
    const thenable = {
      get then(): never {
        throw new GenericError("no then");
      },
    };
    const d = succeed(0).addCallback(() => thenable);
    failureResultOf(d, GenericError);
  });

  it("keeps only the first settlement of a thenable that calls back twice", () => {
    const thenable: PromiseLike<string> = {
      then(f, r) {
        f?.("first");
        f?.("second");
        r?.(new Error("third"));
        return this as PromiseLike<never>;
      },
    };
    const d = succeed(0).addCallback(() => thenable);
    assert.equal(successResultOf(d), "first");
  });

  it("treats an object with a non-function then as a plain value", () => {
    const value = { then: 5 };
    const d = succeed(0).addCallback(() => value);
    assert.equal(successResultOf(d), value);
  });

  it("cancels the Deferred standing for a returned Promise when the outer one is cancelled", () => {
    const d = succeed(0).addCallback(() => new Promise<number>(() => {}));
    d.cancel();
    failureResultOf(d, CancelledError);
  });
});

describe("Deferred with await and then", () => {
  it("gives an awaiter of an unfired Deferred its result and goes on with undefined", async () => {
    const d = new Deferred<number>();
    setTimeout(() => d.callback(9), 0);
    assert.equal(await d, 9);
    assert.equal(d.result, undefined);
    const later = record(d);
    assert.deepEqual(later, [undefined]);
  });

  it("rejects an awaiter of an unfired Deferred with the failure's value, which is then handled", async () => {
    const d = new Deferred<number>();
    const error = new GenericError("late");
    setTimeout(() => d.errback(error), 0);
    await assert.rejects(async () => await d, (e) => e === error);
    assert.equal(d.result, undefined);
  });

  it("reads the result of a fired Deferred and leaves it in place", async () => {
    const d = succeed("kept");
    assert.equal(await d, "kept");
    assert.equal(await d, "kept");
    assert.equal(d.result, "kept");
  });

  it("reads the failure of a fired Deferred and leaves it in place", async () => {
    const error = new GenericError("kept");
    const d = fail(error);
    await assert.rejects(async () => await d, (e) => e === error);
    assert.equal(failureResultOf(d).value, error);
  });

  it("waits for a paused fired Deferred to be unpaused", async () => {
    const d = succeed(4);
    d.pause();
    const p = d.asPromise();
    let settled = false;
    p.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(settled, false);
    d.unpause();
    assert.equal(await p, 4);
    assert.equal(d.result, undefined);
  });

  it("waits for a Deferred that is waiting on another", async () => {
    const inner = new Deferred<string>();
    const d = succeed(0).addCallback(() => inner);
    setTimeout(() => inner.callback("inner"), 0);
    assert.equal(await d, "inner");
  });

  it("passes then's handlers their value or rejection reason", async () => {
    assert.equal(await succeed(2).then((n) => n + 1), 3);
    const error = new GenericError("x");
    assert.equal(await fail(error).then(() => "no", (e) => e), error);
  });

  it("makes asPromise follow the same rule as await", async () => {
    const fired = succeed(1);
    assert.equal(await fired.asPromise(), 1);
    assert.equal(fired.result, 1);
    const unfired = new Deferred<number>();
    const p = unfired.asPromise();
    unfired.callback(2);
    assert.equal(await p, 2);
    assert.equal(unfired.result, undefined);
  });

  it("makes a Deferred from a Promise that resolves or rejects", async () => {
    assert.equal(await Deferred.fromPromise(Promise.resolve("done")), "done");
    const error = new GenericError("no");
    const d = Deferred.fromPromise(Promise.reject(error));
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(failureResultOf(d).value, error);
    assert.equal(
      await Deferred.fromCoroutine((async () => {
        await null;
        return 5;
      })()),
      5,
    );
  });

  // Twisted's test_fromCoroutineRequiresCoroutine, on the errback path.
  it("fails with a TypeError when made from something that is not a promise", () => {
    const notPromises = [(x: unknown) => x, 1, true, null, undefined, {}, {
      then: 1,
    }];
    for (const thing of notPromises) {
      const d = Deferred.fromCoroutine(thing as PromiseLike<unknown>);
      failureResultOf(d, TypeError);
    }
    const broken = {
      get then(): never {
        throw new GenericError("no then");
      },
    };
    failureResultOf(Deferred.fromPromise(broken), GenericError);
  });

  it("ignores a Promise's settling after its Deferred was cancelled", async () => {
    let resolve!: (v: number) => void;
    const d = Deferred.fromPromise(
      new Promise<number>((r) => {
        resolve = r;
      }),
    );
    d.cancel();
    failureResultOf(d, CancelledError);
    resolve(1);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(d.result, undefined);
  });
});

describe("AlreadyCalledError", () => {
  function callOne(d: Deferred<string>): void {
    d.callback("hello");
  }
  function callTwo(d: Deferred<string>): void {
    d.callback("twice");
  }
  function errOne(d: Deferred<string>): void {
    d.errback(new Failure(new RangeError()));
  }
  function errTwo(d: Deferred<string>): void {
    d.errback(new Failure(new RangeError()));
  }
  const handled = (): Deferred<string> =>
    new Deferred<string>().addCallbacks(() => "", () => "");

  it("has the plain message without debugging", () => {
    const d = handled();
    callOne(d);
    assert.throws(
      () => callTwo(d),
      (e: Error) => e.message === "Cannot fire a Deferred twice",
    );
  });

  // The message names the creator and the first invoker, not the second.
  function check(
    make: () => Deferred<string>,
    first: (d: Deferred<string>) => void,
    second: (d: Deferred<string>) => void,
  ): void {
    setDebugging(true);
    let message = "";
    try {
      const d = make();
      first(d);
      try {
        second(d);
      } catch (e) {
        message = (e as Error).message;
      }
    } finally {
      setDebugging(false);
    }
    const [, created = "", invoked = ""] = message.split(
      /Deferred was created:|First invoker was:/,
    );
    assert.match(message, /^Cannot fire a Deferred twice/);
    assert.match(created, /handled/);
    assert.doesNotMatch(created, /callOne|callTwo|errOne|errTwo/);
    assert.match(invoked, new RegExp(first.name));
    assert.doesNotMatch(invoked, new RegExp(second.name));
  }

  const orders: [
    string,
    (d: Deferred<string>) => void,
    (d: Deferred<string>) => void,
  ][] = [
    ["callback after callback", callOne, callTwo],
    ["errback after callback", callOne, errTwo],
    ["errback after errback", errOne, errTwo],
    ["callback after errback", errOne, callTwo],
  ];
  for (const [how, first, second] of orders) {
    it(`is thrown on ${how}`, () => {
      const d = handled();
      first(d);
      assert.throws(() => second(d), AlreadyCalledError);
    });

    it(`names where it was created and first fired when debugging, on ${how}`, () => {
      check(handled, first, second);
    });
  }

  it("copes with debugging switched on and off during a Deferred's life", () => {
    try {
      setDebugging(false);
      let d = new Deferred<null>();
      d.addBoth(() => null);
      setDebugging(true);
      d.callback(null);
      assert.throws(
        () => d.callback(null),
        (e: Error) => /First invoker was/.test(e.message),
      );
      setDebugging(false);
      d = new Deferred<null>();
      d.callback(null);
      setDebugging(true);
      d.addBoth(() => null);
      assert.throws(() => d.callback(null), AlreadyCalledError);
    } finally {
      setDebugging(false);
    }
  });
});

describe("Deferred.cancel", () => {
  function watch(d: Deferred<string | null>): {
    callback: unknown[];
    errback: Failure[];
  } {
    const seen = { callback: [] as unknown[], errback: [] as Failure[] };
    d.addCallbacks((r) => {
      seen.callback.push(r);
      return r;
    }, (f) => {
      seen.errback.push(f);
    });
    return seen;
  }

  it("errbacks with CancelledError when there is no canceller", () => {
    const d = new Deferred<null>();
    const seen = watch(d);
    d.cancel();
    assert.equal(seen.errback[0]?.type, CancelledError);
    assert.deepEqual(seen.callback, []);
  });

  it("swallows one callback after a canceller-less cancel, then throws", () => {
    const d = new Deferred<null>();
    watch(d);
    d.cancel();
    d.callback(null);
    assert.throws(() => d.callback(null), AlreadyCalledError);
    assert.throws(() => d.errback(new Error()), AlreadyCalledError);
  });

  it("swallows one errback after a canceller-less cancel, then throws", () => {
    const d = new Deferred<null>();
    watch(d);
    d.cancel();
    d.errback(new Error());
    assert.throws(() => d.callback(null), AlreadyCalledError);
    assert.throws(() => d.errback(new Error()), AlreadyCalledError);
  });

  it("ignores further cancels after a cancel and a swallowed callback", () => {
    const d = new Deferred<null>();
    const seen = watch(d);
    d.cancel();
    const current = seen.errback[0];
    d.callback(null);
    d.cancel();
    assert.deepEqual(seen.errback, [current]);
  });

  it("ignores further cancels after a cancel and a swallowed errback", () => {
    const d = new Deferred<null>();
    const seen = watch(d);
    d.cancel();
    d.errback(new GenericError());
    assert.equal(seen.errback[0]?.type, CancelledError);
    d.cancel();
    assert.equal(seen.errback.length, 1);
  });

  it("ignores a second cancel", () => {
    const d = new Deferred<null>();
    const seen = watch(d);
    d.cancel();
    d.cancel();
    assert.equal(seen.errback.length, 1);
    assert.equal(seen.errback[0]?.type, CancelledError);
  });

  it("calls the canceller once however often it is cancelled", () => {
    let calls = 0;
    const d = new Deferred<null>(() => {
      calls++;
    });
    const seen = watch(d);
    d.cancel();
    d.cancel();
    assert.equal(calls, 1);
    assert.equal(seen.errback.length, 1);
    assert.equal(seen.errback[0]?.type, CancelledError);
  });

  it("does not swallow later fires when it has a canceller", () => {
    let calls = 0;
    const d = new Deferred<null>(() => {
      calls++;
    });
    watch(d);
    d.cancel();
    assert.equal(calls, 1);
    assert.throws(() => d.callback(null), AlreadyCalledError);
    assert.throws(() => d.errback(new Error()), AlreadyCalledError);
  });

  it("passes the Deferred to its canceller", () => {
    let given: unknown;
    const d: Deferred<null> = new Deferred<null>((x) => {
      given = x;
    });
    watch(d);
    d.cancel();
    assert.equal(given, d);
  });

  it("does nothing to a Deferred that has called back", () => {
    let calls = 0;
    const d = new Deferred<string>((x) => {
      calls++;
      x.errback(new GenericError());
    });
    const seen = watch(d);
    d.callback("biff!");
    d.cancel();
    assert.equal(calls, 0);
    assert.deepEqual(seen.errback, []);
    assert.deepEqual(seen.callback, ["biff!"]);
  });

  it("does nothing to a Deferred that has errbacked", () => {
    let calls = 0;
    const d = new Deferred<null>((x) => {
      calls++;
      x.errback(new GenericError());
    });
    const seen = watch(d);
    d.errback(new GenericError());
    d.cancel();
    assert.equal(calls, 0);
    assert.equal(seen.errback[0]?.type, GenericError);
  });

  it("keeps the failure of a canceller that errbacks", () => {
    const d = new Deferred<null>((x) => x.errback(new GenericError()));
    const seen = watch(d);
    d.cancel();
    assert.equal(seen.errback[0]?.type, GenericError);
  });

  it("keeps the result of a canceller that calls back", () => {
    const d = new Deferred<string>(fakeCallbackCanceller);
    const seen = watch(d);
    d.cancel();
    assert.deepEqual(seen.callback, ["Callback Result"]);
    assert.deepEqual(seen.errback, []);
  });

  it("cancels the Deferred it is waiting on instead of its own canceller", () => {
    let inner = 0;
    const b = new Deferred<null>(() => {
      inner++;
    });
    const a = new Deferred<null>(() => {
      assert.fail("the outer canceller must not run");
    });
    a.callback(null);
    a.addCallback(() => b);
    a.cancel();
    const seen = watch(a);
    assert.equal(inner, 1);
    assert.equal(seen.errback[0]?.type, CancelledError);
  });

  // Twisted lets the canceller's exception escape from cancel(); Twixt
  // sends it down the errback path instead, so the Deferred never hangs.
  it("errbacks with the error of a canceller that throws", () => {
    const d = new Deferred<null>(() => {
      throw new GenericError("canceller broke");
    });
    d.cancel();
    assert.equal(
      failureResultOf(d, GenericError).getErrorMessage(),
      "canceller broke",
    );
  });

  it("logs the error of a canceller that fires the Deferred and then throws", () => {
    const logged: string[] = [];
    const previous = setFailureLogger((_m, f) =>
      logged.push(f.getErrorMessage())
    );
    try {
      const d = new Deferred<string>((x) => {
        x.callback("fired");
        throw new GenericError("then broke");
      });
      d.cancel();
      assert.equal(successResultOf(d), "fired");
      assert.deepEqual(logged, ["then broke"]);
    } finally {
      setFailureLogger(previous);
    }
  });
});

describe("Deferred.addTimeout", () => {
  it("returns the Deferred so the chain goes on", () => {
    const d = new Deferred<null>();
    d.addTimeout(5, new FakeClock()).addCallback(() => "done");
    d.callback(null);
    assert.equal(successResultOf(d), "done");
  });

  // Fired before the timeout, the Deferred is never cancelled afterwards:
  // that would cancel the inner Deferred its callback returned.
  function firedBeforeTimeout(
    fire: (d: Deferred<string>) => void,
    onTimeoutCancel?: (value: unknown, timeout: number) => unknown,
  ): unknown {
    const clock = new FakeClock();
    const d = new Deferred<string>();
    d.addTimeout(10, clock, onTimeoutCancel);
    const inner = new Deferred<null>();
    let seen: unknown;
    d.addBoth((r) => {
      seen = r;
      return inner;
    });
    fire(d);
    clock.advance(15);
    assertNoResult(inner);
    assert.deepEqual(clock.getDelayedCalls(), []);
    return seen;
  }

  for (const custom of [undefined, overrideFunc]) {
    const how = custom ? " with onTimeoutCancel" : "";

    it(`calls back before the timeout and never cancels afterwards${how}`, () => {
      const seen = firedBeforeTimeout((d) => d.callback("results"), custom);
      assert.equal(seen, "results");
    });

    it(`errbacks before the timeout and never cancels afterwards${how}`, () => {
      const error = new RangeError("fail");
      const seen = firedBeforeTimeout((d) => d.errback(error), custom);
      assert.equal((seen as Failure).value, error);
    });

    it(`keeps the CancelledError of a cancel before the timeout${how}`, () => {
      const seen = firedBeforeTimeout((d) => d.cancel(), custom);
      assert.equal((seen as Failure).type, CancelledError);
    });
  }

  it("fails with TimeoutError when it times out", () => {
    const clock = new FakeClock();
    const d = new Deferred<null>();
    d.addTimeout(10, clock);
    assertNoResult(d);
    clock.advance(9);
    assertNoResult(d);
    clock.advance(6);
    const f = failureResultOf(d, TimeoutError);
    assert.equal((f.value as TimeoutError).timeout, 10);
    assert.match(f.getErrorMessage(), /timed out after 10 seconds/);
  });

  it("takes onTimeoutCancel's return value when it times out", () => {
    const clock = new FakeClock();
    const d = new Deferred<null>();
    d.addTimeout(10, clock, overrideFunc);
    assertNoResult(d);
    clock.advance(15);
    assert.equal(successResultOf(d), "OVERRIDDEN");
  });

  it("passes onTimeoutCancel the result and the timeout", () => {
    const clock = new FakeClock();
    const d = new Deferred<null>();
    const seen: unknown[] = [];
    d.addTimeout(3, clock, (value, timeout) => {
      seen.push(value instanceof Failure && value.type, timeout);
      return null;
    });
    clock.advance(3);
    assert.deepEqual(seen, [CancelledError, 3]);
  });

  it("keeps the result of a canceller that calls back when it times out", () => {
    const clock = new FakeClock();
    const d = new Deferred<string>((c) => c.callback("I was cancelled!"));
    d.addTimeout(10, clock);
    clock.advance(15);
    assert.equal(successResultOf(d), "I was cancelled!");
  });

  it("keeps the failure of a canceller that errbacks when it times out", () => {
    const clock = new FakeClock();
    const error = new RangeError("what!");
    const d = new Deferred<null>((c) => c.errback(error));
    d.addTimeout(10, clock);
    clock.advance(15);
    assert.equal(failureResultOf(d, RangeError).value, error);
  });

  it("lets onTimeoutCancel handle a canceller's failure", () => {
    const clock = new FakeClock();
    const d = new Deferred<null>((c) => c.errback(new RangeError("what!")));
    d.addTimeout(10, clock, overrideFunc);
    clock.advance(15);
    assert.equal(successResultOf(d), "OVERRIDDEN");
  });

  // Twisted's test_errbackAddedBeforeTimeout* and
  // test_callbackAddedToCancelerBeforeTimeout*: the timeout cancels, so
  // what was added before addTimeout runs first.
  function timedOutAfter(
    earlier: (d: Deferred<string | null>) => () => unknown,
    canceller?: (d: Deferred<string | null>) => void,
    onTimeoutCancel?: (value: unknown, timeout: number) => unknown,
  ): { seen: unknown; d: Deferred<unknown> } {
    const clock = new FakeClock();
    const d = new Deferred<string | null>(canceller);
    const seen = earlier(d);
    d.addTimeout(10, clock, onTimeoutCancel);
    clock.advance(15);
    return { seen: seen(), d };
  }
  const errbackThat =
    (eb: (f: Failure) => unknown) => (d: Deferred<unknown>) => {
      let seen: Failure | undefined;
      d.addErrback((f) => {
        seen = f;
        return eb(f);
      });
      return () => seen?.value;
    };
  const passesOn = errbackThat((f) => f);
  const traps = errbackThat((f) => {
    f.trap(CancelledError);
  });
  const suppresses = errbackThat(() => undefined);
  const callsBack = (x: Deferred<string | null>): void => x.callback("success");
  const recordsCallback = (d: Deferred<unknown>) => {
    let seen: unknown;
    d.addCallback((v) => (seen = v));
    return () => seen;
  };

  it("turns the CancelledError an earlier errback passed on into TimeoutError", () => {
    const { seen, d } = timedOutAfter(passesOn);
    assert.ok(seen instanceof CancelledError);
    failureResultOf(d, TimeoutError);
  });

  it("succeeds when an earlier errback traps the cancellation", () => {
    const { seen, d } = timedOutAfter(traps);
    assert.ok(seen instanceof CancelledError);
    assert.equal(successResultOf(d), undefined);
  });

  it("runs onTimeoutCancel after an earlier errback passed the cancellation on", () => {
    const { seen, d } = timedOutAfter(passesOn, undefined, overrideFunc);
    assert.ok(seen instanceof CancelledError);
    assert.equal(successResultOf(d), "OVERRIDDEN");
  });

  it("runs onTimeoutCancel after an earlier errback suppressed the cancellation", () => {
    const { seen, d } = timedOutAfter(suppresses, undefined, overrideFunc);
    assert.ok(seen instanceof CancelledError);
    assert.equal(successResultOf(d), "OVERRIDDEN");
  });

  it("runs a callback added before the timeout when the canceller calls back", () => {
    const { seen, d } = timedOutAfter(recordsCallback, callsBack);
    assert.equal(seen, "success");
    assert.equal(successResultOf(d), "success");
  });

  it("runs the callback and onTimeoutCancel when the canceller calls back", () => {
    const { seen, d } = timedOutAfter(recordsCallback, callsBack, overrideFunc);
    assert.equal(seen, "success");
    assert.equal(successResultOf(d), "OVERRIDDEN");
  });

  it("leaves no delayed call behind once fired", () => {
    const clock = new FakeClock();
    const d = new Deferred<number>().addTimeout(10, clock);
    assert.equal(clock.getDelayedCalls().length, 1);
    d.callback(1);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  // Twisted's callLater raises at once on a bad delay; a method returning
  // the Deferred fails it instead, naming the argument and its value.
  const badSeconds: Array<[unknown, typeof TypeError, RegExp]> = [
    ["5", TypeError, /timeout of "5" seconds: seconds must be a number/],
    [[5], TypeError, /timeout of \[5\] seconds/],
    [true, TypeError, /timeout of true seconds/],
    [{}, TypeError, /timeout of \{\} seconds/],
    [NaN, RangeError, /timeout of NaN seconds: seconds must be a finite/],
    [-1, RangeError, /timeout of -1 seconds/],
    [Infinity, RangeError, /timeout of Infinity seconds/],
  ];
  for (const [seconds, type, message] of badSeconds) {
    it(
      `fails the Deferred, without throwing, for seconds ${
        typeof seconds === "string" ? JSON.stringify(seconds) : String(seconds)
      }`,
      () => {
        const clock = new FakeClock();
        let stopped = false;
        const d = new Deferred<number>(() => {
          stopped = true;
        });
        assert.equal(d.addTimeout(seconds as number, clock), d);
        assert.ok(stopped, "the work is cancelled");
        assert.equal(clock.getDelayedCalls().length, 0);
        const f = failureResultOf(d, type);
        assert.equal(f.type, type);
        assert.match(f.getErrorMessage(), message);
      },
    );
  }

  it("fails a Deferred without a canceller, ignoring the work's later result", () => {
    const d = new Deferred<number>().addTimeout(-5, new FakeClock());
    d.callback(1);
    failureResultOf(d, RangeError);
  });

  it("fails an already fired Deferred from that point of its chain", () => {
    const seen: unknown[] = [];
    const d = succeed(1).addCallback((n) => seen.push(n));
    d.addTimeout(NaN, new FakeClock());
    failureResultOf(d, RangeError);
    assert.deepEqual(seen, [1]);
  });

  it("fails the Deferred for a clock without callLater, or a bad onTimeoutCancel", () => {
    const noClock = new Deferred().addTimeout(1, {} as IReactorTime);
    assert.match(
      failureResultOf(noClock, TypeError).getErrorMessage(),
      /with clock \{\}: it must have a callLater method/,
    );
    const badHook = new Deferred().addTimeout(
      1,
      new FakeClock(),
      "x" as unknown as () => unknown,
    );
    assert.match(
      failureResultOf(badHook, TypeError).getErrorMessage(),
      /onTimeoutCancel "x": it must be a function/,
    );
  });

  it("fails the Deferred with what the clock's callLater throws", () => {
    const clock = new FakeClock();
    clock.callLater = () => {
      throw new RangeError("Clock refused");
    };
    const d = new Deferred().addTimeout(1, clock);
    assert.equal(
      failureResultOf(d, RangeError).getErrorMessage(),
      "Clock refused",
    );
  });
});
