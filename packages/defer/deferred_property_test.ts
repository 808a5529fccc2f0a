// Property tests of the callback chain: thousands of random chains, each
// run by a Deferred and by a straight-line model, must agree at every step:
// every callback runs once, in order, with the model's input; nothing runs
// while the chain is paused or waiting; callbacks added to a fired chain
// run at once; a failure is never lost; the final result is the model's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Deferred } from "./deferred.ts";
import { fail, succeed } from "./factories.ts";
import { Failure } from "./failure.ts";

// Results are numbers; failures carry a tag, so the model can tell them
// apart without comparing objects.
type State = { ok: true; v: number } | { ok: false; tag: number };

class TaggedError extends Error {
  constructor(readonly tag: number) {
    super(`failure ${tag}`);
  }
}

// What a callback does with its input. "add" maps a result to a result (a
// failure's tag goes into the recovered value, so the model checks the
// right failure arrived); "fail" fails with a new tag; "pass" hands its
// input on (a failure as the same Failure).
type Op = { t: "add"; k: number } | { t: "fail"; tag: number } | {
  t: "pass";
};
// How the callback hands its outcome back: returning or throwing it, as an
// already fired Deferred, as a Deferred fired later by the driver, as a
// Promise, or as a thenable that calls back at once.
type Via = "sync" | "fired" | "later" | "promise" | "thenable";
type Side = "callback" | "errback" | "both";
interface Step {
  side: Side;
  op: Op;
  via: Via;
}
type Action = "add" | "fire" | "pause" | "unpause" | "settle" | "drain";

function apply(op: Op, s: State): State {
  switch (op.t) {
    case "add":
      return { ok: true, v: s.ok ? s.v + op.k : s.tag * 1000 + op.k };
    case "fail":
      return { ok: false, tag: op.tag };
    case "pass":
      return s;
  }
}

function runs(side: Side, s: State): boolean {
  return side === "both" || (side === "callback") === s.ok;
}

function stateOf(x: unknown): State {
  if (x instanceof Failure) {
    assert.ok(x.value instanceof TaggedError, `unexpected failure ${x}`);
    return { ok: false, tag: x.value.tag };
  }
  assert.equal(typeof x, "number");
  return { ok: true, v: x as number };
}

// The straight-line model: where the chain must be after each action.
class Model {
  state: State;
  log: { step: number; input: State }[] = [];
  next = 0;
  added = 0;
  fired = false;
  paused = 0;
  waiting: { via: Via; result: State } | undefined;

  constructor(readonly steps: Step[], readonly initial: State) {
    this.state = initial;
  }

  advance(): void {
    while (
      this.fired && this.paused === 0 && this.waiting === undefined &&
      this.next < this.added
    ) {
      const i = this.next++;
      const step = this.steps[i]!;
      if (!runs(step.side, this.state)) continue;
      this.log.push({ step: i, input: this.state });
      const result = apply(step.op, this.state);
      if (step.via === "later" || step.via === "promise") {
        this.waiting = { via: step.via, result };
      } else {
        this.state = result;
      }
    }
  }

  resume(via: Via): void {
    if (this.waiting?.via !== via) return;
    this.state = this.waiting.result;
    this.waiting = undefined;
    this.advance();
  }
}

// Runs one random chain on a Deferred, checking it against the model
// after every action.
async function check(
  steps: Step[],
  actions: Action[],
  generated: State,
): Promise<void> {
  // fast-check's records have no prototype; the log's states do.
  const initial: State = generated.ok
    ? { ok: true, v: generated.v }
    : { ok: false, tag: generated.tag };
  const model = new Model(steps, initial);
  const log: { step: number; input: State }[] = [];
  const later: (() => void)[] = [];
  let promises: Promise<unknown>[] = [];
  const d = new Deferred<number>();
  const errorOf = (s: State): TaggedError =>
    new TaggedError(s.ok ? NaN : s.tag);

  const fn = (i: number) => (input: unknown): unknown => {
    const step = steps[i]!;
    const before = stateOf(input);
    log.push({ step: i, input: before });
    const out = apply(step.op, before);
    switch (step.via) {
      case "sync":
        if (out.ok) return out.v;
        // A Failure passed on is the same Failure.
        if (input instanceof Failure && step.op.t === "pass") {
          return i % 2 ? input : input.trap(RangeError);
        }
        throw errorOf(out);
      case "fired":
        return out.ok ? succeed(out.v) : fail(errorOf(out));
      case "later": {
        const inner = new Deferred<number>();
        later.push(() =>
          out.ok ? inner.callback(out.v) : inner.errback(errorOf(out))
        );
        return inner;
      }
      case "promise": {
        const p = out.ok
          ? Promise.resolve(out.v)
          : Promise.reject(errorOf(out));
        promises.push(p.catch(() => undefined));
        return p;
      }
      case "thenable":
        return {
          then(f: (v: number) => void, r: (e: unknown) => void): void {
            if (out.ok) f(out.v);
            else r(errorOf(out));
          },
        };
    }
  };

  const add = (): void => {
    const i = model.added;
    if (i >= steps.length) return;
    const { side } = steps[i]!;
    if (side === "callback") d.addCallback(fn(i));
    else if (side === "errback") d.addErrback(fn(i));
    else d.addBoth(fn(i));
    model.added++;
  };
  // Settles every Promise a callback returned: one settling may start the
  // next, so until none is left. Only here does the test yield to the
  // event loop, so Promises settle nowhere else.
  const drain = async (): Promise<void> => {
    while (promises.length) {
      const settling = promises;
      promises = [];
      await Promise.all(settling);
      await null;
    }
    while (model.waiting?.via === "promise") model.resume("promise");
  };
  const act = (action: Action): Promise<void> | undefined => {
    switch (action) {
      case "add":
        add();
        break;
      case "fire":
        if (model.fired) return;
        model.fired = true;
        if (initial.ok) d.callback(initial.v);
        else d.errback(errorOf(initial));
        break;
      case "pause":
        d.pause();
        model.paused++;
        break;
      case "unpause":
        if (model.paused === 0) return;
        model.paused--;
        d.unpause();
        break;
      case "settle": {
        const settle = later.shift();
        if (!settle) return;
        assert.equal(model.waiting?.via, "later");
        settle();
        model.resume("later");
        return;
      }
      case "drain":
        return drain();
    }
    model.advance();
    return undefined;
  };

  for (const action of actions) {
    // Awaiting only "drain": even `await undefined` lets Promises settle.
    const draining = act(action);
    if (draining) await draining;
    assert.deepEqual(log, model.log, `after ${action}`);
    // As in Twisted, waiting on another Deferred counts as one pause.
    assert.equal(d.paused, model.paused + (model.waiting ? 1 : 0));
  }
  // Finish: every step added, fired, unpaused, everything settled.
  while (model.added < steps.length) act("add");
  act("fire");
  while (model.paused) act("unpause");
  while (later.length || promises.length) {
    act("settle");
    await drain();
  }
  assert.deepEqual(log, model.log, "at the end");
  assert.equal(model.next, steps.length);

  const final = model.state;
  if (final.ok) {
    assert.equal(d.result, final.v);
  } else {
    // The failure is not lost: it is the chain's result, and handling it
    // leaves nothing to report.
    assert.ok(d.result instanceof Failure, "the failure was lost");
    assert.deepEqual(stateOf(d.result), final);
    d.addErrback(() => 0);
  }
}

const steps = (maxLength: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.record({
      side: fc.constantFrom<Side>("callback", "errback", "both"),
      op: fc.oneof(
        fc.record({
          t: fc.constant("add" as const),
          k: fc.integer({ min: 1, max: 9 }),
        }),
        fc.record({
          t: fc.constant("fail" as const),
          tag: fc.integer({ min: 1, max: 99 }),
        }),
        fc.constant({ t: "pass" as const }),
      ),
      via: fc.constantFrom<Via>(
        "sync",
        "fired",
        "later",
        "promise",
        "thenable",
      ),
    }),
    { maxLength },
  );
const actions = (maxLength: number): fc.Arbitrary<Action[]> =>
  fc.array(
    fc.constantFrom<Action>(
      "add",
      "add",
      "add",
      "fire",
      "pause",
      "unpause",
      "settle",
      "drain",
    ),
    { maxLength },
  );
const initial: fc.Arbitrary<State> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const),
    v: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({
    ok: fc.constant(false as const),
    tag: fc.integer({ min: 1, max: 99 }),
  }),
);

describe("Deferred chains, checked against a straight-line model", () => {
  it("agree on every step and on the result for random chains", async () => {
    await fc.assert(
      fc.asyncProperty(steps(16), actions(40), initial, check),
      { numRuns: 3000 },
    );
  });

  it("agree on long chains of callbacks that do not wait", async () => {
    const noWaiting = steps(200).map((ss) =>
      ss.map((s) =>
        s.via === "later" || s.via === "promise"
          ? { ...s, via: "sync" as const }
          : s
      )
    );
    await fc.assert(
      fc.asyncProperty(noWaiting, actions(20), initial, check),
      { numRuns: 300 },
    );
  });

  it("give the innermost result to the outermost of nested Deferreds fired in any order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), {
          minLength: 1,
          maxLength: 30,
        })
          .chain((adds) =>
            fc.tuple(
              fc.constant(adds),
              fc.shuffledSubarray(adds.map((_, i) => i), {
                minLength: adds.length,
              }),
            )
          ),
        ([adds, order]) => {
          // d[i]'s callbacks: return d[i + 1] (all but the last), then add
          // adds[i]; so d[0] ends with the last one's value plus every add.
          const ds = adds.map(() => new Deferred<number>());
          ds.forEach((d, i) => {
            const next = ds[i + 1];
            if (next) d.addCallback(() => next);
            d.addCallback((x) => x + adds[i]!);
          });
          for (const i of order) ds[i]!.callback(i * 100);
          const last = adds.length - 1;
          const sum = adds.reduce((a, b) => a + b, 0);
          assert.equal(ds[0]!.result, last * 100 + sum);
          for (const d of ds.slice(1)) assert.equal(d.result, undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
