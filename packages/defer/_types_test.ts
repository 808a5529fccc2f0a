// Type-level tests (issue 17, "Typings"): what TypeScript infers for
// Failure.check, Failure<E>, and inlineCallbacks with waitFor. The checks
// happen when this file is type-checked (`deno check`, and on every
// runtime's test run); each `@ts-expect-error` line must stay an error.
// The few runtime assertions make sure the typed code also does the right
// thing.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Deferred,
  type ErrorClass,
  fail,
  Failure,
  inlineCallbacks,
  succeed,
  waitFor,
} from "./mod.ts";

// True when A and B are the same type (`any` only equals `any`).
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends
  (<X>() => X extends B ? 1 : 2) ? true : false;
function assertType<_T extends true>(): void {}

class HTTPError extends Error {
  constructor(readonly status: number) {
    super(`${status}`);
  }
}

describe("types of Failure", () => {
  it("check(OneClass) narrows value to that class", () => {
    const f: Failure = new Failure(new HTTPError(404));
    // @ts-expect-error value is unknown before the check
    assert.ok(f.value.status);
    if (f.check(HTTPError)) {
      assertType<Equals<typeof f.value, HTTPError>>();
      assert.equal(f.value.status, 404);
    } else {
      assert.fail("an HTTPError");
    }
  });

  it("narrows an errback's Failure, with check then throw in place of trap", () => {
    const d = fail<string>(new HTTPError(503)).addErrback((f) => {
      if (!f.check(HTTPError)) throw f;
      return f.value.status;
    });
    assertType<Equals<typeof d, Deferred<string | number>>>();
    assert.equal(d.result, 503);
  });

  it("check and trap with several types return one of them, or null", () => {
    const f = new Failure(new TypeError("x"));
    const found = f.check(RangeError, "TypeError");
    assertType<
      Equals<typeof found, RangeErrorConstructor | "TypeError" | null>
    >();
    assert.equal(found, "TypeError");
    const trapped = f.trap(RangeError, TypeError);
    assertType<
      Equals<typeof trapped, RangeErrorConstructor | TypeErrorConstructor>
    >();
    const wanted: ErrorClass[] = [RangeError];
    assert.equal(f.check(...wanted), null);
  });

  it("is generic in its value, unknown by default", () => {
    const f = new Failure(new RangeError("Far"));
    assertType<Equals<typeof f.value, RangeError>>();
    const plain: Failure = f;
    assertType<Equals<typeof plain.value, unknown>>();
    // @ts-expect-error a Failure of unknown is not a Failure of RangeError
    const narrow: Failure<RangeError> = new Failure(plain.value);
    assert.ok(narrow);
    const copy = new Failure(f);
    assertType<Equals<typeof copy, Failure<RangeError>>>();
  });
});

describe("types of inlineCallbacks", () => {
  it("types the value of yield* waitFor(d), and the Deferred from the return", async () => {
    const run = inlineCallbacks(function* (n: number) {
      const a = yield* waitFor(succeed(n));
      assertType<Equals<typeof a, number>>();
      const b = yield* waitFor(Promise.resolve("four"));
      assertType<Equals<typeof b, string>>();
      return a + b.length;
    });
    assertType<Equals<ReturnType<typeof run>, Deferred<number>>>();
    assert.equal(await run(38), 42);
  });

  it("refuses to use a waited-for value as another type", () => {
    const run = inlineCallbacks(function* () {
      // @ts-expect-error a Deferred<number> gives a number, not a string
      const s: string = yield* waitFor(succeed(1));
      return s;
    });
    assert.equal(run().result, 1);
  });

  it("leaves a plain yield untyped, which is why waitFor exists", () => {
    const run = inlineCallbacks(function* () {
      const x = yield succeed(1);
      return x;
    });
    // deno-lint-ignore no-explicit-any
    assertType<Equals<ReturnType<typeof run>, Deferred<any>>>();
    assert.equal(run().result, 1);
  });
});
