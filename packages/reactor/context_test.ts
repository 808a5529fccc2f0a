// Scheduled work runs in the async context it was scheduled from, as
// setTimeout's callbacks do, although the reactor multiplexes every
// delayed call onto one runtime timer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { Deferred } from "@twixt/defer";
import { Reactor, reactor } from "./mod.ts";
import {
  Clock,
  coiterate,
  Cooperator,
  deferLater,
  LoopingCall,
} from "./task.ts";

const als = new AsyncLocalStorage<string>();
const NAMES = ["A", "B", "C", "D"] as const;

describe("reactor.callLater runs each call in the context it was scheduled in", () => {
  it("four calls in four contexts each see their own", async () => {
    const seen: string[] = [];
    const done = NAMES.map((name, i) =>
      als.run(name, () =>
        new Promise<void>((resolve) => {
          // B is due first: it arms the shared timer.
          reactor.callLater(i === 1 ? 0 : 0.005 * i, () => {
            seen.push(`${name}=${als.getStore()}`);
            resolve();
          });
        }))
    );
    await Promise.all(done);
    assert.deepEqual(seen.sort(), ["A=A", "B=B", "C=C", "D=D"]);
  });

  it("passes the arguments, and leaves the timer's own context alone", async () => {
    const seen = await als.run(
      "A",
      () =>
        new Promise<string>((resolve) =>
          reactor.callLater(
            0,
            (x: number) => resolve(`${als.getStore()}${x}`),
            1,
          )
        ),
    );
    assert.equal(seen, "A1");
    assert.equal(als.getStore(), undefined);
  });

  it("runs a call scheduled inside als.exit as setTimeout would", async () => {
    // Deno's exit hides the store only while it runs, so there its timers
    // still see it; what counts is that callLater agrees with setTimeout.
    const [viaReactor, viaTimeout] = await als.run(
      "A",
      () =>
        als.exit(() =>
          Promise.all([
            new Promise<string | undefined>((resolve) =>
              reactor.callLater(0, () => resolve(als.getStore()))
            ),
            new Promise<string | undefined>((resolve) =>
              setTimeout(() => resolve(als.getStore()), 0)
            ),
          ])
        ),
    );
    assert.equal(viaReactor, viaTimeout);
  });

  it("runs a call scheduled outside any context in none", async () => {
    const seen = await new Promise<string | undefined>((resolve) =>
      reactor.callLater(0, () => resolve(als.getStore()))
    );
    assert.equal(seen, undefined);
  });

  it("never runs a cancelled call, in any context", async () => {
    const seen: (string | undefined)[] = [];
    const cancelled = als.run(
      "A",
      () => reactor.callLater(0, () => seen.push(als.getStore())),
    );
    const kept = als.run(
      "B",
      () =>
        new Promise<void>((resolve) =>
          reactor.callLater(0.002, () => {
            seen.push(als.getStore());
            resolve();
          })
        ),
    );
    cancelled.cancel();
    await kept;
    assert.deepEqual(seen, ["B"]);
  });

  it("keeps the context of a call moved with delay and reset", async () => {
    const seen: string[] = [];
    const calls = NAMES.map((name) =>
      als.run(
        name,
        () =>
          reactor.callLater(60, () => seen.push(`${name}=${als.getStore()}`)),
      )
    );
    await new Promise<void>((resolve) => {
      calls[0]!.reset(0);
      calls[1]!.delay(-60);
      calls[2]!.reset(0.001);
      calls[3]!.reset(0.002);
      reactor.callLater(0.01, resolve);
    });
    assert.deepEqual(seen.sort(), ["A=A", "B=B", "C=C", "D=D"]);
  });
});

describe("Clock.callLater", () => {
  it("runs each call in its own context when advanced from another", () => {
    const clock = new Clock();
    const seen: string[] = [];
    NAMES.forEach((name, i) =>
      als.run(
        name,
        () =>
          clock.callLater(4 - i, () => seen.push(`${name}=${als.getStore()}`)),
      )
    );
    als.run("advancer", () => clock.advance(10));
    assert.deepEqual(seen, ["D=D", "C=C", "B=B", "A=A"]);
  });
});

describe("LoopingCall", () => {
  it("runs two loops started in two contexts each in its own", () => {
    const clock = new Clock();
    const seen: string[] = [];
    const loops = ["A", "B"].map((name) => {
      const loop = new LoopingCall(() =>
        seen.push(`${name}=${als.getStore()}`)
      );
      loop.clock = clock;
      als.run(name, () => loop.start(1));
      return loop;
    });
    als.run("other", () => clock.pump([1, 1]));
    for (const loop of loops) loop.stop();
    assert.deepEqual(seen, ["A=A", "B=B", "A=A", "B=B", "A=A", "B=B"]);
  });

  it("stays in its context when a round's Deferred is fired from another", () => {
    const clock = new Clock();
    const seen: (string | undefined)[] = [];
    let gate = new Deferred<void>();
    const loop = new LoopingCall(() => {
      seen.push(als.getStore());
      gate = new Deferred<void>();
      return gate;
    });
    loop.clock = clock;
    als.run("A", () => loop.start(1));
    als.run("H", () => gate.callback());
    clock.advance(1);
    als.run("H", () => gate.callback());
    clock.advance(1);
    loop.stop();
    assert.deepEqual(seen, ["A", "A", "A"]);
  });

  it("runs on the reactor in its context", async () => {
    const seen: (string | undefined)[] = [];
    const loops = ["A", "B"].map((name) =>
      new LoopingCall(function (this: void) {
        seen.push(`${name}=${als.getStore()}`);
        if (seen.length >= 4) {
          for (const l of loops) if (l.running) l.stop();
        }
      })
    );
    await Promise.all(
      loops.map((loop, i) => als.run(NAMES[i]!, () => loop.start(0.001))),
    );
    assert.ok(seen.every((s) => s === "A=A" || s === "B=B"), seen.join());
  });
});

describe("deferLater", () => {
  it("calls its function in the caller's context, on a Clock", () => {
    const clock = new Clock();
    const results = NAMES.map((name, i) =>
      als.run(
        name,
        () => deferLater(clock, 4 - i, () => `${name}=${als.getStore()}`),
      )
    );
    als.run("other", () => clock.advance(4));
    assert.deepEqual(
      results.map((d) => d.result),
      ["A=A", "B=B", "C=C", "D=D"],
    );
  });

  it("calls its function in the caller's context, on the reactor", async () => {
    const results = await Promise.all(
      NAMES.map((name) =>
        als.run(name, () => deferLater(reactor, 0, () => als.getStore()))
      ),
    );
    assert.deepEqual(results, [...NAMES]);
  });
});

describe("Cooperator", () => {
  it("runs each task's work in the context the task was started in", () => {
    const clock = new Clock();
    const coop = new Cooperator({
      scheduler: (step) => clock.callLater(1, step),
      terminationPredicateFactory: () => () => false,
    });
    const seen: string[] = [];
    function* work(name: string): Generator<void> {
      for (let i = 0; i < 2; i++) {
        seen.push(`${name}=${als.getStore()}`);
        yield;
      }
    }
    als.run("A", () => coop.coiterate(work("A")));
    als.run("B", () => coop.coiterate(work("B")));
    als.run("other", () => clock.pump([1, 1]));
    assert.deepEqual(seen, ["A=A", "B=B", "A=A", "B=B"]);
  });

  it("coiterate on the reactor keeps each generator in its context", async () => {
    const seen: string[] = [];
    function* work(name: string): Generator<void> {
      for (let i = 0; i < 3; i++) {
        seen.push(`${name}=${als.getStore()}`);
        yield;
      }
    }
    await Promise.all(
      ["A", "B"].map((name) => als.run(name, () => coiterate(work(name)))),
    );
    assert.equal(seen.length, 6);
    assert.ok(seen.every((s) => s === "A=A" || s === "B=B"), seen.join());
  });
});

describe("system event triggers and callWhenRunning", () => {
  it("run each trigger in the context it was added in", async () => {
    const r = new Reactor();
    const seen: string[] = [];
    NAMES.forEach((name, i) =>
      als.run(name, () => {
        if (i % 2 === 0) {
          r.callWhenRunning(() =>
            seen.push(`running ${name}=${als.getStore()}`)
          );
        } else {
          r.addSystemEventTrigger(
            "before",
            "shutdown",
            () => seen.push(`shutdown ${name}=${als.getStore()}`),
          );
        }
      })
    );
    r.callWhenRunning(() => r.stop());
    await als.run("runner", () => r.run());
    assert.deepEqual(seen, [
      "running A=A",
      "running C=C",
      "shutdown B=B",
      "shutdown D=D",
    ]);
  });

  it("run the triggers of a fired event each in its own context", () => {
    const r = new Reactor();
    const seen: string[] = [];
    for (const name of NAMES) {
      als.run(
        name,
        () =>
          r.addSystemEventTrigger(
            "during",
            "reload",
            () => seen.push(`${name}=${als.getStore()}`),
          ),
      );
    }
    als.run("firer", () => r.fireSystemEvent("reload"));
    assert.deepEqual(seen, ["A=A", "B=B", "C=C", "D=D"]);
  });
});
