// react() in this process, on a reactor of the test's own (which react
// does not end the process for). The exit code it sets is checked and put
// back. Exits of real programs are in reactor_process_test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Deferred, fail, setFailureLogger, succeed } from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import { type IReactor, Reactor } from "./mod.ts";
import { react, SystemExit } from "./task.ts";

class ExpectedException extends Error {}

// Runs react() quietly, and gives its exit code and the exit code it set.
async function reactQuietly<A extends unknown[]>(
  main: (r: Reactor, ...args: A) => unknown,
  argv?: A,
  r: Reactor = new Reactor(),
): Promise<{ code: number; exitCode: unknown }> {
  const saved = process.exitCode;
  const previous = setFailureLogger(() => {});
  try {
    const code = await react(main, argv, r);
    return { code, exitCode: process.exitCode };
  } finally {
    setFailureLogger(previous);
    process.exitCode = saved;
  }
}

describe("react", () => {
  it("runs the reactor until main's Deferred fires, then stops it, with code 0", async () => {
    const timePassed: boolean[] = [];
    let reactor: Reactor | undefined;
    const { code, exitCode } = await reactQuietly((r) => {
      reactor = r;
      const finished = new Deferred<void>();
      r.callLater(0.01, () => timePassed.push(true));
      r.callLater(0.02, () => finished.callback());
      return finished;
    });
    assert.equal(code, 0);
    assert.equal(exitCode, 0);
    assert.deepEqual(timePassed, [true]);
    assert.equal(reactor!.running, false);
  });

  it("returns at once when main's Deferred has already fired", async () => {
    const { code } = await reactQuietly(() => succeed(undefined));
    assert.equal(code, 0);
  });

  it("accepts a promise (an async main) as well as a Deferred", async () => {
    const { code } = await reactQuietly(async (r) => {
      await new Promise((resolve) => r.callLater(0.005, resolve, "waited"));
      return "done";
    });
    assert.equal(code, 0);
  });

  it("logs the failure and exits with code 1 when main's Deferred fails later", async () => {
    const { code, exitCode } = await reactQuietly((r) => {
      const finished = new Deferred<void>();
      r.callLater(0.005, () => finished.errback(new ExpectedException()));
      return finished;
    });
    assert.equal(code, 1);
    assert.equal(exitCode, 1);
    assert.equal(flushLoggedErrors(ExpectedException).length, 1);
  });

  it("logs the failure as Twisted's react does: main function encountered error", async () => {
    const messages: string[] = [];
    const saved = process.exitCode;
    const previous = setFailureLogger((message) => messages.push(message));
    try {
      assert.equal(
        await react(() => fail(new ExpectedException()), [], new Reactor()),
        1,
      );
    } finally {
      setFailureLogger(previous);
      process.exitCode = saved;
    }
    assert.deepEqual(messages, ["main function encountered error"]);
    flushLoggedErrors(ExpectedException);
  });

  it("logs the failure and exits with code 1 when main has already failed", async () => {
    const { code } = await reactQuietly(() => fail(new ExpectedException()));
    assert.equal(code, 1);
    assert.equal(flushLoggedErrors(ExpectedException).length, 1);
  });

  it("treats main throwing synchronously as a failure", async () => {
    const { code } = await reactQuietly(() => {
      throw new ExpectedException();
    });
    assert.equal(code, 1);
    assert.equal(flushLoggedErrors(ExpectedException).length, 1);
  });

  it("does not stop the reactor twice when main's Deferred fires after a stop", async () => {
    const { code } = await reactQuietly((r) => {
      r.callLater(0.005, () => r.stop());
      const finished = new Deferred<void>();
      r.addSystemEventTrigger("during", "shutdown", () => finished.callback());
      return finished;
    });
    assert.equal(code, 0);
  });

  it("still reports a failure of main's Deferred that comes after a stop", async () => {
    const { code } = await reactQuietly((r) => {
      r.callLater(0.005, () => r.stop());
      const finished = new Deferred<void>();
      r.addSystemEventTrigger(
        "during",
        "shutdown",
        () => finished.errback(new ExpectedException()),
      );
      return finished;
    });
    assert.equal(code, 1);
    assert.equal(flushLoggedErrors(ExpectedException).length, 1);
  });

  it("passes argv to main after the reactor", async () => {
    const args: unknown[] = [];
    let given: IReactor | undefined;
    const r = new Reactor();
    const { code } = await reactQuietly(
      (reactor, x: number, y: number, z: number) => {
        given = reactor;
        args.push(x, y, z);
        return succeed(undefined);
      },
      [1, 2, 3],
      r,
    );
    assert.equal(code, 0);
    assert.deepEqual(args, [1, 2, 3]);
    assert.equal(given, r);
  });

  it("exits with the code of a SystemExit failure", async () => {
    const { code, exitCode } = await reactQuietly(() =>
      fail(new SystemExit(23))
    );
    assert.equal(code, 23);
    assert.equal(exitCode, 23);
    assert.equal(flushLoggedErrors(SystemExit).length, 0);
  });

  it("handles the reactor being stopped just before main's Deferred fires", async () => {
    const { code } = await reactQuietly((r) => {
      const d = new Deferred<void>();
      r.callWhenRunning(() => {
        r.stop();
        d.callback();
      });
      return d;
    });
    assert.equal(code, 0);
  });

  it("exits with 0 when the reactor is stopped and main's Deferred never fires", async () => {
    const { code } = await reactQuietly((r) => {
      r.callLater(0.005, () => r.stop());
      return new Deferred<void>();
    });
    assert.equal(code, 0);
  });
});
