// Model-based test of the timed-call queue (the heap with stale entries,
// shared by the reactor and Clock): random schedules, cancels, resets,
// delays and advances on a Clock must run exactly the calls a plain sorted
// list says, in the same order.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { DelayedCall } from "./mod.ts";
import { Clock } from "./task.ts";

type Op =
  | { kind: "schedule"; delay: number }
  | { kind: "cancel"; pick: number }
  | { kind: "reset"; pick: number; delay: number }
  | { kind: "delay"; pick: number; by: number }
  | { kind: "advance"; by: number };

// Small integer-ish times make equal due times (and so ordering by
// scheduling) common.
const delay = fc.integer({ min: 0, max: 8 }).map((n) => n / 2);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: delay.map((d) => ({ kind: "schedule" as const, delay: d })),
  },
  {
    weight: 2,
    arbitrary: fc.nat().map((p) => ({ kind: "cancel" as const, pick: p })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), delay).map(([p, d]) => ({
      kind: "reset" as const,
      pick: p,
      delay: d,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), fc.integer({ min: -4, max: 4 })).map((
      [p, b],
    ) => ({ kind: "delay" as const, pick: p, by: b / 2 })),
  },
  {
    weight: 2,
    arbitrary: delay.map((d) => ({ kind: "advance" as const, by: d })),
  },
);

interface ModelCall {
  id: number;
  time: number;
  seq: number;
  state: "pending" | "called" | "cancelled";
}

describe("the timed-call queue", () => {
  it("runs the same calls in the same order as a sorted list would", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const clock = new Clock();
        const ran: number[] = [];
        const model: ModelCall[] = [];
        const expected: number[] = [];
        const real: DelayedCall[] = [];
        let now = 0;
        const pending = (): ModelCall[] =>
          model.filter((c) => c.state === "pending");
        for (const o of ops) {
          if (o.kind === "schedule") {
            const id = model.length;
            model.push({ id, time: now + o.delay, seq: id, state: "pending" });
            real.push(clock.callLater(o.delay, () => ran.push(id)));
            continue;
          }
          if (o.kind === "advance") {
            now += o.by;
            clock.advance(o.by);
            const due = pending()
              .filter((c) => c.time <= now)
              .sort((a, b) => a.time - b.time || a.seq - b.seq);
            for (const c of due) {
              c.state = "called";
              expected.push(c.id);
            }
            assert.deepEqual(ran, expected);
            continue;
          }
          const live = pending();
          if (live.length === 0) continue;
          const c = live[o.pick % live.length]!;
          const call = real[c.id]!;
          if (o.kind === "cancel") {
            c.state = "cancelled";
            call.cancel();
          } else if (o.kind === "reset") {
            c.time = now + o.delay;
            call.reset(o.delay);
          } else {
            c.time += o.by;
            call.delay(o.by);
          }
          assert.equal(call.getTime(), c.time);
        }
        const left = pending().sort((a, b) => a.time - b.time || a.seq - b.seq);
        assert.deepEqual(
          clock.getDelayedCalls(),
          left.map((c) => real[c.id]),
        );
        for (const c of model) {
          assert.equal(real[c.id]!.active(), c.state === "pending");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps its order when most calls are cancelled or moved, which compacts the heap", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            delay: fc.integer({ min: 0, max: 50 }),
            fate: fc.constantFrom("keep", "cancel", "cancel", "reset"),
            reset: fc.integer({ min: 0, max: 50 }),
          }),
          { minLength: 100, maxLength: 400 },
        ),
        (specs) => {
          const clock = new Clock();
          const ran: number[] = [];
          const calls = specs.map((s, i) =>
            clock.callLater(s.delay, () => ran.push(i))
          );
          const expected: [number, number][] = [];
          specs.forEach((s, i) => {
            if (s.fate === "cancel") calls[i]!.cancel();
            else if (s.fate === "reset") calls[i]!.reset(s.reset);
            if (s.fate !== "cancel") {
              expected.push([i, s.fate === "reset" ? s.reset : s.delay]);
            }
          });
          expected.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
          assert.equal(clock.getDelayedCalls().length, expected.length);
          clock.advance(50);
          assert.deepEqual(ran, expected.map(([i]) => i));
          assert.deepEqual(clock.getDelayedCalls(), []);
        },
      ),
      { numRuns: 100 },
    );
  });
});
