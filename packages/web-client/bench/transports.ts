/**
 * getPage against the runtime's fetch and raw node:http, and Twisted's
 * Agent for reference, on one workload: 2000 GETs of a 2 KB page from a
 * node:http server in another process (system `node`), one after another
 * and 50 in flight at a time. Every contender reads the whole body as
 * text and keeps its connections (fetch its own pool; node:http a
 * keep-alive Agent; getPage its shared pool; Twisted an HTTPConnectionPool
 * keeping 50 per host); raw node:http sends the headers fetch and getPage
 * send (Accept, Accept-Encoding, User-Agent). Rounds rotate the order; the table gives the
 * median round's wall time and the client process's CPU time.
 *
 * Also measured: getPage on the transport the runtime does not use by
 * default (a pool made with TWIXT_HTTP_TRANSPORT set), which is how the
 * default was chosen on each runtime.
 *
 * Run (ROUNDS=n, default 7):
 * - Deno: `npx deno run -A packages/web-client/bench/transports.ts`
 * - Bun: `npx bun packages/web-client/bench/transports.ts`
 * - Node: `npx esbuild packages/web-client/bench/transports.ts --bundle
 *   --platform=node --format=esm --outfile=/tmp/transports.mjs && node /tmp/transports.mjs`
 *
 * @module
 */

import * as http from "node:http";
import { spawn } from "node:child_process";
import process from "node:process";
import { getPage, HTTPConnectionPool } from "../mod.ts";

const TOTAL = 2000;
const CONCURRENCY = 50;
const ROUNDS = Number(process.env["ROUNDS"] ?? 7);

const SERVER = `
const http = require("node:http");
const page = "x".repeat(2048);
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": "2048" });
  res.end(page);
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;
const server = spawn("node", ["-e", SERVER], {
  stdio: ["pipe", "pipe", "inherit"],
});
const port = await new Promise<number>((resolve) => {
  server.stdout!.setEncoding("utf8").once("data", (s: string) => {
    resolve(Number(s.trim()));
  });
});
const url = `http://127.0.0.1:${port}/`;

type Get = () => Promise<string>;
const keepAlive = new http.Agent({ keepAlive: true });
// The request getPage and fetch send: the same bytes on the wire, so the
// server's work is the same for every contender.
const headers = {
  accept: "*/*",
  "accept-encoding": "gzip, deflate, br",
  "user-agent": "node",
};
const rawNode: Get = () =>
  new Promise((resolve, reject) => {
    http.get(url, { agent: keepAlive, headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    }).on("error", reject);
  });

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const defaultName = g.Deno !== undefined || g.Bun !== undefined
  ? "fetch"
  : "node";
const otherName = defaultName === "fetch" ? "node" : "fetch";
// A pool on the other transport: the variable is read at a pool's first request.
const otherPool = new HTTPConnectionPool();
otherPool.maxPersistentPerHost = CONCURRENCY;
process.env["TWIXT_HTTP_TRANSPORT"] = otherName;
await getPage(url, { pool: otherPool });
delete process.env["TWIXT_HTTP_TRANSPORT"];

const contenders: [string, Get][] = [
  ["fetch", async () => (await fetch(url)).text()],
  ["node:http keep-alive", rawNode],
  [`getPage (${defaultName})`, () => getPage(url).asPromise()],
  [
    `getPage (${otherName})`,
    () => getPage(url, { pool: otherPool }).asPromise(),
  ],
];

type Sample = { wall: number; cpu: number };

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
const v = process.versions as Record<string, string | undefined>;
const runtime = v["bun"]
  ? `Bun ${v["bun"]}`
  : v["deno"]
  ? `Deno ${v["deno"]}`
  : `Node ${v["node"]}`;

console.log(
  `${runtime}, ${
    new Date().toISOString().slice(0, 10)
  }, ROUNDS=${ROUNDS}: wall / client CPU, medians; ratio = throughput against fetch (wall)`,
);
console.log("| runtime | requests | client | wall / CPU | × fetch |");
console.log("| --- | --- | --- | --- | --- |");
const scenarios: [string, (get: Get) => Promise<void>][] = [
  ["2000 sequential", sequential],
  ["2000 at 50 concurrency", concurrent],
];
for (const [name, run] of scenarios) {
  for (const [, get] of contenders) await run(get); // warm every path and pool
  const samples: Sample[][] = contenders.map(() => []);
  for (let i = 0; i < ROUNDS; i++) {
    for (let j = 0; j < contenders.length; j++) {
      const k = (i + j) % contenders.length;
      samples[k]!.push(await measure(() => run(contenders[k]![1])));
    }
  }
  const wall = samples.map((xs) => median(xs.map((s) => s.wall)));
  const cpu = samples.map((xs) => median(xs.map((s) => s.cpu)));
  contenders.forEach(([who], k) => {
    console.log(
      `| ${runtime} | ${name} | ${who} | ${wall[k]!.toFixed(0)} ms / ${
        cpu[k]!.toFixed(0)
      } ms | ${(wall[0]! / wall[k]!).toFixed(2)}× |`,
    );
  });
}

// Twisted's Agent with an HTTPConnectionPool, for reference, when
// Python and Twisted are there.
const TWISTED = `
import sys, time, resource
from twisted.internet import reactor, defer, task
from twisted.web.client import Agent, HTTPConnectionPool, readBody
url, rounds = sys.argv[1].encode(), int(sys.argv[2])
pool = HTTPConnectionPool(reactor, persistent=True)
pool.maxPersistentPerHost = 50
agent = Agent(reactor, pool=pool)
def get():
    return agent.request(b"GET", url).addCallback(readBody).addCallback(lambda b: b.decode("utf-8"))
@defer.inlineCallbacks
def sequential():
    for _ in range(2000):
        yield get()
def concurrent():
    left = [2000]
    @defer.inlineCallbacks
    def worker():
        while left[0] > 0:
            left[0] -= 1
            yield get()
    return defer.gatherResults([worker() for _ in range(50)])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
@defer.inlineCallbacks
def main():
    for name, run in (("2000 sequential", sequential), ("2000 at 50 concurrency", concurrent)):
        yield run()
        walls, cpus = [], []
        for _ in range(rounds):
            c0, t0 = cpu(), time.perf_counter()
            yield run()
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((cpu() - c0) * 1000)
        walls.sort(); cpus.sort()
        print("%s\\t%.0f\\t%.0f" % (name, walls[len(walls) // 2], cpus[len(cpus) // 2]))
    yield pool.closeCachedConnections()
    reactor.stop()
reactor.callWhenRunning(main)
reactor.run()
`;
if (process.env["TWISTED"] !== "0") {
  const py = spawn("/usr/bin/python3", ["-c", TWISTED, url, String(ROUNDS)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  py.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  await new Promise((r) => py.on("close", r));
  for (const line of out.trim().split("\n")) {
    const [name, wall, cpu] = line.split("\t");
    if (cpu === undefined) continue;
    console.log(
      `| Python 3 (Twisted 22.4) | ${name} | Agent + HTTPConnectionPool | ${wall} ms / ${cpu} ms | |`,
    );
  }
}

keepAlive.destroy();
await otherPool.closeCachedConnections();
server.stdin!.end();
