/**
 * The timed-call benchmarks measured interleaved (raw, reactor, raw,
 * reactor, ...) so that both see the same machine load; prints medians
 * and the reactor's cost as a multiple of raw setTimeout's (also with an
 * AsyncLocalStorage in use, each call checking its context), then Clock's
 * time per call at 10k, 100k and 1M calls. Runs on Deno and Bun, and on
 * Node bundled by esbuild:
 *
 * `npx deno run -A packages/reactor/bench/compare/time.ts [runs]`
 * `npx bun packages/reactor/bench/compare/time.ts [runs]`
 * `npx esbuild packages/reactor/bench/compare/time.ts --bundle --platform=node --format=esm --conditions=bun --outfile=/tmp/time.mjs && node /tmp/time.mjs`
 *
 * @module
 */
import process from "node:process";
import {
  clockRandom,
  N,
  rawScheduleAndCancelHalf,
  rawScheduleAndRun,
  rawScheduleAndRunInContext,
  reactorScheduleAndCancelHalf,
  reactorScheduleAndRun,
  reactorScheduleAndRunInContext,
} from "../_time.ts";

const runs = Number(process.argv[2] ?? 20);
const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const runtime = (globalThis as { Deno?: unknown }).Deno
  ? "Deno"
  : process.versions["bun"]
  ? "Bun"
  : "Node";

async function pair(
  label: string,
  raw: () => Promise<void>,
  twixt: () => Promise<void>,
): Promise<void> {
  const t = { raw: [] as number[], reactor: [] as number[] };
  for (let i = 0; i < runs + 3; i++) {
    for (const [name, fn] of [["raw", raw], ["reactor", twixt]] as const) {
      const start = performance.now();
      await fn();
      if (i >= 3) t[name].push(performance.now() - start); // 3 warm-up rounds
    }
  }
  const r = median(t.raw);
  const x = median(t.reactor);
  console.log(
    `${label}: setTimeout ${r.toFixed(1)} ms, reactor ${x.toFixed(1)} ms, ` +
      `reactor/setTimeout ${(x / r).toFixed(2)}x`,
  );
}

console.log(`${runtime}, medians of ${runs} interleaved runs, ${N} calls each`);
await pair("schedule and run", rawScheduleAndRun, reactorScheduleAndRun);
await pair(
  "schedule and run, from 100 AsyncLocalStorage contexts",
  rawScheduleAndRunInContext,
  reactorScheduleAndRunInContext,
);
await pair(
  "schedule, cancel half, run the rest",
  rawScheduleAndCancelHalf,
  reactorScheduleAndCancelHalf,
);
for (const n of [10_000, 100_000, 1_000_000]) {
  const times: number[] = [];
  const reps = n === 1_000_000 ? 3 : 7;
  for (let i = 0; i < reps + 1; i++) {
    const start = performance.now();
    clockRandom(n);
    if (i > 0) times.push(performance.now() - start);
  }
  const m = median(times);
  console.log(
    `Clock, ${n} random calls: ${m.toFixed(1)} ms, ${
      (m * 1e6 / n).toFixed(0)
    } ns per call`,
  );
}
