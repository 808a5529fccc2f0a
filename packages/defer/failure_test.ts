// Tests of Failure, after the parts of Twisted's twisted/test/test_failure.py
// that make sense in JavaScript (no frames, no "current exception").
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError } from "./errors.ts";
import { _detachedFailure, Failure } from "./failure.ts";
import { setDebugging } from "./unhandled.ts";

class ParentError extends Error {
  override name = "ParentError";
}
class ChildError extends ParentError {
  override name = "ChildError";
}

describe("Failure", () => {
  it("keeps the thrown value and its constructor", () => {
    const e = new RangeError("Too far");
    const f = new Failure(e);
    assert.equal(f.value, e);
    assert.equal(f.type, RangeError);
  });

  it("wraps values that are not errors", () => {
    assert.equal(new Failure("text").type, String);
    assert.equal(new Failure(42).type, Number);
    assert.equal(new Failure({}).type, Object);
    assert.equal(new Failure(null).type, undefined);
    assert.equal(new Failure(undefined).type, undefined);
    assert.equal(new Failure(undefined).value, undefined);
  });

  it("takes the value of a Failure it is given", () => {
    const inner = new Failure(new RangeError("x"));
    const outer = new Failure(inner);
    assert.equal(outer.value, inner.value);
  });

  // Python's Failure() takes the exception being handled; JavaScript has
  // none to take.
  it("makes an Error when given no value at all", () => {
    const f = new Failure();
    assert.ok(f.value instanceof Error);
    assert.equal(f.getErrorMessage(), "Unknown failure");
  });
});

describe("Failure.check", () => {
  const f = new Failure(new ChildError("x"));

  it("returns the first of the types that matches", () => {
    assert.equal(f.check(RangeError, ChildError, ParentError), ChildError);
  });

  it("matches a parent class", () => {
    assert.equal(f.check(ParentError), ParentError);
    assert.equal(f.check(Error), Error);
  });

  it("returns null when nothing matches", () => {
    assert.equal(f.check(RangeError, TypeError), null);
    assert.equal(f.check(), null);
  });

  it("matches class names given as strings, anywhere in the class chain", () => {
    assert.equal(f.check("ChildError"), "ChildError");
    assert.equal(f.check("ParentError"), "ParentError");
    assert.equal(f.check("Error"), "Error");
    assert.equal(f.check("RangeError"), null);
  });

  it("matches the name of an error whose class has another name", () => {
    const e = new Error("renamed");
    e.name = "AbortError";
    assert.equal(new Failure(e).check("AbortError"), "AbortError");
  });

  it("matches a value that is itself the type asked for", () => {
    class Marker {}
    assert.equal(new Failure(Marker).check(Marker), Marker);
  });

  it("matches primitive values by their wrapper's name", () => {
    assert.equal(new Failure("text").check("String"), "String");
    assert.equal(new Failure(null).check("Object"), null);
  });

  it("matches primitive values by their wrapper class, so check(type) always matches", () => {
    const f = new Failure(42);
    assert.equal(f.check(f.type!), Number);
    assert.equal(new Failure("text").check(String), String);
    assert.equal(new Failure(false).check(Object), Object);
    assert.equal(new Failure(undefined).check(Object), null);
  });
});

describe("Failure.trap", () => {
  it("returns the matching type", () => {
    const f = new Failure(new CancelledError());
    assert.equal(f.trap(TypeError, CancelledError), CancelledError);
  });

  it("throws the Failure itself when nothing matches", () => {
    const f = new Failure(new RangeError("x"));
    assert.throws(() => f.trap(TypeError), (e) => e === f);
  });
});

describe("Failure.raiseException", () => {
  it("throws the original value", () => {
    const e = new RangeError("raised");
    assert.throws(() => new Failure(e).raiseException(), (x) => x === e);
    assert.throws(() => new Failure("s").raiseException(), (x) => x === "s");
  });
});

// Twisted's cleanFailure drops the stack frames; a JavaScript Failure has
// none to drop, so code ported from Twisted needs only the method.
describe("Failure.cleanFailure", () => {
  it("keeps the value, message and traceback", () => {
    const error = new RangeError("Too far");
    const f = new Failure(error);
    const before = f.getTraceback();
    f.cleanFailure();
    assert.equal(f.value, error);
    assert.equal(f.getErrorMessage(), "Too far");
    assert.equal(f.getTraceback(), before);
    assert.equal(f.check(RangeError), RangeError);
  });
});

describe("Failure.getErrorMessage", () => {
  it("gives an Error's message", () => {
    assert.equal(new Failure(new Error("Boom")).getErrorMessage(), "Boom");
  });

  it("gives other values as text", () => {
    assert.equal(new Failure("plain").getErrorMessage(), "plain");
    assert.equal(new Failure(42).getErrorMessage(), "42");
    assert.equal(new Failure(null).getErrorMessage(), "null");
    assert.equal(new Failure(undefined).getErrorMessage(), "undefined");
  });

  it("gives plain objects as JSON and others by their toString", () => {
    assert.equal(new Failure({ code: 7 }).getErrorMessage(), '{"code":7}');
    assert.equal(
      new Failure({ toString: () => "custom" }).getErrorMessage(),
      "custom",
    );
  });

  it("copes with values that cannot be turned into text", () => {
    const bad = {
      toString(): string {
        throw new Error("no text");
      },
    };
    assert.equal(new Failure(bad).getErrorMessage(), "[object Object]");
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    assert.equal(new Failure(cyclic).getErrorMessage(), "[object Object]");
    assert.equal(
      new Failure(Object.create(null)).getErrorMessage(),
      "[object Object]",
    );
  });
});

describe("Failure.getTraceback", () => {
  it("starts with an Error's name and message, then its stack", () => {
    const text = new Failure(new RangeError("Far")).getTraceback();
    assert.match(text, /^RangeError: Far\n.*failure_test/s);
  });

  it("adds the name and message when the stack lacks them", () => {
    const e = new Error("first");
    void e.stack;
    e.message = "changed later";
    const text = new Failure(e).getTraceback();
    assert.match(text, /^Error: changed later\n/);
  });

  it("includes the error's cause", () => {
    const e = new Error("outer", { cause: new RangeError("inner") });
    const text = new Failure(e).getTraceback();
    assert.match(text, /^Error: outer/);
    assert.match(text, /\nCaused by: RangeError: inner/);
  });

  it("gives the type and message of a value that is not an Error", () => {
    assert.equal(new Failure("plain").getTraceback(), "String: plain");
    assert.equal(new Failure(null).getTraceback(), "null: null");
  });

  it("adds the stack where a non-Error failure was made when debugging", () => {
    function madeHere(): Failure {
      return new Failure("plain");
    }
    setDebugging(true);
    let f: Failure;
    try {
      f = madeHere();
    } finally {
      setDebugging(false);
    }
    assert.match(f.getTraceback(), /^String: plain\n.*madeHere/s);
  });
});

describe("Failure as text", () => {
  it("reads as Twisted's brief form", () => {
    assert.equal(
      String(new Failure(new RangeError("Too far"))),
      "[Failure instance: RangeError: Too far]",
    );
    assert.equal(String(new Failure(7)), "[Failure instance: Number: 7]");
  });

  it("prints its traceback with console.error", () => {
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => printed.push(...args);
    try {
      new Failure(new RangeError("printed")).printTraceback();
    } finally {
      console.error = consoleError;
    }
    assert.match(String(printed[0]), /^RangeError: printed/);
  });
});

describe("detached copies of failures", () => {
  it("keep the class, name, message, fields and traceback of an Error", () => {
    class StatusError extends Error {
      override name = "StatusError";
      status = 404;
      body = new Uint8Array(1);
    }
    const e = new StatusError("Not found", { cause: new Error("socket") });
    const f = new Failure(e);
    const copy = _detachedFailure(f);
    assert.notEqual(copy.value, e);
    assert.ok(copy.check(StatusError));
    const value = copy.value as StatusError;
    assert.equal(value.name, "StatusError");
    assert.equal(value.message, "Not found");
    assert.equal(value.status, 404);
    assert.equal(value.body, undefined);
    assert.equal(copy.getTraceback(), f.getTraceback());
    assert.match(copy.getTraceback(), /Caused by: Error: socket/);
  });

  it("are made once per Failure", () => {
    const f = new Failure(new Error("x"));
    assert.equal(_detachedFailure(f), _detachedFailure(f));
  });

  it("are the Failure itself when the Error cannot be read", () => {
    const e = new Error("x");
    Object.defineProperty(e, "message", {
      get(): never {
        throw new Error("unreadable");
      },
    });
    const f = new Failure(e);
    assert.equal(_detachedFailure(f), f);
  });

  it("are the Failure itself when its value is not an Error", () => {
    const f = new Failure("text");
    assert.equal(_detachedFailure(f), f);
  });
});
