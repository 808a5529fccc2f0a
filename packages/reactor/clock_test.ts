import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, Deferred, TimeoutError } from "@twixt/defer";
import { AlreadyCalled, AlreadyCancelled } from "./mod.ts";
import { Clock } from "./task.ts";
import { BAD_SECONDS } from "./_bad_seconds_test_util.ts";

describe("Clock", () => {
  it("starts at 0 seconds", () => {
    assert.equal(new Clock().seconds(), 0);
  });

  it("hands back an active call due at now plus the delay", () => {
    const c = new Clock();
    const call = c.callLater(1, (_a: number, _b: number) => {}, 1, 2);
    assert.equal(call.getTime(), 1);
    assert.equal(call.active(), true);
  });

  it("hands back a new call each time", () => {
    const c = new Clock();
    assert.notEqual(c.callLater(10, () => {}), c.callLater(1, () => {}));
  });

  it("makes a cancelled call inactive", () => {
    const c = new Clock();
    const call = c.callLater(1, () => {});
    call.cancel();
    assert.equal(call.active(), false);
    assert.deepEqual(c.getDelayedCalls(), []);
  });

  it("runs a call when advanced to its time, not before", () => {
    const c = new Clock();
    const events: string[] = [];
    const call = c.callLater(2, () => events.push("ran"));
    c.advance(1);
    assert.deepEqual(events, []);
    c.advance(1);
    assert.deepEqual(events, ["ran"]);
    assert.equal(call.active(), false);
    assert.equal(call.called, true);
  });

  it("passes the arguments to the call", () => {
    const c = new Clock();
    const seen: unknown[] = [];
    c.callLater(1, (a: number, b: string) => seen.push(a, b), 1, "b");
    c.advance(1);
    assert.deepEqual(seen, [1, "b"]);
  });

  it("counts a call as called while it runs, so cancelling it there throws AlreadyCalled", () => {
    const c = new Clock();
    const errors: unknown[] = [];
    const call = c.callLater(1, (): void => {
      try {
        call.cancel();
      } catch (e) {
        errors.push(e);
      }
    });
    c.advance(1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof AlreadyCalled);
  });

  it("throws AlreadyCancelled when a cancelled call is cancelled, delayed or reset", () => {
    const c = new Clock();
    const call = c.callLater(1, () => {});
    call.cancel();
    assert.throws(() => call.cancel(), AlreadyCancelled);
    assert.throws(() => call.delay(1), AlreadyCancelled);
    assert.throws(() => call.reset(1), AlreadyCancelled);
  });

  it("runs a delayed call at its new time", () => {
    const c = new Clock();
    const events: number[][] = [];
    const call = c.callLater(
      1,
      (a: number, b: number) => events.push([a, b]),
      1,
      2,
    );
    call.delay(1);
    assert.equal(call.getTime(), 2);
    c.advance(1.5);
    assert.deepEqual(events, []);
    c.advance(1.0);
    assert.deepEqual(events, [[1, 2]]);
  });

  it("runs a call reset to a later time at that time", () => {
    const c = new Clock();
    const events: string[] = [];
    const call = c.callLater(2, () => events.push("ran"));
    c.advance(1);
    call.reset(3);
    assert.equal(call.getTime(), 4);
    c.advance(2);
    assert.deepEqual(events, []);
    c.advance(1);
    assert.deepEqual(events, ["ran"]);
  });

  it("runs a call reset to a sooner time at that time", () => {
    const c = new Clock();
    const events: string[] = [];
    const call = c.callLater(4, () => events.push("ran"));
    call.reset(3);
    assert.equal(call.getTime(), 3);
    c.advance(3);
    assert.deepEqual(events, ["ran"]);
  });

  it("moves a call earlier with a negative delay", () => {
    const c = new Clock();
    const events: string[] = [];
    const call = c.callLater(4, () => events.push("ran"));
    call.delay(-3);
    c.advance(1);
    assert.deepEqual(events, ["ran"]);
  });

  it("rejects non-finite amounts in delay and reset with RangeError", () => {
    const c = new Clock();
    const call = c.callLater(4, () => {});
    assert.throws(() => call.delay(NaN), RangeError);
    assert.throws(() => call.reset(Infinity), RangeError);
    assert.equal(call.getTime(), 4);
  });

  it("lists all pending calls with getDelayedCalls, earliest first", () => {
    const c = new Clock();
    const call2 = c.callLater(2, () => {});
    const call1 = c.callLater(1, () => {});
    assert.deepEqual(c.getDelayedCalls(), [call1, call2]);
    assert.deepEqual(c.calls, [call1, call2]);
  });

  it("has no delayed calls when new", () => {
    assert.deepEqual(new Clock().getDelayedCalls(), []);
  });

  it("honours the order of calls when a new call is due before a reset one", () => {
    // Twisted's test_callLaterKeepsCallsOrdered.
    const c = new Clock();
    const result: [string, number][] = [];
    const logtime = (n: string): void => {
      result.push([n, c.seconds()]);
    };
    const a = c.callLater(1.0, logtime, "a");
    a.reset(3.0);
    c.callLater(2.0, logtime, "b");
    c.pump([1, 1, 1]);
    assert.deepEqual(result, [["b", 2], ["a", 3]]);
  });

  it("honours the order of calls when an earlier call is reset past a later one", () => {
    // Twisted's test_callLaterResetKeepsCallsOrdered.
    const c = new Clock();
    const result: [string, number][] = [];
    const logtime = (n: string): void => {
      result.push([n, c.seconds()]);
    };
    const a = c.callLater(1.0, logtime, "a");
    c.callLater(2.0, logtime, "b");
    a.reset(3.0);
    c.pump([1, 1, 1]);
    assert.deepEqual(result, [["b", 2], ["a", 3]]);
  });

  it("honours the order of calls when a call is reset from inside another call", () => {
    // Twisted's test_callLaterResetInsideCallKeepsCallsOrdered.
    const c = new Clock();
    const result: [string, number][] = [];
    const logtime = (n: string): void => {
      result.push([n, c.seconds()]);
    };
    const b = c.callLater(2.0, logtime, "b");
    c.callLater(1.0, () => b.reset(3.0));
    c.callLater(3.0, logtime, "c");
    c.pump(Array(10).fill(0.5));
    assert.deepEqual(result, [["c", 3], ["b", 4]]);
  });

  it("runs calls due at the same time in the order they were scheduled, even after reset", () => {
    const c = new Clock();
    const order: number[] = [];
    const calls = Array.from(
      { length: 20 },
      (_, i) => c.callLater(5, () => order.push(i)),
    );
    calls[3]!.reset(5);
    calls[7]!.delay(0);
    c.advance(5);
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
  });

  it("runs calls scheduled during advance with no delay within that advance", () => {
    // As in Twisted, the clock has moved to its new time before the due
    // calls run, so "later" means later than that.
    const c = new Clock();
    const order: string[] = [];
    c.callLater(1, () => {
      order.push(`first at ${c.seconds()}`);
      c.callLater(0, () => order.push("zero delay"));
      c.callLater(1, () => order.push("later"));
    });
    c.advance(2);
    assert.deepEqual(order, ["first at 2", "zero delay"]);
    c.advance(1);
    assert.deepEqual(order, ["first at 2", "zero delay", "later"]);
  });

  it("lets an error thrown by a call propagate out of advance, keeping later calls", () => {
    const c = new Clock();
    let later = false;
    c.callLater(1, () => {
      throw new RangeError("Broken");
    });
    c.callLater(1, () => (later = true));
    assert.throws(() => c.advance(1), RangeError);
    assert.equal(later, false);
    c.advance(0);
    assert.equal(later, true);
  });

  it("rejects bad delays and bad advances with RangeError", () => {
    const c = new Clock();
    assert.throws(() => c.callLater(-1, () => {}), RangeError);
    assert.throws(() => c.callLater(NaN, () => {}), RangeError);
    assert.throws(() => c.advance(-1), RangeError);
    assert.throws(() => c.advance(Infinity), RangeError);
    assert.equal(c.seconds(), 0);
  });

  it("pumps through a series of advances", () => {
    const c = new Clock();
    const times: number[] = [];
    c.callLater(0.5, () => times.push(c.seconds()));
    c.callLater(1.5, () => times.push(c.seconds()));
    c.pump([0.25, 0.25, 0.5, 0.5]);
    assert.deepEqual(times, [0.5, 1.5]);
  });

  it("runs a hundred thousand calls with random delays in time order", () => {
    const c = new Clock();
    let last = -1;
    let ran = 0;
    let outOfOrder = 0;
    for (let i = 0; i < 100_000; i++) {
      c.callLater(Math.random() * 100, () => {
        if (c.seconds() < last) outOfOrder++;
        last = c.seconds();
        ran++;
      });
    }
    for (let t = 0; t < 100; t++) c.advance(1);
    assert.equal(ran, 100_000);
    assert.equal(outOfOrder, 0);
  });
});

describe("Deferred.addTimeout with a Clock", () => {
  it("fails with TimeoutError once the clock passes the timeout", () => {
    const c = new Clock();
    const d = new Deferred<string>().addTimeout(5, c);
    let reason: unknown;
    d.addErrback((f) => {
      reason = f.value;
    });
    c.advance(4.9);
    assert.equal(d.called, false);
    c.advance(0.1);
    assert.ok(reason instanceof TimeoutError);
  });

  it("cancels its timer when the Deferred fires in time", () => {
    const c = new Clock();
    const d = new Deferred<string>().addTimeout(5, c);
    d.callback("done");
    assert.deepEqual(c.getDelayedCalls(), []);
    assert.equal(d.result, "done");
  });

  it("cancels its timer when the Deferred is cancelled", () => {
    const c = new Clock();
    const d = new Deferred<string>().addTimeout(5, c);
    let reason: unknown;
    d.addErrback((f) => {
      reason = f.value;
    });
    d.cancel();
    assert.ok(reason instanceof CancelledError);
    assert.deepEqual(c.getDelayedCalls(), []);
  });
});

describe("Clock with bad input", () => {
  it("throws TypeError for a non-number and RangeError for a bad number, naming the argument", () => {
    const c = new Clock();
    for (const [value, Kind] of BAD_SECONDS) {
      assert.throws(
        () => c.advance(value as number),
        (e: Error) =>
          e.constructor === Kind &&
          /^Cannot advance a Clock with amount /.test(e.message),
      );
      assert.throws(
        () => c.callLater(value as number, () => {}),
        (e: Error) =>
          e.constructor === Kind &&
          /^Cannot schedule a call with delay /.test(e.message),
      );
    }
    assert.equal(c.seconds(), 0);
    assert.deepEqual(c.getDelayedCalls(), []);
  });
});
