/**
 * The reactor's timed calls against the runtime's own timers, and Clock
 * at growing sizes (n log n: the time per call should grow with log n).
 *
 * `compare/time.ts` measures the same, interleaved, on any runtime.
 *
 * Run: `npx deno bench -A packages/reactor/bench/time_bench.ts`
 *
 * @module
 */
import {
  clockRandom,
  rawScheduleAndCancelHalf,
  rawScheduleAndRun,
  rawScheduleAndRunInContext,
  reactorScheduleAndCancelHalf,
  reactorScheduleAndRun,
  reactorScheduleAndRunInContext,
} from "./_time.ts";

Deno.bench({
  name: "setTimeout: schedule and run 100k",
  group: "schedule and run 100k",
  baseline: true,
  fn: rawScheduleAndRun,
});
Deno.bench({
  name: "reactor.callLater: schedule and run 100k",
  group: "schedule and run 100k",
  fn: reactorScheduleAndRun,
});

Deno.bench({
  name: "setTimeout: schedule and run 100k from 100 ALS contexts",
  group: "schedule and run 100k in context",
  baseline: true,
  fn: rawScheduleAndRunInContext,
});
Deno.bench({
  name: "reactor.callLater: schedule and run 100k from 100 ALS contexts",
  group: "schedule and run 100k in context",
  fn: reactorScheduleAndRunInContext,
});

Deno.bench({
  name: "setTimeout: schedule 100k, clear half, run the rest",
  group: "schedule 100k and cancel half",
  baseline: true,
  fn: rawScheduleAndCancelHalf,
});
Deno.bench({
  name: "reactor.callLater: schedule 100k, cancel half, run the rest",
  group: "schedule 100k and cancel half",
  fn: reactorScheduleAndCancelHalf,
});

for (const n of [10_000, 100_000, 1_000_000]) {
  Deno.bench({
    name: `Clock: ${n} calls, random delays, advanced through`,
    group: "Clock",
    baseline: n === 10_000,
    ...(n === 1_000_000 ? { n: 5, warmup: 1 } : {}),
    fn: () => clockRandom(n),
  });
}
