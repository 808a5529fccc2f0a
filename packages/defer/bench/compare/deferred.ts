/**
 * Deferred against native Promises, as a plain script that runs on Deno,
 * Bun and Node and prints a Markdown table. Each pair is timed interleaved
 * (Promise, Deferred, Promise, ...) so that both see the same machine
 * load; the table gives medians and the Deferred's speed relative to the
 * Promise (above 1 is faster).
 *
 * `npx deno run -A packages/defer/bench/compare/deferred.ts [rounds]`
 * `npx bun packages/defer/bench/compare/deferred.ts [rounds]`
 * Node 20 (no TypeScript): `npx esbuild packages/defer/bench/compare/deferred.ts
 * --bundle --platform=node --format=esm --outfile=/tmp/defer-compare.mjs && node /tmp/defer-compare.mjs`
 *
 * @module
 */
import process from "node:process";
import * as cases from "../_cases.ts";

const rounds = Number(process.argv[2] ?? 15);
let sink = 0;

// Times `batch` calls of `fn`, in nanoseconds per call.
async function time(
  fn: () => number | Promise<number>,
  batch: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < batch; i++) sink += await fn();
  return (performance.now() - start) * 1e6 / batch;
}

// A sync Deferred case needs no await per call; awaiting it would add a
// microtask hop the Deferred does not make.
function timeSync(fn: () => number, batch: number): number {
  const start = performance.now();
  for (let i = 0; i < batch; i++) sink += fn();
  return (performance.now() - start) * 1e6 / batch;
}

const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

interface Row {
  name: string;
  promise: number;
  deferred: number;
}

async function pair(
  name: string,
  promise: () => Promise<number>,
  deferred: () => number,
  batch: number,
): Promise<Row> {
  const p: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < rounds + 2; i++) {
    const tp = await time(promise, batch);
    const td = timeSync(deferred, batch);
    if (i >= 2) { // 2 warm-up rounds
      p.push(tp);
      d.push(td);
    }
  }
  return { name, promise: median(p), deferred: median(d) };
}

const rows = [
  await pair(
    "create, 10 callbacks x => x + 1, fire",
    cases.promiseTen,
    cases.deferredTen,
    20_000,
  ),
  await pair("100,000-deep nesting", cases.promiseNest, cases.deferredNest, 1),
  await pair("gather 100,000", cases.promiseAll, cases.gatherDeferreds, 1),
];

const runtime = (globalThis as { Deno?: { version: { deno: string } } }).Deno
  ? `Deno ${
    (globalThis as unknown as { Deno: { version: { deno: string } } })
      .Deno.version.deno
  }`
  : process.versions["bun"]
  ? `Bun ${process.versions["bun"]}`
  : `Node ${process.versions.node}`;
const fmt = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e3).toFixed(2)} µs`;

console.log(`\n${runtime}, median of ${rounds} rounds\n`);
console.log("| case | Promise | Deferred | Deferred speed vs Promise |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.promise)} | ${fmt(r.deferred)} | ${
      (r.promise / r.deferred).toFixed(2)
    }× |`,
  );
}
const bytes = {
  deferred: cases.bytesPerPending("deferred"),
  promise: cases.bytesPerPending("promise"),
  resolvable: cases.bytesPerPending("promise+resolve"),
};
console.log(
  `| heap bytes per pending item with one callback | ${
    bytes.promise.toFixed(0)
  } (${bytes.resolvable.toFixed(0)} with its resolve function) | ${
    bytes.deferred.toFixed(0)
  } | ${(bytes.promise / bytes.deferred).toFixed(2)}× smaller |`,
);
if (Number.isNaN(sink)) console.log(sink);
