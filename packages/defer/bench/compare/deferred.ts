/**
 * Deferred against native Promises, as a plain script for Deno, Bun and
 * Node (the npm build; see `../run.ts`, which runs all three). Each case of
 * `../_cases.ts` is written twice doing the same work with the same number
 * of `await`s; the file there says exactly what each side does.
 *
 * How it measures: first every case runs on both sides for
 * {@linkcode WARMUP} rounds, so that by the time anything is timed the
 * whole program has run every path (the call sites inside the Deferred are
 * polymorphic, as in an application that uses it for many things). Then
 * `rounds` rounds, each timing every case on both sides, the two sides in
 * alternating order, so that both see the same machine load. Reported:
 * the median time per item (chain, unit of the mixed workload, nesting,
 * list) of each side, and the Deferred's throughput relative to the
 * Promise's (above 1 is faster).
 *
 * `deno run -A packages/defer/bench/compare/deferred.ts [rounds] [--json] [--deep]`
 * `bun packages/defer/bench/compare/deferred.ts [rounds] [--json] [--deep]`
 * `--deep` adds 1,000,000-deep nesting (a few rounds; it takes seconds).
 *
 * @module
 */
import process from "node:process";
import * as os from "node:os";
import * as cases from "../_cases.ts";

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const json = args.includes("--json");
const deep = args.includes("--deep");
/** Rounds of every case before anything is timed. */
const WARMUP = 3;

interface Case {
  key: string;
  name: string;
  /** Items (chains, units, ...) per call. */
  per: number;
  /** Calls per timing. */
  reps: number;
  promise: () => Promise<void>;
  deferred: () => Promise<void>;
  /** Only measured with --deep. */
  deep?: boolean;
}

const CASES: Case[] = [
  {
    key: "mixed",
    name: `mixed workload, per unit of ${cases.REQUESTS} requests`,
    per: 1,
    reps: 1000,
    promise: cases.mixedPromise,
    deferred: cases.mixedDeferred,
  },
  {
    key: "mixedChains",
    name: "the same, with the coroutines written as chains",
    per: 1,
    reps: 1000,
    promise: () => cases.mixedPromise(false),
    deferred: () => cases.mixedDeferred(false),
  },
  {
    key: "ten",
    name: "create, 10 callbacks, fire (isolated loop), per chain",
    per: cases.BATCH,
    reps: 200,
    promise: cases.promiseTenBatch,
    deferred: cases.deferredTenBatch,
  },
  {
    key: "array",
    name:
      "reference: the same 10 callbacks called from an array (Deferred column), per chain",
    per: cases.BATCH,
    reps: 200,
    promise: cases.promiseTenBatch,
    deferred: cases.arrayTenBatch,
  },
  {
    key: "tenAwait",
    name: "the same, each chain awaited, per chain",
    per: cases.BATCH,
    reps: 100,
    promise: cases.promiseTenAwaited,
    deferred: cases.deferredTenAwaited,
  },
  {
    key: "fail",
    name: "a callback throws, an errback recovers, per chain",
    per: cases.BATCH,
    reps: 20,
    promise: cases.promiseFailBatch,
    deferred: cases.deferredFailBatch,
  },
  {
    key: "nest",
    name: "100,000-deep nesting",
    per: 1,
    reps: 1,
    promise: () => cases.promiseNest(100_000),
    deferred: () => cases.deferredNest(100_000),
  },
  {
    key: "nest1m",
    name: "1,000,000-deep nesting",
    per: 1,
    reps: 1,
    promise: () => cases.promiseNest(1_000_000),
    deferred: () => cases.deferredNest(1_000_000),
    deep: true,
  },
  {
    key: "gather",
    name: "gatherResults / Promise.all over 100,000",
    per: 1,
    reps: 1,
    promise: () => cases.promiseGather(100_000),
    deferred: () => cases.deferredGather(100_000),
  },
];

// Nanoseconds per item of `reps` calls of `fn`.
async function time(
  fn: () => Promise<void>,
  reps: number,
  per: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  return (performance.now() - start) * 1e6 / (reps * per);
}

const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const active = CASES.filter((c) => deep || !c.deep);
const samples = new Map(
  active.map((c) => [c.key, { p: [] as number[], d: [] as number[] }]),
);
const loadBefore = os.loadavg()[0]!;
for (let round = 0; round < WARMUP + rounds; round++) {
  for (const c of active) {
    // The deep case is slow: time it on a few rounds only.
    if (c.deep && round >= WARMUP && round - WARMUP >= 3) continue;
    if (c.deep && round < WARMUP - 1) continue;
    let tp: number;
    let td: number;
    if (round % 2 === 0) {
      tp = await time(c.promise, c.reps, c.per);
      td = await time(c.deferred, c.reps, c.per);
    } else {
      td = await time(c.deferred, c.reps, c.per);
      tp = await time(c.promise, c.reps, c.per);
    }
    if (round >= WARMUP) {
      samples.get(c.key)!.p.push(tp);
      samples.get(c.key)!.d.push(td);
    }
  }
}
const loadAfter = os.loadavg()[0]!;

const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
const runtime = deno
  ? `Deno ${deno.version.deno}`
  : process.versions["bun"]
  ? `Bun ${process.versions["bun"]}`
  : `Node ${process.versions.node}`;

/** One line of the result. */
export interface Row {
  key: string;
  name: string;
  /** Median ns per item. */
  promise: number;
  deferred: number;
  /** Promise time over Deferred time: the Deferred's relative throughput. */
  ratio: number;
  rounds: number;
}

const rows: Row[] = active.map((c) => {
  const s = samples.get(c.key)!;
  const promise = median(s.p);
  const deferred = median(s.d);
  return {
    key: c.key,
    name: c.name,
    promise,
    deferred,
    ratio: promise / deferred,
    rounds: s.p.length,
  };
});
const bytes = {
  deferred: cases.bytesPerPending("deferred"),
  promise: cases.bytesPerPending("promise"),
  resolvable: cases.bytesPerPending("promise+resolve"),
};

/** What `--json` prints, on one line. */
export interface Result {
  runtime: string;
  rounds: number;
  /** One-minute load average before and after. */
  load: [number, number];
  rows: Row[];
  /** Heap bytes per pending item (see `bytesPerPending`). */
  bytes: { deferred: number; promise: number; resolvable: number };
}

if (json) {
  const result: Result = {
    runtime,
    rounds,
    load: [loadBefore, loadAfter],
    rows,
    bytes,
  };
  console.log(JSON.stringify(result));
} else {
  const fmt = (ns: number): string =>
    ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e3).toFixed(2)} µs`;
  console.log(
    `\n${runtime}, medians of ${rounds} interleaved rounds after ${WARMUP} warm-up rounds of every case; load ${
      loadBefore.toFixed(1)
    } → ${loadAfter.toFixed(1)}\n`,
  );
  console.log("| case | Promise | Deferred | Deferred throughput vs Promise |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.promise)} | ${fmt(r.deferred)} | ${
        r.ratio.toFixed(2)
      }× |`,
    );
  }
  console.log(
    `| heap bytes per pending item with one callback | ${
      bytes.promise.toFixed(0)
    } (${bytes.resolvable.toFixed(0)} with its resolve function) | ${
      bytes.deferred.toFixed(0)
    } | ${(bytes.promise / bytes.deferred).toFixed(2)}× smaller |`,
  );
}
if (Number.isNaN(cases.sink.value)) console.log(cases.sink.value);
