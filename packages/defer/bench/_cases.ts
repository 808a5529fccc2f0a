/**
 * The cases the Deferred benchmarks compare, each written twice, once with
 * Deferreds and once with native Promises, doing the same work: the same
 * callback functions in the same order, the same values, the same number
 * of `await`s. Shared by `deferred_bench.ts` (Deno.bench) and
 * `compare/deferred.ts` (the interleaved comparison on Deno, Bun and Node).
 * No runtime-specific API here.
 *
 * The library is imported by its package name, so that Node runs the npm
 * build (`node` export of packages/defer/package.json) while Deno and Bun
 * run the TypeScript source.
 *
 * What each case does, on each side:
 *
 * - **ten** (the isolated loop): create a pending Deferred / a pending
 *   Promise with its resolve function, add the same 10 callbacks
 *   (`addCallback(f)` / `.then(f)`: nine `x => x + 1`, then one that adds
 *   the result to a sink), fire it (`callback(0)` / `resolve(0)`). No
 *   `await` per chain on either side: each batch of {@linkcode BATCH}
 *   chains ends with one `await` of the last chain on both sides, which
 *   for the Promise side is when every chain of the batch has run
 *   (microtasks run in order).
 * - **ten, awaited**: the same, with one `await` of every chain's end on
 *   both sides (`await d` / `await p`).
 * - **array** (the floor, no Deferred or Promise): the same 10 functions
 *   called from an array, batched as **ten**.
 * - **fail**: a chain whose first callback throws a fresh `Error`, then an
 *   errback that checks the class and recovers (`addErrback` with
 *   `f.trap(C)` / `.catch` with `instanceof C`), then the sink callback;
 *   batched as **ten**.
 * - **nest**: `n` pending Deferreds, each one's callback returning the next
 *   (fired outermost first, so each waits on the next) / `n` pending
 *   Promises, each resolved with the next; one `await` of the outermost.
 * - **gather**: `gatherResults` / `Promise.all` over `n` pending items,
 *   then each fired in order; one `await` of the list.
 * - **mixed** (the headline): see {@linkcode mixedDeferred}; also with
 *   its coroutines written as plain chains.
 *
 * @module
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import process from "node:process";
import {
  Deferred,
  DeferredList,
  type Failure,
  gatherResults,
  inlineCallbacks,
  succeed,
} from "@twixt/defer";

/** Where every case leaves its results, so that none is optimised away. */
export const sink = { value: 0 };

const inc = (x: number): number => x + 1;
const record = (x: number): number => {
  sink.value += x;
  return x;
};

/** Chains per `await` in the batched cases. */
export const BATCH = 100;

/** One isolated chain: create, 10 callbacks, fire. */
export function deferredTen(): Deferred<number> {
  const d = new Deferred<number>();
  d.addCallback(inc).addCallback(inc).addCallback(inc).addCallback(inc)
    .addCallback(inc).addCallback(inc).addCallback(inc).addCallback(inc)
    .addCallback(inc).addCallback(record);
  d.callback(0);
  return d;
}

/** One isolated chain: pending Promise, 10 `.then`s, resolve. */
export function promiseTen(): Promise<number> {
  let resolve!: (v: number) => void;
  const p = new Promise<number>((r) => (resolve = r));
  const end = p.then(inc).then(inc).then(inc).then(inc).then(inc).then(inc)
    .then(inc).then(inc).then(inc).then(record);
  resolve(0);
  return end;
}

/** {@linkcode BATCH} chains, one `await` (of the last). */
export async function deferredTenBatch(): Promise<void> {
  let last!: Deferred<number>;
  for (let i = 0; i < BATCH; i++) last = deferredTen();
  await last;
}

/** {@linkcode BATCH} chains, one `await` (of the last). */
export async function promiseTenBatch(): Promise<void> {
  let last!: Promise<number>;
  for (let i = 0; i < BATCH; i++) last = promiseTen();
  await last;
}

const TEN = [inc, inc, inc, inc, inc, inc, inc, inc, inc, record];

/**
 * The floor: the same 10 callbacks called from an array, {@linkcode BATCH}
 * times, and one `await` (no Deferred, no Promise).
 */
export async function arrayTenBatch(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    let x = 0;
    for (let j = 0; j < TEN.length; j++) x = TEN[j]!(x);
  }
  await null;
}

/** {@linkcode BATCH} chains, each awaited. */
export async function deferredTenAwaited(): Promise<void> {
  for (let i = 0; i < BATCH; i++) sink.value += await deferredTen();
}

/** {@linkcode BATCH} chains, each awaited. */
export async function promiseTenAwaited(): Promise<void> {
  for (let i = 0; i < BATCH; i++) sink.value += await promiseTen();
}

class Refused extends Error {}
const refuse = (x: number): number => {
  throw new Refused(`Refused ${x}`);
};

/**
 * {@linkcode BATCH} failing chains: a callback that throws a fresh error,
 * an errback that checks its class and recovers, a callback; one `await`.
 */
export async function deferredFailBatch(): Promise<void> {
  let d!: Deferred<number>;
  for (let i = 0; i < BATCH; i++) {
    d = new Deferred<number>();
    d.addCallback(refuse).addErrback((f: Failure) => {
      f.trap(Refused);
      return 1;
    }).addCallback(record);
    d.callback(i);
  }
  await d;
}

/** {@linkcode BATCH} failing chains, as {@linkcode deferredFailBatch}. */
export async function promiseFailBatch(): Promise<void> {
  let p!: Promise<number>;
  for (let i = 0; i < BATCH; i++) {
    let resolve!: (v: number) => void;
    p = new Promise<number>((r) => (resolve = r)).then(refuse).catch(
      (e: unknown) => {
        if (!(e instanceof Refused)) throw e;
        return 1;
      },
    ).then(record);
    resolve(i);
  }
  await p;
}

/**
 * `n` Deferreds, each one's callback returning the next; fired outermost
 * first, so each waits on the next until the last fires.
 */
export async function deferredNest(n: number): Promise<void> {
  const ds: Deferred<number>[] = [];
  for (let i = 0; i < n; i++) ds.push(new Deferred<number>());
  for (let i = 0; i < n - 1; i++) {
    const next = ds[i + 1]!;
    ds[i]!.addCallback(() => next);
  }
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  sink.value += await ds[0]!;
}

/** `n` pending Promises, each resolved with the next; the last with a value. */
export async function promiseNest(n: number): Promise<void> {
  const ps: Promise<number>[] = [];
  const resolves: ((v: number | Promise<number>) => void)[] = [];
  for (let i = 0; i < n; i++) {
    ps.push(new Promise<number>((r) => resolves.push(r)));
  }
  for (let i = 0; i < n - 1; i++) resolves[i]!(ps[i + 1]!);
  resolves[n - 1]!(n - 1);
  sink.value += await ps[0]!;
}

/** `gatherResults` over `n` pending Deferreds, then all fired. */
export async function deferredGather(n: number): Promise<void> {
  const ds: Deferred<number>[] = [];
  for (let i = 0; i < n; i++) ds.push(new Deferred<number>());
  const all = gatherResults(ds);
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  sink.value += (await all).length;
}

/** `Promise.all` over `n` pending Promises, then all resolved. */
export async function promiseGather(n: number): Promise<void> {
  const ps: Promise<number>[] = [];
  const resolves: ((v: number) => void)[] = [];
  for (let i = 0; i < n; i++) {
    ps.push(new Promise<number>((r) => resolves.push(r)));
  }
  const all = Promise.all(ps);
  for (let i = 0; i < n; i++) resolves[i]!(i);
  sink.value += (await all).length;
}

// ---------------------------------------------------------------------------
// The mixed workload.

/** Requests per unit of the mixed workload. */
export const REQUESTS = 16;

// The callbacks both sides share: plain functions taking extra arguments
// (`addCallback(scale, 3)` on one side, `.then((x) => scale(x, 3))` on the
// other: a closure per chain on both), and methods bound once per session.
const scale = (x: number, by: number): number => x * by;
const shift = (x: number, plus: number, minus: number): number =>
  x + plus - minus;
const sum = (xs: number[]): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
};

const same = <T>(x: T): T => x;

class BadValue extends RangeError {}

/** Per-unit state, whose methods are bound once and passed as callbacks. */
class Session {
  seen = 0;
  total = 0;
  readonly onValue: (x: number) => number;
  readonly onDone: (x: number) => number;
  readonly unit: number;
  constructor(unit: number) {
    this.unit = unit;
    this.onValue = this.#value.bind(this);
    this.onDone = this.#done.bind(this);
  }
  #value(x: number): number {
    this.seen++;
    return x + 1;
  }
  #done(x: number): number {
    this.total += x;
    return x;
  }
  check(x: number, i: number): number {
    // One request in 64 fails: one in every fourth unit (a fresh error,
    // with its stack, on both sides).
    if (i === 5 && (this.unit & 3) === 0) throw new BadValue(`Bad value ${x}`);
    return x;
  }
}

let dUnits = 0;
let pUnits = 0;

// Deferred side ---------------------------------------------------------

function dRequest(
  i: number,
  session: Session,
  source: Deferred<number>,
  coroutines: boolean,
): Deferred<number> {
  const offset = i & 7;
  switch (i & 3) {
    case 0:
      // Closure, bound method, extra arguments, a callback returning a
      // fired Deferred (which the chain takes at once).
      return source
        .addCallback((x) => x + offset)
        .addCallback(session.onValue)
        .addCallback(scale, 3)
        .addCallback(shift, 2, 1)
        .addCallback((x) => succeed(x * 2))
        .addCallback(inc);
    case 1:
      // A check that may fail, recovered by an errback.
      return source
        .addCallback((x) => session.check(x, i))
        .addCallback(session.onValue)
        .addErrback((f: Failure) => {
          f.trap(BadValue);
          return -1;
        })
        .addCallback(scale, 2)
        .addBoth(same);
    case 2:
      // A coroutine waiting on the source and on a second step, or the
      // same steps as a chain.
      if (coroutines) return dCoroutine(source, session, offset);
      return source
        .addCallback((x) => succeed(x + offset))
        .addCallback(session.onValue);
    default:
      // Callback and errback at one level, with arguments for each.
      return source
        .addCallbacks(shift, (_f: Failure) => 0, { callbackArgs: [offset, 1] })
        .addCallback(session.onValue)
        .addCallback((x) => (x > 1000 ? x : x + offset))
        .addCallback(inc);
  }
}

const dCoroutine = inlineCallbacks(
  function* (source: Deferred<number>, session: Session, offset: number) {
    const x: number = yield source;
    const y: number = yield succeed(x + offset);
    return session.onValue(y);
  },
);

/**
 * One unit of the mixed workload, with Deferreds: {@linkcode REQUESTS}
 * pending sources (the I/O), a chain on each in four shapes by `i % 4`
 * (closures, bound methods, functions with extra arguments, a callback
 * returning a fired Deferred, a check recovered by an errback, failing
 * for one request in 64,
 * `addBoth`, `addCallbacks` with `callbackArgs`, an `inlineCallbacks`
 * coroutine), half gathered with `gatherResults` and half with
 * `DeferredList`, both joined by a third `gatherResults`; then the sources
 * fire in order, and the unit's end is awaited once. With `coroutines`
 * false, the coroutine's steps are a plain chain instead.
 */
export async function mixedDeferred(coroutines = true): Promise<void> {
  const session = new Session(dUnits++);
  const sources: Deferred<number>[] = [];
  const chains: Deferred<number>[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const source = new Deferred<number>();
    sources.push(source);
    chains.push(dRequest(i, session, source, coroutines));
  }
  const half = REQUESTS / 2;
  const gathered = gatherResults(chains.slice(0, half)).addCallback(sum);
  const listed = DeferredList(chains.slice(half)).addCallback((rs) => {
    let s = 0;
    for (const [ok, r] of rs) if (ok) s += r as number;
    return s;
  });
  const end = gatherResults([gathered, listed])
    .addCallback(sum)
    .addCallback(session.onDone);
  for (let i = 0; i < REQUESTS; i++) sources[i]!.callback(i);
  sink.value += await end;
}

// Promise side ----------------------------------------------------------

function pRequest(
  i: number,
  session: Session,
  source: Promise<number>,
  coroutines: boolean,
): Promise<number> {
  const offset = i & 7;
  switch (i & 3) {
    case 0:
      return source
        .then((x) => x + offset)
        .then(session.onValue)
        .then((x) => scale(x, 3))
        .then((x) => shift(x, 2, 1))
        .then((x) => Promise.resolve(x * 2))
        .then(inc);
    case 1:
      return source
        .then((x) => session.check(x, i))
        .then(session.onValue)
        .catch((e: unknown) => {
          if (!(e instanceof BadValue)) throw e;
          return -1;
        })
        .then((x) => scale(x, 2))
        .then(same, same);
    case 2:
      if (coroutines) return pCoroutine(source, session, offset);
      return source
        .then((x) => Promise.resolve(x + offset))
        .then(session.onValue);
    default:
      return source
        .then((x) => shift(x, offset, 1), (_e: unknown) => 0)
        .then(session.onValue)
        .then((x) => (x > 1000 ? x : x + offset))
        .then(inc);
  }
}

async function pCoroutine(
  source: Promise<number>,
  session: Session,
  offset: number,
): Promise<number> {
  const x = await source;
  const y = await Promise.resolve(x + offset);
  return session.onValue(y);
}

/**
 * One unit of the mixed workload, with Promises: the same as
 * {@linkcode mixedDeferred}, written as Promise code does it
 * (`.then`, `.catch`, `.then(f, f)` for `addBoth(f)`, `.then(f, g)`
 * for `addCallbacks`, a resolved Promise where the Deferred side returns a
 * fired Deferred, an `async` function for the coroutine, `Promise.all`
 * and `Promise.allSettled`).
 */
export async function mixedPromise(coroutines = true): Promise<void> {
  const session = new Session(pUnits++);
  const resolves: ((v: number) => void)[] = [];
  const chains: Promise<number>[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const source = new Promise<number>((r) => resolves.push(r));
    chains.push(pRequest(i, session, source, coroutines));
  }
  const half = REQUESTS / 2;
  const gathered = Promise.all(chains.slice(0, half)).then(sum);
  const listed = Promise.allSettled(chains.slice(half)).then((rs) => {
    let s = 0;
    for (const r of rs) if (r.status === "fulfilled") s += r.value;
    return s;
  });
  const end = Promise.all([gathered, listed])
    .then(sum)
    .then(session.onDone);
  for (let i = 0; i < REQUESTS; i++) resolves[i]!(i);
  sink.value += await end;
}

// ---------------------------------------------------------------------------
// Memory.

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
