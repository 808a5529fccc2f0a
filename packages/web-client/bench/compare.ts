/**
 * getPage against raw fetch on any of the three runtimes, in the same run,
 * on a local node:http server: 2000 requests one after another, and 2000
 * with 50 in flight at a time. Each fetch reads its body as text, as getPage
 * does. Rounds alternate fetch and getPage so that a busy machine slows both
 * alike; the table gives the median round, in wall time and in CPU time of
 * the process (the server runs in it too, the same for both; CPU time is
 * the steadier measure on a shared machine).
 *
 * Run:
 * - Deno: `npx deno run -A packages/web-client/bench/compare.ts`
 * - Bun: `npx bun packages/web-client/bench/compare.ts`
 * - Node: `npx esbuild packages/web-client/bench/compare.ts --bundle --platform=node
 *   --format=esm --outfile=/tmp/compare.mjs && node /tmp/compare.mjs`
 *
 * `ROUNDS=n` sets the number of rounds (default 7).
 *
 * @module
 */

import { createServer } from "node:http";
import process from "node:process";
import { getPage } from "../mod.ts";

const TOTAL = 2000;
const CONCURRENCY = 50;
const ROUNDS = Number(process.env["ROUNDS"] ?? 7);

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("Half a league, half a league, half a league onward");
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const { port } = server.address() as { port: number };
const url = `http://127.0.0.1:${port}/`;

const fetchText = async (): Promise<string> => (await fetch(url)).text();
const getPageText = (): Promise<string> => getPage(url).asPromise();

type Sample = { wall: number; cpu: number };

/** Wall and CPU milliseconds that `work` took. */
async function measure(work: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

async function sequential(get: () => Promise<string>): Promise<void> {
  for (let i = 0; i < TOTAL; i++) await get();
}

async function concurrent(get: () => Promise<string>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < TOTAL) {
      started++;
      await get();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const v = process.versions as Record<string, string | undefined>;
const runtime = v["bun"]
  ? `Bun ${v["bun"]}`
  : v["deno"]
  ? `Deno ${v["deno"]}`
  : `Node ${v["node"]}`;

const scenarios: [string, (get: () => Promise<string>) => Promise<void>][] = [
  ["2000 sequential", sequential],
  ["2000 at 50 concurrency", concurrent],
];
const rows: string[] = [];
for (const [name, run] of scenarios) {
  await run(fetchText); // warm up both paths and the connection pool
  await run(getPageText);
  const f: Sample[] = [];
  const g: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 ? [getPageText, fetchText] : [fetchText, getPageText];
    for (const get of order) {
      (get === fetchText ? f : g).push(await measure(() => run(get)));
    }
  }
  const fw = median(f.map((s) => s.wall));
  const gw = median(g.map((s) => s.wall));
  const fc = median(f.map((s) => s.cpu));
  const gc = median(g.map((s) => s.cpu));
  rows.push(
    `| ${runtime} | ${name} | ${ms(fw)} | ${ms(gw)} | ${
      (gw / fw).toFixed(2)
    }× | ` +
      `${ms(fc)} | ${ms(gc)} | ${(gc / fc).toFixed(2)}× |`,
  );
}
console.log(
  "| runtime | requests | fetch wall | getPage wall | ratio | fetch CPU | getPage CPU | ratio |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);

server.close();
server.closeAllConnections();
