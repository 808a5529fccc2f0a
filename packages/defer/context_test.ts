import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { _isolated, _snapshotClass } from "./context.ts";
import {
  bindContext,
  captureContext,
  Deferred,
  ensureDeferred,
  type Failure,
  getCallbackContext,
  inlineCallbacks,
  setCallbackContext,
} from "./mod.ts";

const als = new AsyncLocalStorage<string>();

describe("captureContext", () => {
  it("runs a function in the context it was captured in", () => {
    const a = als.run("A", () => captureContext())!;
    const b = als.run("B", () => captureContext())!;
    assert.equal(als.run("C", () => a.run(() => als.getStore())), "A");
    assert.equal(
      b.run((x: number, y: number) => `${als.getStore()}${x + y}`, 1, 2),
      "B3",
    );
    assert.equal(als.getStore(), undefined);
  });

  it("restores the caller's context after a run that throws", () => {
    const a = als.run("A", () => captureContext())!;
    als.run("C", () => {
      assert.throws(() =>
        a.run(() => {
          throw new Error("boom");
        }), /boom/);
      assert.equal(als.getStore(), "C");
    });
  });

  it("_isolated runs in the caller's context and keeps enterWith inside", () => {
    const other = new AsyncLocalStorage<string>();
    als.run("A", () => {
      const seen = _isolated(
        (x: number, y: number) => {
          als.enterWith("inner");
          other.enterWith("inner too");
          return `${x + y} ${als.getStore()} ${other.getStore()}`;
        },
        1,
        2,
      );
      assert.equal(seen, "3 inner inner too");
      assert.equal(als.getStore(), "A");
      assert.equal(other.getStore(), undefined);
      assert.equal(
        _isolated(() => als.getStore(), undefined, undefined),
        "A",
      );
    });
  });

  it("bindContext binds a function to the context current when bound", () => {
    const f = als.run(
      "A",
      () => bindContext((n: number) => `${als.getStore()}${n}`),
    );
    assert.equal(als.run("B", () => f(1)), "A1");
  });
});

describe("the source of snapshots", () => {
  it("prefers TC39 AsyncContext.Snapshot where the runtime has it", () => {
    class Snapshot {
      run<R>(fn: (...args: unknown[]) => R, ...args: unknown[]): R {
        return fn(...args);
      }
    }
    assert.equal(_snapshotClass({ AsyncContext: { Snapshot } }), Snapshot);
  });

  it("has none where there is neither AsyncContext nor node:async_hooks (a browser)", () => {
    assert.equal(_snapshotClass({}), null);
    assert.equal(
      _snapshotClass({ process: { getBuiltinModule: () => undefined } }),
      null,
    );
    assert.equal(
      _snapshotClass({
        process: {
          getBuiltinModule: () => {
            throw new Error("No such module");
          },
        },
      }),
      null,
    );
  });

  it("uses AsyncResource from node:async_hooks otherwise", () => {
    const Snapshot = _snapshotClass()!;
    const snapshot = als.run("A", () => new Snapshot());
    assert.equal(snapshot.run(() => als.getStore()), "A");
  });
});

describe("inlineCallbacks keeps its own context", () => {
  it("resumes a generator started in G in G, when a Deferred fired from H wakes it", async () => {
    const seen: (string | undefined)[] = [];
    const waits: Deferred<number>[] = [new Deferred(), new Deferred()];
    const gen = inlineCallbacks(function* () {
      seen.push(als.getStore());
      const a: number = yield waits[0]!;
      seen.push(als.getStore());
      const b: number = yield waits[1]!;
      seen.push(als.getStore());
      return a + b;
    });
    const d = als.run("G", () => gen());
    als.run("H", () => waits[0]!.callback(1));
    als.run("I", () => waits[1]!.callback(2));
    assert.equal(await d, 3);
    assert.deepEqual(seen, ["G", "G", "G"]);
  });

  it("keeps two interleaved invocations apart", () => {
    const log: string[] = [];
    const gates = [new Deferred<void>(), new Deferred<void>()];
    const gen = inlineCallbacks(function* (name: string, gate: Deferred<void>) {
      log.push(`${name} start ${als.getStore()}`);
      yield gate;
      log.push(`${name} resumed ${als.getStore()}`);
    });
    als.run("ctx-1", () => gen("one", gates[0]!));
    als.run("ctx-2", () => gen("two", gates[1]!));
    // Each fired from the other's context.
    als.run("ctx-2", () => gates[0]!.callback());
    als.run("ctx-1", () => gates[1]!.callback());
    assert.deepEqual(log, [
      "one start ctx-1",
      "two start ctx-2",
      "one resumed ctx-1",
      "two resumed ctx-2",
    ]);
  });

  it("keeps a value set with enterWith for the rest of the generator, without leaking it", () => {
    const seen: (string | undefined)[] = [];
    const gate = new Deferred<void>();
    const gen = inlineCallbacks(function* () {
      als.enterWith("inner");
      seen.push(als.getStore());
      yield gate;
      seen.push(als.getStore());
    });
    als.run("outer", () => {
      gen();
      seen.push(`caller ${als.getStore()}`);
    });
    als.run("H", () => gate.callback());
    assert.deepEqual(seen, ["inner", "caller outer", "inner"]);
  });

  it("restores the context after a nested run and after exit, across yields", () => {
    const seen: (string | undefined)[] = [];
    const gate = new Deferred<void>();
    const gen = inlineCallbacks(function* () {
      als.run("nested", () => seen.push(als.getStore()));
      als.exit(() => seen.push(als.getStore()));
      seen.push(als.getStore());
      yield gate;
      seen.push(als.getStore());
      als.exit(() => seen.push(als.getStore()));
    });
    als.run("G", () => gen());
    als.run("H", () => gate.callback());
    assert.deepEqual(seen, ["nested", undefined, "G", "G", undefined]);
  });

  it("throws a failure into the generator in its own context", () => {
    const seen: (string | undefined)[] = [];
    const gate = new Deferred<void>();
    const gen = inlineCallbacks(function* () {
      try {
        yield gate;
      } catch {
        seen.push(als.getStore());
      }
    });
    als.run("G", () => gen());
    als.run("H", () => gate.errback(new Error("no")));
    assert.deepEqual(seen, ["G"]);
  });

  it("leaves the firer in its own context", () => {
    const gate = new Deferred<void>();
    const gen = inlineCallbacks(function* () {
      yield gate;
    });
    als.run("G", () => gen());
    als.run("H", () => {
      gate.callback();
      assert.equal(als.getStore(), "H");
    });
  });
});

describe("async coroutines through ensureDeferred and fromCoroutine", () => {
  for (
    const [name, wrap] of [
      ["ensureDeferred", ensureDeferred],
      ["Deferred.fromCoroutine", Deferred.fromCoroutine],
    ] as const
  ) {
    it(`${name}: a coroutine started in G and woken from H sees G after each await`, async () => {
      const seen: (string | undefined)[] = [];
      const gates = [new Deferred<number>(), new Deferred<number>()];
      async function work(): Promise<number> {
        seen.push(als.getStore());
        const a = await gates[0]!;
        seen.push(als.getStore());
        const b = await gates[1]!;
        seen.push(als.getStore());
        return a + b;
      }
      const d = als.run("G", () => wrap(work()));
      await new Promise((r) => setTimeout(r, 1));
      als.run("H", () => gates[0]!.callback(1));
      await new Promise((r) => setTimeout(r, 1));
      als.run("I", () => gates[1]!.callback(2));
      assert.equal(await d, 3);
      assert.deepEqual(seen, ["G", "G", "G"]);
    });

    it(`${name}: enterWith after an await stays in the coroutine, not in its waker`, async () => {
      const seen: (string | undefined)[] = [];
      const gates = [new Deferred<void>(), new Deferred<void>()];
      async function work(): Promise<void> {
        await gates[0]!;
        als.enterWith("inner");
        await gates[1]!;
        seen.push(als.getStore());
      }
      const d = als.run("G", () => wrap(work()));
      await als.run("H", async () => {
        gates[0]!.callback();
        await new Promise((r) => setTimeout(r, 1));
        seen.push(`waker ${als.getStore()}`);
      });
      als.run("I", () => gates[1]!.callback());
      await d;
      assert.deepEqual(seen, ["waker H", "inner"]);
    });
  }
});

describe("setCallbackContext", () => {
  it("is off by default: callbacks run in the firer's context", () => {
    assert.equal(getCallbackContext(), false);
    const d = new Deferred<void>();
    const seen: (string | undefined)[] = [];
    als.run("adder", () => d.addCallback(() => seen.push(als.getStore())));
    als.run("firer", () => d.callback());
    assert.deepEqual(seen, ["firer"]);
  });

  it("when on, runs each callback and errback in the context it was added in", () => {
    setCallbackContext(true);
    try {
      assert.equal(getCallbackContext(), true);
      const seen: string[] = [];
      const d = new Deferred<number>();
      const note = (tag: string) => (r: unknown): unknown => {
        seen.push(`${tag}=${als.getStore()}`);
        return r;
      };
      als.run("A", () => d.addCallback(note("A")));
      als.run("B", () => d.addBoth(note("B")));
      als.run("C", () =>
        d.addCallbacks(
          (n: number, k: number) => {
            seen.push(`C=${als.getStore()} ${n + k}`);
            throw new Error("to the errback");
          },
          null,
          { callbackArgs: [1] },
        ));
      als.run("D", () => d.addErrback((f: Failure) => note("D")(f.value)));
      als.run("E", () => d.addCallbacks(note("E-cb"), note("E-eb")));
      als.run("firer", () => d.callback(41));
      assert.deepEqual(seen, ["A=A", "B=B", "C=C 42", "D=D", "E-cb=E"]);
    } finally {
      setCallbackContext(false);
    }
    assert.equal(getCallbackContext(), false);
  });

  it("when on, still refuses a callback that is not a function with TypeError", () => {
    setCallbackContext(true);
    try {
      assert.throws(() => new Deferred().addCallback(5 as never), TypeError);
      assert.throws(
        () => new Deferred().addCallbacks(() => {}, 5 as never),
        TypeError,
      );
    } finally {
      setCallbackContext(false);
    }
  });

  it("turning it off restores the plain methods", () => {
    const before = Deferred.prototype.addCallback;
    setCallbackContext(true);
    setCallbackContext(true);
    assert.notEqual(Deferred.prototype.addCallback, before);
    setCallbackContext(false);
    assert.equal(Deferred.prototype.addCallback, before);
    assert.equal(Object.keys(Deferred.prototype).length, 0);
  });
});
