import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred } from "@twixt/defer";
import { failureResultOf, successResultOf } from "@twixt/defer/testing";
import { Reactor, reactor } from "./mod.ts";
import { Clock, LoopingCall } from "./task.ts";
import { BAD_SECONDS } from "./_bad_seconds_test_util.ts";

class TestException extends Error {}

function onClock<A extends unknown[]>(
  clock: Clock,
  f: (...args: A) => unknown,
  ...a: A
): LoopingCall<A> {
  const loop = new LoopingCall(f, ...a);
  loop.clock = clock;
  return loop;
}

describe("LoopingCall", () => {
  it("runs on the reactor by default", () => {
    assert.equal(new LoopingCall(() => {}).clock, reactor);
  });

  it("calls the function with its arguments at once and then every interval", () => {
    const clock = new Clock();
    const calls: unknown[][] = [];
    const lc = onClock(
      clock,
      (a: string, b: string) => calls.push([a, b]),
      "a",
      "b",
    );
    const d = lc.start(0.1);
    let result: unknown;
    d.addCallback((r) => {
      result = r;
    });
    clock.pump([0.05, 0.1, 0.1]);
    assert.deepEqual(calls, [["a", "b"], ["a", "b"], ["a", "b"]]);
    lc.stop();
    assert.equal(result, lc);
    assert.deepEqual(clock.calls, []);
  });

  it("waits one interval before the first call when started with now false", () => {
    const clock = new Clock();
    let n = 0;
    const lc = onClock(clock, () => n++);
    const d = lc.start(0.1, false);
    clock.pump([0.05, 0.1, 0.1]);
    assert.equal(n, 2);
    lc.stop();
    assert.equal(successResultOf(d), lc);
    assert.deepEqual(clock.calls, []);
  });

  it("schedules the next call for the next interval still in the future when a call takes longer than an interval", () => {
    // Twisted's test_callbackTimeSkips.
    const clock = new Clock();
    const times: number[] = [];
    let callDuration = 2;
    const lc = onClock(clock, () => {
      times.push(clock.seconds());
      clock.advance(callDuration);
    });
    lc.start(0.5);
    assert.deepEqual(times, [0]);
    assert.equal(clock.seconds(), 2);
    // An iteration was due at 2, but 2 is the present, not the future.
    clock.advance(0);
    assert.deepEqual(times, [0]);
    callDuration = 1;
    clock.advance(0.5);
    assert.deepEqual(times, [0, 2.5]);
    assert.equal(clock.seconds(), 3.5);
    clock.advance(0);
    assert.deepEqual(times, [0, 2.5]);
    callDuration = 0;
    clock.advance(0.5);
    assert.deepEqual(times, [0, 2.5, 4]);
    assert.equal(clock.seconds(), 4);
    lc.stop();
  });

  it("schedules the next call for the next interval still in the future when the clock jumps", () => {
    // Twisted's test_reactorTimeSkips.
    const clock = new Clock();
    const times: number[] = [];
    const lc = onClock(clock, () => times.push(clock.seconds()));
    lc.start(0.5);
    assert.deepEqual(times, [0]);
    clock.advance(2);
    assert.deepEqual(times, [0, 2]);
    clock.advance(1);
    assert.deepEqual(times, [0, 2, 3]);
    clock.advance(0);
    assert.deepEqual(times, [0, 2, 3]);
    lc.stop();
  });

  it("reports the skipped intervals to a withCount function", () => {
    // Twisted's test_reactorTimeCountSkips.
    const clock = new Clock();
    const times: [number, number][] = [];
    const lc = LoopingCall.withCount((n) => times.push([clock.seconds(), n]));
    lc.clock = clock;
    const INTERVAL = 0.5;
    const REALISTIC_DELAY = 0.01;
    lc.start(INTERVAL);
    assert.deepEqual(times, [[0, 1]]);
    clock.advance(INTERVAL + REALISTIC_DELAY);
    assert.deepEqual(times, [[0, 1], [INTERVAL + REALISTIC_DELAY, 1]]);
    clock.advance(3 * INTERVAL + REALISTIC_DELAY);
    const expected: [number, number][] = [
      [0, 1],
      [INTERVAL + REALISTIC_DELAY, 1],
      [4 * INTERVAL + 2 * REALISTIC_DELAY, 3],
    ];
    assert.deepEqual(times, expected);
    clock.advance(0);
    assert.deepEqual(times, expected);
    lc.stop();
  });

  it("counts only the calls that were expected, not late ones", () => {
    // Twisted's test_countLengthyIntervalCounts.
    const clock = new Clock();
    const times: [number, number][] = [];
    const lc = LoopingCall.withCount((n) => times.push([clock.seconds(), n]));
    lc.clock = clock;
    const INTERVAL = 0.5;
    const REALISTIC_DELAY = 0.01;
    lc.start(INTERVAL);
    assert.deepEqual(times.pop(), [0, 1]);
    clock.advance(INTERVAL + REALISTIC_DELAY);
    assert.deepEqual(times.pop(), [INTERVAL + REALISTIC_DELAY, 1]);
    clock.advance(INTERVAL * 1.75);
    assert.deepEqual(times.pop(), [2.75 * INTERVAL + REALISTIC_DELAY, 1]);
    clock.advance(INTERVAL * 0.25);
    assert.deepEqual(times.pop(), [3.0 * INTERVAL + REALISTIC_DELAY, 1]);
    lc.stop();
  });

  it("never passes a count of 0, and the counts add up, across floating-point boundaries", () => {
    // Twisted's test_withCountFloatingPointBoundary.
    const clock = new Clock();
    const accumulator: number[] = [];
    const lc = LoopingCall.withCount((n) => accumulator.push(n));
    lc.clock = clock;
    const count = 10;
    const timespan = 1.0;
    const interval = timespan / count;
    lc.start(interval, false);
    for (let x = 0; x < count; x++) clock.advance(interval);
    const epsilon = timespan -
      Array(count).fill(interval).reduce((a, b) => a + b, 0);
    clock.advance(epsilon);
    assert.ok(Math.abs(epsilon) > 0, `${epsilon} should not be zero`);
    assert.ok(clock.seconds() >= timespan);
    assert.equal(accumulator.reduce((a, b) => a + b, 0), count);
    assert.ok(!accumulator.includes(0));
    lc.stop();
  });

  it("passes a count of 1 with an interval of 0", () => {
    // Twisted's test_withCountIntervalZero.
    const clock = new Clock();
    const accumulator: number[] = [];
    const lc: LoopingCall = LoopingCall.withCount((n) => {
      accumulator.push(n);
      if (accumulator.length > 4) lc.stop();
    });
    lc.clock = clock;
    const d = lc.start(0, false);
    clock.advance(0);
    assert.equal(successResultOf(d), lc);
    assert.deepEqual(accumulator, [1, 1, 1, 1, 1]);
  });

  it("passes a count of 1 with an interval of 0 even after waiting on a Deferred", () => {
    // Twisted's test_withCountIntervalZeroDelay.
    const clock = new Clock();
    const deferred = new Deferred<void>();
    const accumulator: number[] = [];
    const lc: LoopingCall = LoopingCall.withCount((n) => {
      accumulator.push(n);
      if (accumulator.length === 2) return deferred;
      if (accumulator.length > 4) lc.stop();
      return undefined;
    });
    lc.clock = clock;
    lc.start(0, false);
    clock.advance(0);
    assert.deepEqual(accumulator, [1, 1]);
    clock.advance(2);
    assert.deepEqual(accumulator, [1, 1]);
    deferred.callback();
    clock.advance(0);
    assert.deepEqual(accumulator, [1, 1, 1, 1, 1]);
  });

  it("counts from the last call when the interval changes from 0", () => {
    // Twisted's test_withCountIntervalZeroDelayThenNonZeroInterval.
    const clock = new Clock();
    const deferred = new Deferred<void>();
    const accumulator: number[] = [];
    const lc = LoopingCall.withCount((n) => {
      accumulator.push(n);
      if (accumulator.length === 2) return deferred;
      return undefined;
    });
    lc.clock = clock;
    lc.start(0, false);
    clock.advance(10);
    assert.deepEqual(accumulator, [1, 1]);
    lc.interval = 2;
    deferred.callback();
    clock.advance(7);
    assert.deepEqual(accumulator, [1, 1, 3]);
    clock.advance(2);
    assert.deepEqual(accumulator, [1, 1, 3, 1]);
    clock.advance(4);
    assert.deepEqual(accumulator, [1, 1, 3, 1, 2]);
    lc.stop();
  });

  it("does not call again until the function's Deferred fires, and counts what was skipped", () => {
    // Twisted's test_deferredWithCount.
    const clock = new Clock();
    const d = new Deferred<void>();
    const counts: number[] = [];
    const lc = LoopingCall.withCount((n) => {
      counts.push(n);
      return counts.length === 1 ? d : undefined;
    });
    lc.clock = clock;
    lc.start(0.2, false);
    assert.deepEqual(counts, []);
    clock.pump([0.2, 0.4]);
    assert.deepEqual(counts, [1]);
    d.callback();
    clock.pump([0.2]);
    assert.deepEqual(counts, [1, 3]);
    lc.stop();
  });

  it("waits for a promise returned by the function", async () => {
    const clock = new Clock();
    let resolve!: () => void;
    let n = 0;
    const lc = onClock(clock, () => {
      n++;
      return n === 1 ? new Promise<void>((r) => (resolve = r)) : undefined;
    });
    lc.start(1);
    clock.advance(3);
    assert.equal(n, 1);
    resolve();
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(1);
    assert.equal(n, 2);
    lc.stop();
  });

  it("fails its Deferred with a bad interval, and with an Error when already running", () => {
    const lc = new LoopingCall(() => {});
    lc.clock = new Clock();
    failureResultOf(lc.start(-1), RangeError);
    failureResultOf(lc.start(NaN), RangeError);
    assert.equal(lc.running, false);
    lc.start(1);
    const f = failureResultOf(lc.start(1), Error);
    assert.match(f.getErrorMessage(), /already running/);
    assert.equal(lc.running, true);
    lc.stop();
  });

  it("throws when stopped or reset while not running", () => {
    const lc = new LoopingCall(() => {});
    assert.throws(() => lc.stop(), /not running/);
    assert.throws(() => lc.reset(), /not running/);
  });

  for (const delay of [0, 10]) {
    it(`makes no further calls once stopped before the first (interval ${delay})`, () => {
      const clock = new Clock();
      let ran = false;
      const lc = onClock(clock, () => (ran = true));
      lc.start(delay, false);
      lc.stop();
      clock.advance(20);
      assert.equal(ran, false);
      assert.deepEqual(clock.calls, []);
    });
  }

  it("skips the next call and restarts its intervals from now on reset", () => {
    const clock = new Clock();
    let ran = 0;
    const lc = onClock(clock, () => ran++);
    lc.start(2, false);
    clock.advance(1);
    lc.reset();
    clock.advance(1);
    assert.equal(ran, 0);
    clock.advance(1);
    assert.equal(ran, 1);
    lc.stop();
  });

  it("fails its Deferred and stops when the function throws", () => {
    const clock = new Clock();
    const lc = onClock(clock, (x: string) => {
      throw new TestException(x);
    }, "bar");
    const d = lc.start(0.1);
    const f = failureResultOf(d, TestException);
    assert.equal(f.getErrorMessage(), "bar");
    assert.equal(lc.running, false);
    assert.deepEqual(clock.calls, []);
  });

  it("fails its Deferred when the function stops the loop and then throws", () => {
    const clock = new Clock();
    const lc: LoopingCall<[string]> = onClock(clock, (x: string): void => {
      lc.stop();
      throw new TestException(x);
    }, "bar");
    failureResultOf(lc.start(0.1), TestException);
  });

  it("fails its Deferred when the function's Deferred fails, leaving no calls behind", () => {
    // Twisted's testFailurePropagation.
    const clock = new Clock();
    const lc = onClock(clock, () => {
      const d = new Deferred<void>();
      clock.callLater(0.3, () => d.errback(new TestException()));
      return d;
    });
    const d = lc.start(1);
    clock.pump([0.3]);
    failureResultOf(d, TestException);
    assert.deepEqual(clock.calls, []);
  });

  it("fails its Deferred and stops when the next round cannot be scheduled", () => {
    // Twisted adds its errback after the callback that schedules the next
    // round, so a callLater that raises there (an interval made negative)
    // ends the loop with that error.
    const clock = new Clock();
    const lc = onClock(clock, () => {});
    const d = lc.start(1);
    clock.advance(1);
    lc.interval = -1;
    clock.advance(1);
    failureResultOf(d, RangeError);
    assert.equal(lc.running, false);
    assert.deepEqual(clock.calls, []);
  });

  it("is not scheduled again before the function's Deferred fires", () => {
    // Twisted's testWaitDeferred.
    const clock = new Clock();
    const lc: LoopingCall = onClock(clock, () => {
      const d = new Deferred<void>();
      d.addCallback(() => lc.stop());
      clock.callLater(1, () => d.callback());
      return d;
    });
    const done = lc.start(0.2);
    clock.pump([0.2, 0.8]);
    assert.deepEqual(clock.calls, []);
    assert.equal(successResultOf(done), lc);
  });

  it("fires its Deferred when stopped while the function's Deferred is pending, once that fires", () => {
    const clock = new Clock();
    const pending = new Deferred<void>();
    const lc = onClock(clock, () => pending);
    const done = lc.start(1);
    lc.stop();
    assert.equal(done.called, false);
    pending.callback();
    assert.equal(successResultOf(done), lc);
  });

  it("describes itself like Twisted's repr", () => {
    function installReactor(): void {}
    assert.equal(
      String(new LoopingCall(installReactor)),
      "LoopingCall<None>(installReactor, *[])",
    );
  });

  it("runs on the real reactor until stopped", async () => {
    const r = new Reactor();
    let ran = 0;
    const lc: LoopingCall = new LoopingCall(() => {
      if (++ran === 6) lc.stop();
    });
    lc.clock = r;
    const result = await lc.start(0);
    assert.equal(result, lc);
    assert.equal(ran, 6);
    assert.deepEqual(r.getDelayedCalls(), []);
  });

  it("fails on the real reactor when the function throws later", async () => {
    const r = new Reactor();
    let n = 0;
    const lc = new LoopingCall(() => {
      if (++n === 3) throw new TestException("third");
    });
    lc.clock = r;
    await assert.rejects(lc.start(0.001).asPromise(), TestException);
    assert.deepEqual(r.getDelayedCalls(), []);
  });

  it("does not call again after being stopped from another reactor call", async () => {
    // Twisted's testStopAtOnceLater.
    const r = new Reactor();
    let ran = false;
    const lc = new LoopingCall(() => (ran = true));
    lc.clock = r;
    // An interval of a second, as in Twisted, so that no stall of the
    // machine lets the first call fall due before the stopping call runs.
    lc.start(1, false);
    await new Promise<void>((resolve) =>
      r.callLater(0, () => {
        lc.stop();
        r.callLater(0.01, resolve);
      })
    );
    assert.equal(ran, false);
    assert.deepEqual(r.getDelayedCalls(), []);
  });
});

describe("LoopingCall.start with bad intervals", () => {
  it("fails the Deferred, never throws, naming the interval: TypeError for non-numbers, RangeError for bad numbers", () => {
    for (const [interval, Kind] of BAD_SECONDS) {
      const clock = new Clock();
      const lc = new LoopingCall(() => {});
      lc.clock = clock;
      let d: Deferred<unknown> | undefined;
      assert.doesNotThrow(() => {
        d = lc.start(interval as number);
      });
      const f = failureResultOf(d!, Kind);
      assert.equal((f.value as Error).constructor, Kind);
      assert.match(
        (f.value as Error).message,
        /^Cannot start a LoopingCall with interval /,
      );
      assert.equal(lc.running, false);
      assert.deepEqual(clock.getDelayedCalls(), []);
    }
  });
});
