/**
 * What carrying async context through Deferred callback chains would cost,
 * measured interleaved in one run: case (1) of the defer benchmarks
 * (create a Deferred, add 10 callbacks, fire it), 100,000 times, inside an
 * `AsyncLocalStorage` context, in three forms:
 *
 * - off: the plain chain, as it runs by default (`setCallbackContext` off
 *   replaces nothing, so this is the chain as it was before);
 * - added: `setCallbackContext(true)`, each callback run in the context it
 *   was added in, as `.then` does (one capture per callback);
 * - created: what Twisted's #9807 proposes, each callback run in the
 *   context the Deferred was created in (one capture per Deferred; made
 *   here by hand, since Twixt does not offer it).
 *
 * `npx deno run -A packages/defer/bench/compare/context.ts [runs]`
 * `npx bun packages/defer/bench/compare/context.ts [runs]`
 * `npx esbuild packages/defer/bench/compare/context.ts --bundle --platform=node --format=esm --conditions=bun --outfile=/tmp/context.mjs && node /tmp/context.mjs`
 *
 * @module
 */
import process from "node:process";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  captureContext,
  type ContextSnapshot,
  Deferred,
  setCallbackContext,
} from "../../mod.ts";

const runs = Number(process.argv[2] ?? 15);
const N = 100_000;
const als = new AsyncLocalStorage<number>();
const inc = (x: number): number => x + 1;
const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const runtime = (globalThis as { Deno?: unknown }).Deno
  ? "Deno"
  : process.versions["bun"]
  ? "Bun"
  : "Node";

function ten(): number {
  const d = new Deferred<number>();
  for (let i = 0; i < 10; i++) d.addCallback(inc);
  d.callback(0);
  return d.result as number;
}

function tenCreated(): number {
  const d = new Deferred<number>();
  const snapshot = captureContext() as ContextSnapshot;
  const bound = (x: number): number => snapshot.run(inc, x);
  for (let i = 0; i < 10; i++) d.addCallback(bound);
  d.callback(0);
  return d.result as number;
}

function loop(fn: () => number): void {
  let sum = 0;
  for (let i = 0; i < N; i++) sum += fn();
  if (sum !== 10 * N) throw new Error("Wrong result");
}

const forms: [string, () => void][] = [
  ["off", () => als.run(1, () => loop(ten))],
  ["added", () => {
    setCallbackContext(true);
    try {
      als.run(1, () => loop(ten));
    } finally {
      setCallbackContext(false);
    }
  }],
  ["created", () => als.run(1, () => loop(tenCreated))],
];

const times = new Map<string, number[]>(forms.map(([name]) => [name, []]));
for (let i = 0; i < runs + 2; i++) {
  for (const [name, fn] of forms) {
    const start = performance.now();
    fn();
    if (i >= 2) times.get(name)!.push(performance.now() - start); // warm-up
  }
}
const off = median(times.get("off")!);
console.log(
  `${runtime}, medians of ${runs} interleaved runs, ${N} chains of 10 callbacks`,
);
for (const [name] of forms) {
  const t = median(times.get(name)!);
  console.log(
    `${name}: ${(t * 1000 / N).toFixed(2)} µs per chain, ${
      (t / off).toFixed(2)
    }x off`,
  );
}
