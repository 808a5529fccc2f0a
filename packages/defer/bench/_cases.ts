/**
 * The cases the Deferred benchmarks compare, each with its native Promise
 * counterpart, shared by `deferred_bench.ts` (Deno.bench) and
 * `compare/deferred.ts` (a plain script for Deno, Bun and Node). No
 * runtime-specific API here.
 *
 * @module
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import process from "node:process";
import { Deferred, gatherResults } from "../mod.ts";

const inc = (x: number): number => x + 1;

/** Creates a Deferred, adds 10 callbacks `x => x + 1`, fires it. */
export function deferredTen(): number {
  const d = new Deferred<number>();
  for (let i = 0; i < 10; i++) d.addCallback(inc);
  d.callback(0);
  return d.result as number;
}

/** Creates a pending Promise, chains 10 `.then(x => x + 1)`, resolves it, awaits the last. */
export async function promiseTen(): Promise<number> {
  let resolve!: (v: number) => void;
  let p = new Promise<number>((r) => (resolve = r));
  for (let i = 0; i < 10; i++) p = p.then(inc);
  resolve(0);
  return await p;
}

/** Depth of the nesting cases. */
export const DEPTH = 100_000;

/**
 * `DEPTH` Deferreds, each one's callback returning the next; fired
 * outermost first, so each waits on the next until the last fires.
 */
export function deferredNest(n: number = DEPTH): number {
  const ds: Deferred<number>[] = [];
  for (let i = 0; i < n; i++) ds.push(new Deferred<number>());
  for (let i = 0; i < n - 1; i++) {
    const next = ds[i + 1]!;
    ds[i]!.addCallback(() => next);
  }
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  return ds[0]!.result as number;
}

/** `DEPTH` pending Promises, each resolved with the next; the last resolved with a value. */
export async function promiseNest(n: number = DEPTH): Promise<number> {
  const ps: Promise<number>[] = [];
  const resolves: ((v: number | Promise<number>) => void)[] = [];
  for (let i = 0; i < n; i++) {
    ps.push(new Promise<number>((r) => resolves.push(r)));
  }
  for (let i = 0; i < n - 1; i++) resolves[i]!(ps[i + 1]!);
  resolves[n - 1]!(n - 1);
  return await ps[0]!;
}

/** Size of the gathering cases. */
export const WIDTH = 100_000;

/** `gatherResults` over `WIDTH` pending Deferreds, then all fired. */
export function gatherDeferreds(n: number = WIDTH): number {
  const ds: Deferred<number>[] = [];
  for (let i = 0; i < n; i++) ds.push(new Deferred<number>());
  const all = gatherResults(ds);
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  return (all.result as number[]).length;
}

/** `Promise.all` over `WIDTH` pending Promises, then all resolved and awaited. */
export async function promiseAll(n: number = WIDTH): Promise<number> {
  const ps: Promise<number>[] = [];
  const resolves: ((v: number) => void)[] = [];
  for (let i = 0; i < n; i++) {
    ps.push(new Promise<number>((r) => resolves.push(r)));
  }
  const all = Promise.all(ps);
  for (let i = 0; i < n; i++) resolves[i]!(i);
  return (await all).length;
}

/** Forces a full collection: Bun.gc, or V8's gc exposed through node:vm. */
export function forceGc(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/** How the memory cases hold what they allocate. */
export type Pending = "deferred" | "promise" | "promise+resolve";

const noop = (x: unknown): unknown => x;

/**
 * Heap bytes per pending item, from the heap in use after a collection
 * before and after allocating `n` of them (kept alive): a Deferred with
 * one callback; a pending Promise with one `.then` (kept, it holds the
 * reaction and the derived Promise); the same with its resolve function
 * kept too, which is what it takes to settle it later (a Deferred is its
 * own handle).
 */
export function bytesPerPending(kind: Pending, n = 100_000): number {
  const keep: unknown[] = new Array(n);
  forceGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    if (kind === "deferred") {
      keep[i] = new Deferred().addCallback(noop);
    } else if (kind === "promise") {
      // The pending Promise holds its reaction and the derived Promise.
      const p = new Promise(noop);
      p.then(noop);
      keep[i] = p;
    } else {
      let resolve: unknown;
      new Promise((r) => (resolve = r)).then(noop);
      // resolve holds the Promise, which holds the rest.
      keep[i] = [resolve, null];
    }
  }
  forceGc();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== n) throw new Error("Kept the wrong number");
  // The pair array of "promise+resolve" is the test's, not the Promise's.
  const pair = kind === "promise+resolve" ? pairArrayBytes(n) : 0;
  return (after - before) / n - pair;
}

function pairArrayBytes(n: number): number {
  const keep: unknown[] = new Array(n);
  forceGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) keep[i] = [null, null];
  forceGc();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== n) throw new Error("Kept the wrong number");
  return (after - before) / n;
}
