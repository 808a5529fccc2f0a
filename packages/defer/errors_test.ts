// Tests of the error classes, after Twisted 22.4's FirstErrorTests and the
// errors of twisted.internet.defer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AlreadyCalledError,
  CancelledError,
  FailureGroup,
  FirstError,
  QueueOverflow,
  QueueUnderflow,
  TimeoutError,
} from "./errors.ts";
import { Failure } from "./failure.ts";

describe("error classes", () => {
  const defaults: [new () => Error, string, string][] = [
    [AlreadyCalledError, "AlreadyCalledError", "Cannot fire a Deferred twice"],
    [CancelledError, "CancelledError", "Deferred was cancelled"],
    [TimeoutError, "TimeoutError", "Deferred timed out"],
    [QueueOverflow, "QueueOverflow", "Cannot put to a full DeferredQueue"],
    [
      QueueUnderflow,
      "QueueUnderflow",
      "Cannot wait on a DeferredQueue with a full backlog",
    ],
  ];
  for (const [Class, name, message] of defaults) {
    it(`${name} is an Error named for its class, with a default message`, () => {
      const e = new Class();
      assert.ok(e instanceof Error);
      assert.ok(e instanceof Class);
      assert.equal(e.name, name);
      assert.equal(e.message, message);
      assert.match(new Failure(e).getTraceback(), new RegExp(`^${name}: `));
    });
  }

  it("take a message of their own and a cause", () => {
    const cause = new Error("under");
    const e = new CancelledError("Request cancelled", { cause });
    assert.equal(e.message, "Request cancelled");
    assert.equal(e.cause, cause);
    assert.equal(new AlreadyCalledError("twice").message, "twice");
    assert.equal(new QueueOverflow("full").message, "full");
  });

  it("TimeoutError keeps the timeout that ran out", () => {
    assert.equal(new TimeoutError("Timed out after 5 seconds", 5).timeout, 5);
    assert.equal(new TimeoutError().timeout, undefined);
  });
});

describe("FirstError", () => {
  it("keeps the failure and index of the input that failed first", () => {
    const sub = new Failure(new RangeError("bad"));
    const e = new FirstError(sub, 3);
    assert.equal(e.subFailure, sub);
    assert.equal(e.index, 3);
    assert.equal(e.name, "FirstError");
    assert.equal(e.cause, sub.value);
  });

  it("names the index and the failure's message", () => {
    const e = new FirstError(new Failure(new RangeError("bad")), 3);
    assert.equal(e.message, "Deferred at index 3 failed: bad");
  });
});

describe("FailureGroup", () => {
  it("keeps every failure and names their messages", () => {
    const failures = [
      new Failure(new Error("a")),
      new Failure(new RangeError("b")),
    ];
    const g = new FailureGroup(failures);
    assert.equal(g.failures, failures);
    assert.equal(g.name, "FailureGroup");
    assert.equal(g.message, "All 2 Deferreds failed: a; b");
  });
});
