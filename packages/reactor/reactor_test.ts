import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  Deferred,
  type Failure,
  type IDelayedCall,
  setFailureLogger,
  TimeoutError,
} from "@twixt/defer";
import {
  AlreadyCalled,
  AlreadyCancelled,
  Reactor,
  reactor,
  ReactorAlreadyRunning,
  ReactorNotRunning,
} from "./mod.ts";
import { BAD_SECONDS } from "./_bad_seconds_test_util.ts";

function later<T>(r: Reactor, delay: number, value: T): Promise<T> {
  return new Promise((resolve) => r.callLater(delay, resolve, value));
}

// The names of `calls`, in the order of their due times.
function byTime(calls: Record<string, IDelayedCall>): string[] {
  return Object.entries(calls)
    .sort(([, x], [, y]) => x.getTime() - y.getTime())
    .map(([name]) => name);
}

// Captures what the failure logger receives while `fn` runs.
async function captureLogged(fn: () => Promise<void>): Promise<Failure[]> {
  const seen: Failure[] = [];
  const previous = setFailureLogger((_m, f) => seen.push(f));
  try {
    await fn();
  } finally {
    setFailureLogger(previous);
  }
  return seen;
}

describe("Reactor.callLater", () => {
  it("runs the call with its arguments after the delay, without run()", async () => {
    const r = new Reactor();
    const start = r.seconds();
    const got = await new Promise<[number, string, number]>((resolve) => {
      r.callLater(
        0.02,
        (a: number, b: string) => resolve([a, b, r.seconds()]),
        1,
        "two",
      );
    });
    assert.deepEqual(got.slice(0, 2), [1, "two"]);
    assert.ok(got[2] - start >= 0.02, "the call ran no earlier than its time");
  });

  it("runs calls due at the same time in the order they were scheduled", async () => {
    const r = new Reactor();
    const order: number[] = [];
    for (let i = 0; i < 50; i++) r.callLater(0, () => order.push(i));
    await later(r, 0.001, null);
    assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
  });

  it("runs calls in time order whatever the scheduling order", async () => {
    const r = new Reactor();
    const order: string[] = [];
    const calls = {
      c: r.callLater(0.03, () => order.push("c")),
      a: r.callLater(0.01, () => order.push("a")),
      b: r.callLater(0.02, () => order.push("b")),
    };
    await later(r, 0.04, null);
    // Due times are absolute: on a loaded machine a stall between the
    // calls above can reorder them, so the expectation is by getTime().
    assert.deepEqual(order, byTime(calls));
    assert.equal(order.length, 3);
  });

  it("hands back a call whose getTime is now plus the delay", () => {
    const r = new Reactor();
    const before = r.seconds();
    const call = r.callLater(10, () => {});
    const after = r.seconds();
    assert.ok(call.getTime() >= before + 10 && call.getTime() <= after + 10);
    assert.equal(call.active(), true);
    call.cancel();
  });

  it("lists pending calls in getDelayedCalls, earliest first, until they run or are cancelled", async () => {
    const r = new Reactor();
    const late = r.callLater(60, () => {});
    const soon = r.callLater(0.005, () => {});
    assert.deepEqual(r.getDelayedCalls(), [soon, late]);
    late.cancel();
    assert.deepEqual(r.getDelayedCalls(), [soon]);
    await later(r, 0.01, null);
    assert.deepEqual(r.getDelayedCalls(), []);
    assert.equal(soon.called, true);
  });

  it("does not run a cancelled call", async () => {
    const r = new Reactor();
    let ran = false;
    const call = r.callLater(0.005, () => {
      ran = true;
    });
    call.cancel();
    assert.equal(call.active(), false);
    assert.equal(call.cancelled, true);
    await later(r, 0.01, null);
    assert.equal(ran, false);
  });

  it("throws AlreadyCalled from cancel, delay and reset once the call has run", async () => {
    const r = new Reactor();
    const call = r.callLater(0, () => {});
    await later(r, 0.001, null);
    assert.throws(() => call.cancel(), AlreadyCalled);
    assert.throws(() => call.delay(1), AlreadyCalled);
    assert.throws(() => call.reset(1), AlreadyCalled);
  });

  it("throws AlreadyCalled from cancel inside the call itself", async () => {
    const r = new Reactor();
    const errors: unknown[] = [];
    const call: IDelayedCall = r.callLater(0, (): void => {
      assert.equal(call.active(), false);
      try {
        call.cancel();
      } catch (e) {
        errors.push(e);
      }
    });
    await later(r, 0.001, null);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof AlreadyCalled);
  });

  it("throws AlreadyCancelled from cancel, delay and reset once cancelled", () => {
    const r = new Reactor();
    const call = r.callLater(1, () => {});
    call.cancel();
    assert.throws(() => call.cancel(), AlreadyCancelled);
    assert.throws(() => call.delay(1), AlreadyCancelled);
    assert.throws(() => call.reset(1), AlreadyCancelled);
  });

  it("rejects negative, NaN and infinite delays with RangeError, and non-functions with TypeError", () => {
    const r = new Reactor();
    assert.throws(() => r.callLater(-1, () => {}), RangeError);
    assert.throws(() => r.callLater(NaN, () => {}), RangeError);
    assert.throws(() => r.callLater(Infinity, () => {}), RangeError);
    assert.throws(
      () => r.callLater("1" as unknown as number, () => {}),
      TypeError,
    );
    assert.throws(
      () => r.callLater(1, "f" as unknown as () => void),
      TypeError,
    );
    assert.deepEqual(r.getDelayedCalls(), []);
  });

  it("names the delay and shows the bad value: TypeError for a non-number, RangeError for a bad number", () => {
    const r = new Reactor();
    for (const [delay, Kind, shown] of BAD_SECONDS) {
      assert.throws(
        () => r.callLater(delay as number, () => {}),
        (e: Error) =>
          e.constructor === Kind &&
          e.message ===
            `Cannot schedule a call with delay ${shown}: it must be a finite number of seconds, 0 or more`,
      );
    }
    assert.throws(
      () => r.callLater(0, 5 as unknown as () => void),
      {
        name: "TypeError",
        message: "Cannot schedule a call to 5: it is not a function",
      },
    );
    assert.deepEqual(r.getDelayedCalls(), []);
  });

  it("moves a call earlier with reset, ahead of a call due before it", async () => {
    const r = new Reactor();
    const order: string[] = [];
    const a = r.callLater(60, () => order.push("a"));
    const b = r.callLater(0.05, () => order.push("b"));
    const before = r.seconds();
    a.reset(0.005);
    const after = r.seconds();
    assert.ok(a.getTime() >= before + 0.005 && a.getTime() <= after + 0.005);
    await later(r, 0.06, null);
    // Due times are absolute: a stall before reset() could put "a" after
    // "b" on a loaded machine, so the expectation is by getTime().
    assert.deepEqual(order, byTime({ a, b }));
    assert.equal(order.length, 2);
  });

  it("moves a call later with delay, behind a call due after it", async () => {
    const r = new Reactor();
    const order: string[] = [];
    const a = r.callLater(0.005, () => order.push("a"));
    const b = r.callLater(0.01, () => order.push("b"));
    const t = a.getTime();
    a.delay(0.02);
    assert.equal(a.getTime(), t + 0.02);
    await later(r, 0.04, null);
    // A stall between the two callLater calls could put "b" after "a" even
    // after the delay, so the expectation is by getTime().
    assert.deepEqual(order, byTime({ a, b }));
    assert.equal(order.length, 2);
  });

  it("logs an error thrown by a call, with its stack, and goes on with the next calls", async () => {
    const r = new Reactor();
    let after = false;
    const logged = await captureLogged(async () => {
      r.callLater(0, () => {
        throw new RangeError("Broken call");
      });
      r.callLater(0, () => {
        after = true;
      });
      await later(r, 0.005, null);
    });
    assert.equal(after, true);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.value instanceof RangeError);
    assert.match(logged[0]!.getTraceback(), /Broken call\n\s+at /);
  });

  it("handles a hundred thousand calls with half of them cancelled", async () => {
    const r = new Reactor();
    let ran = 0;
    const calls = [];
    for (let i = 0; i < 100_000; i++) {
      calls.push(r.callLater(0, () => ran++));
    }
    for (let i = 0; i < calls.length; i += 2) calls[i]!.cancel();
    await later(r, 0.001, null);
    assert.equal(ran, 50_000);
  });

  it("schedules correctly after its only pending call was cancelled", async () => {
    const r = new Reactor();
    r.callLater(0.005, () => {}).cancel();
    assert.equal(await later(r, 0.01, "ran"), "ran");
  });

  it("runs exactly the calls not cancelled through random schedules, cancels, resets and delays", async () => {
    // A fixed-seed generator, so a failure can be replayed.
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 5; round++) {
      const r = new Reactor();
      const ran = new Set<number>();
      const live = new Map<number, IDelayedCall>();
      for (let i = 0; i < 200; i++) {
        const roll = random();
        const ids = [...live.keys()];
        const pick = ids[Math.floor(random() * ids.length)];
        if (roll < 0.6 || pick === undefined) {
          const id = i;
          live.set(id, r.callLater(random() * 0.01, () => ran.add(id)));
        } else if (roll < 0.8) {
          live.get(pick)!.cancel();
          live.delete(pick);
        } else if (roll < 0.9) {
          live.get(pick)!.reset(random() * 0.01);
        } else {
          live.get(pick)!.delay(random() * 0.004 - 0.002);
        }
      }
      await later(r, 0.02, null);
      assert.deepEqual(
        [...ran].sort((a, b) => a - b),
        [...live.keys()].sort((a, b) => a - b),
      );
      assert.deepEqual(r.getDelayedCalls(), []);
    }
  });

  it("times out a Deferred with addTimeout", async () => {
    const d = new Deferred<string>().addTimeout(0.01, reactor);
    await assert.rejects(d.asPromise(), TimeoutError);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("cancels the timeout of a Deferred that fires in time", () => {
    const d = new Deferred<string>().addTimeout(10, reactor);
    assert.equal(reactor.getDelayedCalls().length, 1);
    d.callback("in time");
    assert.deepEqual(reactor.getDelayedCalls(), []);
    assert.equal(d.result, "in time");
  });
});

describe("Reactor.run and stop", () => {
  it("runs startup triggers in phase order, then callWhenRunning calls, inside run()", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.callWhenRunning(() => log.push(`whenRunning running=${r.running}`));
    r.addSystemEventTrigger(
      "after",
      "startup",
      () => log.push(`after running=${r.running}`),
    );
    r.addSystemEventTrigger(
      "during",
      "startup",
      () => log.push(`during running=${r.running}`),
    );
    r.addSystemEventTrigger(
      "before",
      "startup",
      () => log.push(`before running=${r.running}`),
    );
    const done = r.run();
    assert.deepEqual(log, [
      "before running=false",
      "during running=true",
      "whenRunning running=true",
      "after running=true",
    ]);
    r.stop();
    await done;
  });

  it("turns running true for the rest of startup and the start of shutdown when a before-startup trigger stops it, as Twisted does", async () => {
    const r = new Reactor();
    const log: string[] = [];
    const note = (what: string) => () =>
      log.push(`${what} running=${r.running}`);
    r.addSystemEventTrigger("before", "startup", () => {
      note("before startup")();
      r.stop();
    });
    r.addSystemEventTrigger("after", "startup", note("after startup"));
    r.callWhenRunning(note("whenRunning"));
    r.addSystemEventTrigger("before", "shutdown", note("before shutdown"));
    r.addSystemEventTrigger("after", "shutdown", note("after shutdown"));
    await r.run();
    assert.deepEqual(log, [
      "before startup running=false",
      "after startup running=true",
      "whenRunning running=true",
      "before shutdown running=true",
      "after shutdown running=false",
    ]);
    assert.equal(r.running, false);
  });

  it("calls callWhenRunning functions at once when running", async () => {
    const r = new Reactor();
    const done = r.run();
    let ran = false;
    assert.equal(r.callWhenRunning(() => (ran = true)), undefined);
    assert.equal(ran, true);
    r.stop();
    await done;
  });

  it("runs shutdown triggers before, during, after, with running false from during on", async () => {
    const r = new Reactor();
    const log: string[] = [];
    for (const phase of ["after", "during", "before"] as const) {
      r.addSystemEventTrigger(
        phase,
        "shutdown",
        () => log.push(`${phase} running=${r.running}`),
      );
    }
    r.callLater(0, () => r.stop());
    await r.run();
    assert.deepEqual(log, [
      "before running=true",
      "during running=false",
      "after running=false",
    ]);
    assert.equal(r.running, false);
  });

  it("waits for a trigger's Deferred or promise before the next phase", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => {
      const d = new Deferred<void>();
      r.callLater(0.01, () => {
        log.push("before Deferred fired");
        d.callback();
      });
      return d;
    });
    r.addSystemEventTrigger("before", "shutdown", async () => {
      await later(r, 0.02, null);
      log.push("before promise settled");
    });
    r.addSystemEventTrigger("during", "shutdown", async () => {
      await later(r, 0.005, null);
      log.push("during promise settled");
    });
    r.addSystemEventTrigger("after", "shutdown", () => log.push("after"));
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.deepEqual(log, [
      "before Deferred fired",
      "before promise settled",
      "during promise settled",
      "after",
    ]);
  });

  it("logs a trigger that throws or fails, and goes on with the shutdown", async () => {
    const r = new Reactor();
    const log: string[] = [];
    const logged = await captureLogged(async () => {
      r.addSystemEventTrigger("before", "shutdown", () => {
        throw new Error("Trigger broke");
      });
      r.addSystemEventTrigger(
        "before",
        "shutdown",
        () => Promise.reject(new Error("Trigger failed")),
      );
      r.addSystemEventTrigger("during", "shutdown", () => log.push("during"));
      r.callWhenRunning(() => r.stop());
      await r.run();
    });
    assert.deepEqual(log, ["during"]);
    assert.deepEqual(logged.map((f) => f.getErrorMessage()), [
      "Trigger broke",
      "Trigger failed",
    ]);
  });

  it("resolves run() only after the after-shutdown triggers ran", async () => {
    const r = new Reactor();
    let after = false;
    r.addSystemEventTrigger("after", "shutdown", () => (after = true));
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.equal(after, true);
  });

  it("starts the shutdown on the next turn of the loop, not inside stop()", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => log.push("shutdown"));
    const done = r.run();
    r.stop();
    log.push("after stop()");
    await done;
    assert.deepEqual(log, ["after stop()", "shutdown"]);
  });

  it("throws ReactorNotRunning from stop() when not running, and when already stopping", async () => {
    const r = new Reactor();
    assert.throws(() => r.stop(), ReactorNotRunning);
    const done = r.run();
    r.stop();
    assert.throws(() => r.stop(), ReactorNotRunning);
    await done;
    assert.throws(() => r.stop(), ReactorNotRunning);
  });

  it("throws ReactorAlreadyRunning from run() while running", async () => {
    const r = new Reactor();
    const done = r.run();
    assert.throws(() => r.run(), ReactorAlreadyRunning);
    r.stop();
    await done;
  });

  it("runs again after a stop", async () => {
    const r = new Reactor();
    r.callWhenRunning(() => r.stop());
    await r.run();
    let ran = false;
    r.callWhenRunning(() => {
      ran = true;
      r.stop();
    });
    await r.run();
    assert.equal(ran, true);
  });

  it("does not run a removed trigger, and ignores removing one that already ran", async () => {
    const r = new Reactor();
    let removedRan = false;
    const removed = r.addSystemEventTrigger(
      "during",
      "shutdown",
      () => (removedRan = true),
    );
    const kept = r.addSystemEventTrigger(
      "before",
      "shutdown",
      () => r.removeSystemEventTrigger(removed),
    );
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.equal(removedRan, false);
    r.removeSystemEventTrigger(kept);
    assert.throws(() => r.removeSystemEventTrigger(removed), TypeError);
    assert.throws(
      () => r.removeSystemEventTrigger({ event: "shutdown", phase: "before" }),
      TypeError,
    );
  });

  it("rejects triggers for an unknown phase or that are not functions", () => {
    const r = new Reactor();
    assert.throws(
      () => r.addSystemEventTrigger("later" as "after", "shutdown", () => {}),
      TypeError,
    );
    assert.throws(
      () =>
        r.addSystemEventTrigger(
          "after",
          "shutdown",
          3 as unknown as () => void,
        ),
      TypeError,
    );
  });

  it("runs triggers added by a trigger of the same phase, and runs each trigger once", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => {
      log.push("first");
      r.addSystemEventTrigger("before", "shutdown", () => log.push("added"));
    });
    r.callWhenRunning(() => r.stop());
    await r.run();
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.deepEqual(log, ["first", "added"]);
  });

  it("fires the triggers of a custom event with fireSystemEvent", () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger(
      "after",
      "reload",
      (x: string) => log.push(`after ${x}`),
      "x",
    );
    r.addSystemEventTrigger("before", "reload", () => log.push("before"));
    r.fireSystemEvent("reload");
    assert.deepEqual(log, ["before", "after x"]);
  });

  it("stops on SIGINT and SIGTERM through the shutdown triggers, and removes its handlers after", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const listeners = process.listenerCount(signal);
      const r = new Reactor();
      const log: string[] = [];
      r.addSystemEventTrigger(
        "during",
        "shutdown",
        () => log.push(`stopped by ${signal}`),
      );
      const done = r.run();
      assert.equal(process.listenerCount(signal), listeners + 1);
      process.emit(signal as "SIGINT");
      await done;
      assert.deepEqual(log, [`stopped by ${signal}`]);
      assert.equal(process.listenerCount(signal), listeners);
    }
  });

  it("keeps pending calls scheduled after stop", async () => {
    const r = new Reactor();
    const call = r.callLater(3600, () => {});
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.equal(call.active(), true);
    assert.deepEqual(r.getDelayedCalls(), [call]);
    call.cancel();
  });
});

describe("Reactor.crash", () => {
  it("stops at once without running the shutdown triggers, and resolves run()", async () => {
    const r = new Reactor();
    const log: string[] = [];
    for (const phase of ["before", "during", "after"] as const) {
      r.addSystemEventTrigger(phase, "shutdown", () => log.push(phase));
    }
    const done = r.run();
    assert.equal(r.running, true);
    r.crash();
    assert.equal(r.running, false);
    await done;
    await later(r, 0.01, null);
    assert.deepEqual(log, []);
  });

  it("abandons a stop() made on the same turn: its shutdown triggers never run", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => log.push("before"));
    r.callWhenRunning(() => {
      r.stop();
      r.crash();
    });
    await r.run();
    await later(r, 0.01, null);
    assert.deepEqual(log, []);
    assert.throws(() => r.stop(), ReactorNotRunning);
  });

  it("ends a shutdown wedged in a trigger, and the later phases never run", async () => {
    const r = new Reactor();
    const log: string[] = [];
    const wedged = new Deferred<void>();
    r.addSystemEventTrigger("before", "shutdown", () => {
      log.push("before");
      r.callLater(0, () => r.crash());
      return wedged;
    });
    r.addSystemEventTrigger("during", "shutdown", () => log.push("during"));
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.equal(r.running, false);
    wedged.callback();
    await later(r, 0.01, null);
    assert.deepEqual(log, ["before"]);
  });

  it("does nothing when the reactor is not running, as in Twisted", () => {
    const r = new Reactor();
    r.crash();
    assert.equal(r.running, false);
    assert.throws(() => r.stop(), ReactorNotRunning);
  });

  it("releases pending calls, keeping them scheduled, and removes its signal handlers", async () => {
    const listeners = process.listenerCount("SIGINT");
    const r = new Reactor();
    const call = r.callLater(3600, () => {});
    r.callWhenRunning(() => r.crash());
    await r.run();
    assert.equal(process.listenerCount("SIGINT"), listeners);
    assert.deepEqual(r.getDelayedCalls(), [call]);
    call.cancel();
  });

  it("lets the reactor run again, with the shutdown triggers not yet run", async () => {
    const r = new Reactor();
    const log: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => log.push("shutdown"));
    r.callWhenRunning(() => r.crash());
    await r.run();
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.deepEqual(log, ["shutdown"]);
  });
});
