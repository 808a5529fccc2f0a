/**
 * The workloads of the timed-call benchmarks, shared by `time_bench.ts`
 * (`deno bench`) and `compare/time.ts` (interleaved runs on any runtime).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Reactor } from "../mod.ts";
import { Clock } from "../task.ts";

/** Calls per run of the reactor and setTimeout workloads. */
export const N = 100_000;

const reactor = new Reactor();

// A function to call `count` times, and a promise of the last call.
function countdown(count: number): [() => void, Promise<void>] {
  let left = count;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return [() => {
    if (--left === 0) resolve();
  }, done];
}

/** Schedules N calls with setTimeout(fn, 0) and waits for all of them. */
export async function rawScheduleAndRun(): Promise<void> {
  const [tick, done] = countdown(N);
  for (let i = 0; i < N; i++) setTimeout(tick, 0);
  await done;
}

/** Schedules N calls with reactor.callLater(0, fn) and waits for all. */
export async function reactorScheduleAndRun(): Promise<void> {
  const [tick, done] = countdown(N);
  for (let i = 0; i < N; i++) reactor.callLater(0, tick);
  await done;
}

// An AsyncLocalStorage in use, as in a server that keeps a request id in
// one: every call must see the id of the context it was scheduled in.
const als = new AsyncLocalStorage<number>();

// As countdown, but each call checks it runs in the context of its id.
function checkedCountdown(count: number): [() => void, Promise<void>] {
  const [tick, done] = countdown(count);
  return [() => {
    if (als.getStore() === undefined) throw new Error("Context lost");
    tick();
  }, done];
}

/**
 * Schedules N setTimeout(fn, 0) calls, each from one of 100 contexts of an
 * AsyncLocalStorage, and waits for all of them.
 */
export async function rawScheduleAndRunInContext(): Promise<void> {
  const [tick, done] = checkedCountdown(N);
  for (let c = 0; c < 100; c++) {
    als.run(c, () => {
      for (let i = 0; i < N / 100; i++) setTimeout(tick, 0);
    });
  }
  await done;
}

/** As rawScheduleAndRunInContext, with reactor.callLater(0, fn). */
export async function reactorScheduleAndRunInContext(): Promise<void> {
  const [tick, done] = checkedCountdown(N);
  for (let c = 0; c < 100; c++) {
    als.run(c, () => {
      for (let i = 0; i < N / 100; i++) reactor.callLater(0, tick);
    });
  }
  await done;
}

/** Schedules N setTimeout calls, clears every other one, runs the rest. */
export async function rawScheduleAndCancelHalf(): Promise<void> {
  const [tick, done] = countdown(N / 2);
  const ids = new Array<ReturnType<typeof setTimeout>>(N);
  for (let i = 0; i < N; i++) ids[i] = setTimeout(tick, 0);
  for (let i = 0; i < N; i += 2) clearTimeout(ids[i]);
  await done;
}

/** Schedules N reactor calls, cancels every other one, runs the rest. */
export async function reactorScheduleAndCancelHalf(): Promise<void> {
  const [tick, done] = countdown(N / 2);
  const calls = new Array<ReturnType<Reactor["callLater"]>>(N);
  for (let i = 0; i < N; i++) calls[i] = reactor.callLater(0, tick);
  for (let i = 0; i < N; i += 2) calls[i]!.cancel();
  await done;
}

/**
 * Schedules `n` calls on a Clock with random delays up to 100 s, then
 * advances through them a second at a time.
 */
export function clockRandom(n: number): void {
  const clock = new Clock();
  let ran = 0;
  const f = (): void => {
    ran++;
  };
  for (let i = 0; i < n; i++) clock.callLater(Math.random() * 100, f);
  for (let t = 0; t < 100; t++) clock.advance(1);
  if (ran !== n) throw new Error(`Clock ran ${ran} of ${n} calls`);
}
