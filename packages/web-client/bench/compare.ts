/**
 * getPage against raw fetch on any of the three runtimes, in the same run,
 * on a local node:http server: 2000 requests one after another, and 2000
 * with 50 in flight at a time. Each fetch reads its body as text, as getPage
 * does. Also measured: fetch with the options getPage needs (an
 * AbortSignal, `redirect: "manual"`), to tell what the runtime charges for
 * those from what getPage adds. Rounds rotate the order so that a busy
 * machine slows all alike; the table gives the median round, in wall time
 * and in CPU time of the process (the server runs in it too, the same for
 * all; CPU time is the steadier measure on a shared machine).
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

type Get = () => Promise<string>;
const fetchText: Get = async () => (await fetch(url)).text();
// What getPage must ask of fetch to be cancellable and to follow redirects itself.
const abortableFetchText: Get = async () =>
  (await fetch(url, {
    redirect: "manual",
    signal: new AbortController().signal,
  })).text();
const getPageText: Get = () => getPage(url).asPromise();
const contenders = [fetchText, abortableFetchText, getPageText];

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

async function sequential(get: Get): Promise<void> {
  for (let i = 0; i < TOTAL; i++) await get();
}

async function concurrent(get: Get): Promise<void> {
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
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const v = process.versions as Record<string, string | undefined>;
const runtime = v["bun"]
  ? `Bun ${v["bun"]}`
  : v["deno"]
  ? `Deno ${v["deno"]}`
  : `Node ${v["node"]}`;

const scenarios: [string, (get: Get) => Promise<void>][] = [
  ["2000 sequential", sequential],
  ["2000 at 50 concurrency", concurrent],
];
const rows: string[] = [];
for (const [name, run] of scenarios) {
  for (const get of contenders) await run(get); // warm up every path and the pool
  const samples: Sample[][] = contenders.map(() => []);
  for (let i = 0; i < ROUNDS; i++) {
    // Rotate the order so that no contender always runs first or last.
    for (let j = 0; j < contenders.length; j++) {
      const k = (i + j) % contenders.length;
      samples[k]!.push(await measure(() => run(contenders[k]!)));
    }
  }
  const wall = samples.map((xs) => median(xs.map((s) => s.wall)));
  const cpu = samples.map((xs) => median(xs.map((s) => s.cpu)));
  const [fw, aw, gw] = wall as [number, number, number];
  const [fc, ac, gc] = cpu as [number, number, number];
  rows.push(
    `| ${runtime} | ${name} | ${ms(fw)} / ${ms(fc)} | ${ms(aw)} / ${ms(ac)} | ${
      ms(gw)
    } / ${ms(gc)} | ` +
      `${ratio(gw, fw)} / ${ratio(gc, fc)} | ${ratio(gw, aw)} / ${
        ratio(gc, ac)
      } |`,
  );
}
console.log(
  "| runtime | requests | fetch (wall / CPU) | fetch + signal + manual | getPage | getPage ÷ fetch | getPage ÷ fetch + signal |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);

server.close();
server.closeAllConnections();
