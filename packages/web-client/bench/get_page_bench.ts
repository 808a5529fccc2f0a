/**
 * getPage against raw fetch, in the same run, on a local node:http server:
 * 2000 requests one after another, and 2000 with 50 in flight at a time.
 * Each fetch reads its body as text, as getPage does.
 *
 * Run: `npx deno bench -A packages/web-client/bench/get_page_bench.ts`
 *
 * @module
 */

import { createServer } from "node:http";
import { getPage } from "../mod.ts";

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("Half a league, half a league, half a league onward");
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const { port } = server.address() as { port: number };
const URL_ = `http://127.0.0.1:${port}/`;
const TOTAL = 2000;
const CONCURRENCY = 50;

async function rawFetch(): Promise<string> {
  const res = await fetch(URL_);
  return await res.text();
}

function twixt(): Promise<string> {
  return getPage(URL_).asPromise();
}

async function sequential(get: () => Promise<string>): Promise<void> {
  for (let i = 0; i < TOTAL; i++) await get();
}

async function concurrent(get: () => Promise<string>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TOTAL) {
      next++;
      await get();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

// Deno.bench awaits only functions declared async, hence the async arrows.
const opts = { n: 10, warmup: 2 };
Deno.bench("fetch, 2000 sequential", {
  group: "sequential",
  baseline: true,
  ...opts,
}, async () => await sequential(rawFetch));
Deno.bench(
  "getPage, 2000 sequential",
  { group: "sequential", ...opts },
  async () => await sequential(twixt),
);
Deno.bench("fetch, 2000 at 50 concurrency", {
  group: "concurrent",
  baseline: true,
  ...opts,
}, async () => await concurrent(rawFetch));
Deno.bench(
  "getPage, 2000 at 50 concurrency",
  { group: "concurrent", ...opts },
  async () => await concurrent(twixt),
);

// deno bench has no teardown hook: stop serving once the last bench has run.
globalThis.addEventListener("unload", () => {
  server.close();
  server.closeAllConnections();
});
