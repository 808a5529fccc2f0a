import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  ensureDeferred,
  fail,
  Failure,
  inlineCallbacks,
  succeed,
} from "./mod.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./testing.ts";

class UntranslatedError extends Error {}
class TranslatedError extends Error {}
class DontFail extends Error {
  constructor(readonly actualValue: number) {
    super("Don't fail");
  }
}

// Twisted's test_inlinecb.py sampleInlineCB: waits on a child Deferred and
// translates some of its failures.
const sample = inlineCallbacks(function* (child: () => Deferred<number>) {
  let x: number;
  try {
    x = yield child();
  } catch (e) {
    if (e instanceof UntranslatedError) throw new TranslatedError();
    if (e instanceof DontFail) x = e.actualValue - 2;
    else throw e;
  }
  return x + 1;
});

describe("inlineCallbacks", () => {
  it("fires with the generator's return value", () => {
    // deno-lint-ignore require-yield
    const f = inlineCallbacks(function* () {
      return 7;
    });
    assert.equal(successResultOf(f()), 7);
  });

  it("sends the results of fired Deferreds back at once", () => {
    const f = inlineCallbacks(function* () {
      const a: number = yield succeed(1);
      const b: number = yield succeed(2);
      return a + b;
    });
    assert.equal(successResultOf(f()), 3);
  });

  it("gives non-Deferred yielded values straight back", () => {
    const f = inlineCallbacks(function* () {
      const a: number = yield 5;
      return a * 2;
    });
    assert.equal(successResultOf(f()), 10);
  });

  it("waits for an unfired Deferred and resumes when it fires", () => {
    const child = new Deferred<string>();
    const f = inlineCallbacks(function* () {
      const page: string = yield child;
      return page.toUpperCase();
    });
    const d = f();
    assertNoResult(d);
    child.callback("abc");
    assert.equal(successResultOf(d), "ABC");
  });

  it("leaves the yielded Deferred with undefined as Twisted does", () => {
    const child = new Deferred<string>();
    const f = inlineCallbacks(function* () {
      yield child;
    });
    f();
    child.callback("x");
    assert.equal(child.result, undefined);
  });

  it("leaves a yielded fired Deferred with undefined too, failed or not", () => {
    const ok = succeed("x");
    const bad = fail(new RangeError("Nope"));
    const f = inlineCallbacks(function* () {
      const x: string = yield ok;
      try {
        yield bad;
      } catch {
        return x;
      }
      return "not caught";
    });
    assert.equal(successResultOf(f()), "x");
    assert.equal(ok.result, undefined);
    assert.equal(bad.result, undefined);
  });

  it("waits for a yielded fired Deferred that is paused", () => {
    const child = succeed(3);
    child.pause();
    const d = inlineCallbacks(function* () {
      const n: number = yield child;
      return n + 1;
    })();
    assertNoResult(d);
    child.unpause();
    assert.equal(successResultOf(d), 4);
  });

  it("waits for promises", async () => {
    const f = inlineCallbacks(function* () {
      const v: number = yield Promise.resolve(4);
      return v + 1;
    });
    assert.equal(await f(), 5);
  });

  it("throws a failure into the generator at the yield", () => {
    const f = inlineCallbacks(function* () {
      try {
        yield fail(new RangeError("Nope"));
      } catch (e) {
        assert.ok(e instanceof RangeError);
        return "caught";
      }
      return "not caught";
    });
    assert.equal(successResultOf(f()), "caught");
  });

  it("fails with what the generator throws", () => {
    const f = inlineCallbacks(function* () {
      yield succeed(1);
      throw new TypeError("Broken");
    });
    const failure = failureResultOf(f(), TypeError);
    assert.equal(failure.getErrorMessage(), "Broken");
  });

  it("passes arguments and this through", () => {
    const obj = {
      base: 10,
      add: inlineCallbacks(function* (this: { base: number }, n: number) {
        const v: number = yield succeed(n);
        return this.base + v;
      }),
    };
    assert.equal(successResultOf(obj.add(5)), 15);
  });

  it("waits for a returned Deferred", () => {
    const inner = new Deferred<number>();
    const f = inlineCallbacks(function* () {
      yield succeed(0);
      return inner;
    });
    const d = f();
    assertNoResult(d);
    inner.callback(3);
    assert.equal(successResultOf(d), 3);
  });

  it("fails clearly when the function is not a generator function", () => {
    const f = inlineCallbacks(
      (() => 3) as unknown as () => Generator<unknown, number>,
    );
    const failure = failureResultOf(f(), TypeError);
    assert.match(failure.getErrorMessage(), /did not return a generator/);
  });

  it("fails with a synchronous throw of the function", () => {
    const f = inlineCallbacks(function (): Generator<unknown, number> {
      throw new RangeError("Early");
    });
    failureResultOf(f(), RangeError);
  });

  it("runs 100,000 synchronous yields without growing the stack", () => {
    const f = inlineCallbacks(function* () {
      let total = 0;
      for (let i = 0; i < 100_000; i++) total += (yield succeed(1)) as number;
      return total;
    });
    assert.equal(successResultOf(f()), 100_000);
  });

  it("runs 10,000 asynchronous yields in turn", () => {
    const pending: Deferred<number>[] = [];
    const f = inlineCallbacks(function* () {
      let total = 0;
      for (let i = 0; i < 10_000; i++) {
        const d = new Deferred<number>();
        pending.push(d);
        total += (yield d) as number;
      }
      return total;
    });
    const d = f();
    while (pending.length) pending.shift()!.callback(2);
    assert.equal(successResultOf(d), 20_000);
  });
});

describe("inlineCallbacks cancellation", () => {
  it("cancels the Deferred the generator waits on", () => {
    let childResult: unknown = "none";
    const d = sample(() => {
      const c = new Deferred<number>();
      c.addErrback((f) => {
        childResult = f.check(CancelledError);
        return f;
      });
      return c;
    });
    d.addErrback(() => undefined);
    d.cancel();
    assert.equal(childResult, CancelledError);
  });

  it("errbacks the CancelledError through the outer Deferred", () => {
    const d = sample(() => new Deferred<number>());
    d.cancel();
    failureResultOf(d, CancelledError);
  });

  it("lets the generator translate the cancellation error into another", () => {
    const a = new Deferred<number>((it) => it.errback(new UntranslatedError()));
    const d = sample(() => a);
    d.cancel();
    failureResultOf(d, TranslatedError);
  });

  it("lets the generator translate the cancellation into a result", () => {
    const a = new Deferred<number>((it) => it.errback(new DontFail(4321)));
    const d = sample(() => a);
    const results: number[] = [];
    d.addCallback((r) => {
      results.push(r);
    });
    d.cancel();
    assert.deepEqual(results, [4320]);
  });

  it("reaches the outer callbacks only when the child's chain reaches the generator", () => {
    const more = new Deferred<number>();
    const d = sample(() => {
      const c = new Deferred<number>();
      c.addErrback((f) => {
        f.trap(CancelledError);
        return more;
      });
      return c;
    });
    d.cancel();
    assertNoResult(d);
    more.callback(6543);
    assert.equal(successResultOf(d), 6544);
  });

  it("can be cancelled twice while the generator carries on", () => {
    const children: Deferred<number>[] = [];
    const f = inlineCallbacks(function* () {
      let cancels = 0;
      for (let i = 0; i < 3; i++) {
        const c = new Deferred<number>();
        children.push(c);
        try {
          yield c;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          cancels++;
        }
      }
      return cancels;
    });
    const d = f();
    d.cancel();
    d.cancel();
    assertNoResult(d);
    children[2]!.callback(0);
    assert.equal(successResultOf(d), 2);
  });

  it("does nothing to a finished generator's Deferred", () => {
    // deno-lint-ignore require-yield
    const f = inlineCallbacks(function* () {
      return 1;
    });
    const d = f();
    d.cancel();
    assert.equal(successResultOf(d), 1);
  });
});

describe("ensureDeferred", () => {
  it("returns a Deferred unchanged", () => {
    const d = new Deferred();
    assert.equal(ensureDeferred(d), d);
  });

  it("wraps a promise", async () => {
    const d = ensureDeferred(Promise.resolve(3));
    assert.ok(d instanceof Deferred);
    assert.equal(await d, 3);
  });

  it("fails with a TypeError for other values", () => {
    const d = ensureDeferred(3 as unknown as Promise<number>);
    const f = failureResultOf(d, TypeError);
    assert.ok(f instanceof Failure);
  });
});
