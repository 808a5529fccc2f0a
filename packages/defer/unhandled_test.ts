// Tests of unhandled-failure reporting, after Twisted 22.4's LogTests and
// UtilTests in twisted/test/test_defer.py. Reports of unhandled failures
// come from a FinalizationRegistry, so those tests make the garbage
// collector run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { runChild } from "./_child_test_util.ts";
import { Deferred } from "./deferred.ts";
import { fail, succeed } from "./factories.ts";
import { Failure } from "./failure.ts";
import {
  type FailureLogger,
  logError,
  setDebugging,
  setFailureLogger,
} from "./unhandled.ts";

// A way to force a full garbage collection, or undefined. Bun has Bun.gc
// (allowed in tests); V8 (Deno, Node) exposes gc to a new context once the
// --expose-gc flag is set, so no command-line flag is needed.
function findGc(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    if (typeof gc === "function") return gc as () => void;
  } catch {
    // Not available in this runtime: the GC tests are skipped.
  }
  return undefined;
}
const gc = findGc();
const noGc = gc ? false : "this runtime offers no way to force a collection";

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

interface Report {
  message: string;
  failure: Failure;
}

// Runs `body` with the failure logger capturing reports.
async function capturing(
  body: (reports: Report[]) => Promise<void> | void,
): Promise<void> {
  const reports: Report[] = [];
  const logger: FailureLogger = (message, failure) => {
    reports.push({ message, failure });
  };
  const previous = setFailureLogger(logger);
  try {
    await body(reports);
  } finally {
    setFailureLogger(previous);
  }
}

// Collects garbage until every object made by `make` has been finalized
// and `until` holds (finalization callbacks run in later tasks), or gives
// up after a bounded number of rounds. `make` runs in its own frame so
// nothing it made stays reachable from the test's locals.
async function collect(
  make: (watch: (o: object) => void) => void,
  until: () => boolean = () => true,
): Promise<void> {
  let alive = 0;
  const registry = new FinalizationRegistry<null>(() => {
    alive--;
  });
  make((o) => {
    alive++;
    registry.register(o, null);
  });
  for (let round = 0; round < 50 && (alive > 0 || !until()); round++) {
    gc!();
    await tick();
  }
  assert.equal(alive, 0, "the watched objects were not collected");
}

const divisionError = (): Error => new RangeError("division by zero");

// A Deferred whose callback threw, as in Twisted's test_errorLog: the error
// is made while the Deferred runs its callbacks.
function failedInCallback(): Deferred<number> {
  const d = new Deferred<number>();
  d.addCallback(() => {
    throw divisionError();
  });
  d.callback(1);
  return d;
}

describe("logError", () => {
  it("returns the failure it is given", async () => {
    await capturing(() => {
      const f = new Failure(new RangeError());
      assert.equal(logError(f), f);
    });
  });

  it("reports the failure as an unhandled error", async () => {
    await capturing((reports) => {
      const f = new Failure(new RangeError("logged"));
      logError(f);
      assert.deepEqual(reports, [{ message: "Unhandled Error", failure: f }]);
    });
  });

  it("starts the report with what failed when told, as Twisted's log.err(failure, why)", async () => {
    await capturing((reports) => {
      const f = new Failure(new RangeError("logged"));
      logError(f, "Cannot save the page");
      fail(divisionError()).addErrback(logError, "Cannot divide")
        .addErrback(() => {});
      assert.deepEqual(
        reports.map((r) => r.message),
        ["Cannot save the page", "Cannot divide"],
      );
    });
  });

  it("passes a failure on when used as an errback", async () => {
    await capturing((reports) => {
      const d = fail(divisionError()).addErrback(logError);
      d.addErrback(() => "handled");
      assert.equal(d.result, "handled");
      assert.equal(reports.length, 1);
    });
  });
});

describe("setFailureLogger", () => {
  it("returns the previous logger and restores the default with no argument", () => {
    const mine: FailureLogger = () => {};
    const original = setFailureLogger(mine);
    assert.equal(setFailureLogger(), mine);
    assert.equal(setFailureLogger(original), original);
  });

  it("prints to console.error when the logger itself throws", () => {
    const printed: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    const previous = setFailureLogger(() => {
      throw new Error("logger broke");
    });
    try {
      logError(new Failure(new RangeError("still seen")));
    } finally {
      setFailureLogger(previous);
      console.error = consoleError;
    }
    assert.equal(printed.length, 1);
    assert.match(String(printed[0]), /still seen/);
  });

  it("prints the message and traceback with the default logger", () => {
    const printed: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    const previous = setFailureLogger();
    try {
      logError(new Failure(new RangeError("printed")));
    } finally {
      setFailureLogger(previous);
      console.error = consoleError;
    }
    assert.match(
      String(printed[0]?.[0]),
      /^Unhandled Error\nRangeError: printed/,
    );
  });
});

describe("unhandled failures of collected Deferreds", { skip: noGc }, () => {
  it("reports a Deferred collected with a failure it was given", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        const d = fail(new RangeError("never handled"));
        watch(d);
      }, () => reports.length > 0);
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.message, "Unhandled error in Deferred:");
      assert.equal(reports[0]!.failure.getErrorMessage(), "never handled");
      assert.match(
        reports[0]!.failure.getTraceback(),
        /^RangeError: never handled/,
      );
    });
  });

  it("reports a Deferred collected after a callback threw", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        watch(failedInCallback());
      }, () => reports.length > 0);
      assert.equal(reports.length, 1);
      assert.ok(reports[0]!.failure.check(RangeError));
    });
  });

  it("reports a Deferred that refers to itself", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        const d: Deferred<number> & { self?: unknown } = failedInCallback();
        d.self = d;
        watch(d);
      }, () => reports.length > 0);
      assert.equal(reports.length, 1);
    });
  });

  it("reports a failure that is not an Error", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        watch(fail("a plain string"));
      }, () => reports.length > 0);
      assert.equal(reports[0]?.failure.value, "a plain string");
    });
  });

  it("adds the creation and firing stacks when debugging", async () => {
    await capturing(async (reports) => {
      setDebugging(true);
      try {
        await collect((watch) => {
          const d = new Deferred<number>();
          d.addCallback(() => {
            throw divisionError();
          });
          d.callback(1);
          watch(d);
        }, () => reports.length > 0);
      } finally {
        setDebugging(false);
      }
      const text = reports[0]?.failure.getTraceback() ?? "";
      assert.match(text, /^RangeError: division by zero/);
      assert.match(text, /Deferred was created:/);
      assert.match(text, /First invoker was:/);
    });
  });

  it("does not report a Deferred whose failure was handled", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        const d = fail(divisionError());
        d.addErrback(() => undefined);
        watch(d);
      });
      assert.deepEqual(reports, []);
    });
  });

  it("does not report a failed Deferred returned from a callback, whose failure moved on", async () => {
    await capturing(async (reports) => {
      let errors = 0;
      await collect((watch) => {
        const inner = fail(new RangeError("zoop"));
        const d = succeed(null).addCallback(() => inner);
        d.addErrback((f) => {
          f.trap(RangeError);
          errors++;
        });
        watch(d);
        watch(inner);
      });
      assert.equal(errors, 1);
      assert.deepEqual(reports, []);
    });
  });

  it("does not report a failure cleared by an errback that chains another Deferred", async () => {
    await capturing(async (reports) => {
      await collect((watch) => {
        const bad = fail(new Error("oh no"));
        const good = new Deferred();
        bad.addErrback(() => good);
        watch(bad);
        watch(good);
      });
      assert.deepEqual(reports, []);
    });
  });

  it("does not report a failure taken by an await of the unfired Deferred", async () => {
    await capturing(async (reports) => {
      let rejected: Promise<unknown> | undefined;
      await collect((watch) => {
        const d = new Deferred();
        rejected = d.asPromise().catch((e) => e);
        d.errback(new RangeError("taken"));
        watch(d);
      });
      assert.ok(await rejected instanceof RangeError);
      assert.deepEqual(reports, []);
    });
  });

  it("does not report a failure read by an await of the fired Deferred", async () => {
    await capturing(async (reports) => {
      let rejected: Promise<unknown> | undefined;
      await collect((watch) => {
        const d = fail(new RangeError("read"));
        rejected = d.then(undefined, (e) => e);
        watch(d);
      });
      assert.ok(await rejected instanceof RangeError);
      assert.deepEqual(reports, []);
    });
  });
});

// Short programs that drop a failed Deferred and end: as Twisted prints
// "Unhandled error in Deferred:" with the traceback by exit, each failure
// still unhandled at exit is reported then, once, without a collection.
describe("unhandled failures at exit", () => {
  const HEADER = "Unhandled error in Deferred:";
  const count = (text: string): number => text.split(HEADER).length - 1;
  // A clock over setTimeout, since @twixt/reactor is not a dependency.
  const CLOCK = `const clock = {
  seconds: () => performance.now() / 1000,
  getDelayedCalls: () => [],
  callLater(s, fn) {
    let active = true;
    const h = setTimeout(() => { active = false; fn(); }, s * 1000);
    return { active: () => active, cancel() { active = false; clearTimeout(h); } };
  },
};`;

  it("reports a dropped errbacked Deferred, with its message and stack", async () => {
    const { code, stderr } = await runChild(`
function dropIt() {
  const d = new defer.Deferred();
  d.addCallback((x) => x);
  d.errback(new RangeError("Lost at exit"));
}
dropIt();`);
    assert.equal(code, 0);
    assert.equal(count(stderr), 1, stderr);
    assert.match(stderr, /RangeError: Lost at exit\n\s+at dropIt/);
  });

  it("reports it on process.exit(n) too", async () => {
    const { code, stderr } = await runChild(`
defer.fail(new Error("Lost before process.exit"));
process.exit(3);`);
    assert.equal(code, 3);
    assert.equal(count(stderr), 1, stderr);
    assert.match(stderr, /Error: Lost before process\.exit\n\s+at /);
  });

  it("reports the inputs of a cancelled DeferredList", async () => {
    const { code, stderr } = await runChild(`
const inputs = [new defer.Deferred(), new defer.Deferred()];
defer.DeferredList(inputs).cancel();`);
    assert.equal(code, 0);
    assert.equal(count(stderr), 2, stderr);
    assert.match(stderr, /CancelledError: Deferred was cancelled\n\s+at /);
  });

  it("reports an addTimeout that fired with nobody listening", async () => {
    const { code, stderr } = await runChild(`${CLOCK}
new defer.Deferred().addTimeout(0.01, clock);`);
    assert.equal(code, 0);
    assert.equal(count(stderr), 1, stderr);
    assert.match(
      stderr,
      /TimeoutError: Deferred timed out after 0\.01 seconds\n\s+at /,
    );
  });

  it("reports through the failure logger that is set", async () => {
    const { code, stdout, stderr } = await runChild(`
defer.setFailureLogger((message, f) => console.log("LOGGED", message, f.getErrorMessage()));
defer.fail(new Error("To the logger"));`);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.equal(stdout, `LOGGED ${HEADER} To the logger\n`);
  });

  it("prints nothing for failures handled by exit", async () => {
    const { code, stdout, stderr } = await runChild(`${CLOCK}
const d = new defer.Deferred();
d.errback(new Error("Handled later"));
const t = new defer.Deferred().addTimeout(0.01, clock);
t.addErrback((f) => f.trap(defer.TimeoutError));
setTimeout(() => d.addErrback(() => null), 20);
defer.DeferredList([new defer.Deferred()], { consumeErrors: true }).cancel();
defer.succeed(1).addCallback(() => { throw new Error("Caught"); }).addErrback(() => 0);`);
    assert.equal(code, 0);
    assert.equal(stdout + stderr, "");
  });
});
