/**
 * Benchmarks of the reactor's timed calls against the runtime's own
 * timers, and of Clock at growing sizes.
 *
 * Run: `npx deno bench -A packages/reactor/bench/`
 *
 * @module
 */
import { Reactor } from "../mod.ts";
import { Clock } from "../task.ts";

const N = 100_000;
const reactor = new Reactor();

function settle(count: number): [() => void, Promise<void>] {
  let left = count;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return [() => {
    if (--left === 0) resolve();
  }, done];
}

Deno.bench({
  name: "setTimeout: schedule and run 100k",
  group: "schedule and run 100k",
  baseline: true,
  async fn() {
    const [tick, done] = settle(N);
    for (let i = 0; i < N; i++) setTimeout(tick, 0);
    await done;
  },
});

Deno.bench({
  name: "reactor.callLater: schedule and run 100k",
  group: "schedule and run 100k",
  async fn() {
    const [tick, done] = settle(N);
    for (let i = 0; i < N; i++) reactor.callLater(0, tick);
    await done;
  },
});

Deno.bench({
  name: "setTimeout: schedule 100k, clear half, run the rest",
  group: "schedule 100k and cancel half",
  baseline: true,
  async fn() {
    const [tick, done] = settle(N / 2);
    const ids = new Array<ReturnType<typeof setTimeout>>(N);
    for (let i = 0; i < N; i++) ids[i] = setTimeout(tick, 0);
    for (let i = 0; i < N; i += 2) clearTimeout(ids[i]);
    await done;
  },
});

Deno.bench({
  name: "reactor.callLater: schedule 100k, cancel half, run the rest",
  group: "schedule 100k and cancel half",
  async fn() {
    const [tick, done] = settle(N / 2);
    const calls = new Array(N);
    for (let i = 0; i < N; i++) calls[i] = reactor.callLater(0, tick);
    for (let i = 0; i < N; i += 2) calls[i].cancel();
    await done;
  },
});

for (const n of [10_000, 100_000, 1_000_000]) {
  Deno.bench({
    name: `Clock: ${n} calls, random delays, advanced through`,
    group: "Clock",
    baseline: n === 10_000,
    ...(n === 1_000_000 ? { n: 5, warmup: 1 } : {}),
    fn() {
      const clock = new Clock();
      let ran = 0;
      const f = (): void => {
        ran++;
      };
      for (let i = 0; i < n; i++) clock.callLater(Math.random() * 100, f);
      for (let t = 0; t < 100; t++) clock.advance(1);
      if (ran !== n) throw new Error(`ran ${ran} of ${n}`);
    },
  });
}
