/**
 * getPage against raw fetch on any of the three runtimes, in the same run,
 * on a local node:http server: 2000 requests one after another, and 2000
 * with 50 in flight at a time. Rounds alternate fetch and getPage so that a
 * busy machine slows both alike; the table gives the median round.
 *
 * Run:
 * - Deno: `npx deno run -A packages/web-client/bench/compare.ts`
 * - Bun: `npx bun packages/web-client/bench/compare.ts`
 * - Node: `npx esbuild packages/web-client/bench/compare.ts --bundle --platform=node
 *   --format=esm --outfile=/tmp/compare.mjs && node /tmp/compare.mjs`
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

async function sequential(get: () => Promise<string>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < TOTAL; i++) await get();
  return performance.now() - t0;
}

async function concurrent(get: () => Promise<string>): Promise<number> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < TOTAL) {
      started++;
      await get();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - t0;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const v = process.versions as Record<string, string | undefined>;
const runtime = v["bun"]
  ? `Bun ${v["bun"]}`
  : v["deno"]
  ? `Deno ${v["deno"]}`
  : `Node ${v["node"]}`;

const rows: string[] = [];
for (
  const [name, run] of [["2000 sequential", sequential], [
    "2000 at 50 concurrency",
    concurrent,
  ]] as const
) {
  await run(fetchText); // warm up both paths and the connection pool
  await run(getPageText);
  const f: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2) {
      g.push(await run(getPageText));
      f.push(await run(fetchText));
    } else {
      f.push(await run(fetchText));
      g.push(await run(getPageText));
    }
  }
  const fm = median(f);
  const gm = median(g);
  rows.push(
    `| ${runtime} | ${name} | ${fm.toFixed(0)} ms | ${gm.toFixed(0)} ms | ${
      (gm / fm).toFixed(2)
    }× |`,
  );
}
console.log(
  "| runtime | requests | fetch (median) | getPage (median) | getPage / fetch |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);

server.close();
server.closeAllConnections();
