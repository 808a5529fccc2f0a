/**
 * Echo throughput, Twixt against raw `node:net`, measured interleaved (raw,
 * Twixt, raw, Twixt, ...) so that both see the same machine load: 8 MB
 * echoed per run, over 127.0.0.1. Prints the median and best time of each
 * and Twixt's throughput as a fraction of raw. Runs on Deno and Bun:
 *
 * `npx deno run -A packages/reactor/bench/compare/tcp_echo.ts [runs]`
 * `npx bun packages/reactor/bench/compare/tcp_echo.ts [runs]`
 *
 * @module
 */
import process from "node:process";
import { rawEcho, TOTAL, twixtEcho } from "../_tcp_echo.ts";

const runs = Number(process.argv[2] ?? 40);
const times = { raw: [] as number[], twixt: [] as number[] };
for (let i = 0; i < runs + 5; i++) {
  for (const [name, fn] of [["raw", rawEcho], ["twixt", twixtEcho]] as const) {
    const start = performance.now();
    await fn();
    if (i >= 5) times[name].push(performance.now() - start); // 5 warm-up rounds
  }
}
const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const mbps = (ms: number): string => (TOTAL / 1048576 / (ms / 1000)).toFixed(0);
const runtime = (globalThis as { Deno?: unknown }).Deno
  ? "Deno"
  : process.versions["bun"]
  ? "Bun"
  : "Node";
console.log(`${runtime}, ${runs} interleaved runs of 8 MB echoed`);
for (const name of ["raw", "twixt"] as const) {
  const m = median(times[name]);
  const b = Math.min(...times[name]);
  console.log(
    `${name.padEnd(6)} median ${m.toFixed(1)} ms (${mbps(m)} MB/s), best ${
      b.toFixed(1)
    } ms (${mbps(b)} MB/s)`,
  );
}
console.log(
  `Twixt/raw throughput: median ${
    (median(times.raw) / median(times.twixt)).toFixed(2)
  }x, best ${(Math.min(...times.raw) / Math.min(...times.twixt)).toFixed(2)}x`,
);
