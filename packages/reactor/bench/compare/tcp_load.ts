/**
 * Twixt under load against raw `node:net` (issue 18): a line echo server
 * made with default options on each side, `LineReceiver` against a
 * `node:net` server splitting lines itself, and the same node:net clients
 * (`lineBurst`) driving both. Runs interleaved (raw, Twixt, raw, ...):
 *
 * - 50 clients at once, 400 round trips each;
 * - 2,000 clients at once, 10 round trips each;
 * - the cost per connection with 100, 1,000 and 5,000 connections open at
 *   once (1 round trip each, at most 200 connecting at a time so that the
 *   listen queue does not overflow and the kernel's one-second SYN retry
 *   does not hide the servers' own cost; 5,000 needs about 10,000 file
 *   descriptors).
 *
 * `npx deno run -A packages/reactor/bench/compare/tcp_load.ts [runs]`
 * `npx bun packages/reactor/bench/compare/tcp_load.ts [runs]`
 * On Node: bundle it first, e.g.
 * `npx esbuild --bundle --platform=node --format=esm packages/reactor/bench/compare/tcp_load.ts --outfile=/tmp/tcp_load.mjs && node /tmp/tcp_load.mjs`
 *
 * @module
 */
import process from "node:process";
import { connect, createServer, type Server, type Socket } from "node:net";
import {
  Factory,
  type IListeningPort,
  LineReceiver,
  listenTCP,
  reactor,
} from "../../mod.ts";
import { lineBurst } from "../../_tcp_test_util.ts";

const runs = Number(process.argv[2] ?? 5);

class Echo extends LineReceiver {
  override delimiter = "\n";
  override lineReceived(line: string): void {
    this.sendLine(line);
  }
}

async function twixtServer(): Promise<
  { port: number; close(): Promise<void> }
> {
  const p: IListeningPort = await listenTCP(
    reactor,
    0,
    Factory.forProtocol(Echo),
    { interface: "127.0.0.1" },
  );
  return { port: p.getHost().port, close: () => p.stopListening().asPromise() };
}

async function rawServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket: Socket) => {
    socket.setEncoding("utf8");
    let buffer = "";
    socket.on("data", (text: string) => {
      buffer += text;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) !== -1) {
        socket.write(`${buffer.slice(0, nl)}\n`);
        buffer = buffer.slice(nl + 1);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function once(
  make: typeof rawServer,
  clients: number,
  trips: number,
  opts?: { wave?: number; hold?: boolean },
): Promise<number> {
  const server = await make();
  const { errors, ms } = await lineBurst(
    connect,
    server.port,
    clients,
    trips,
    opts,
  );
  await server.close();
  if (errors.length > 0) {
    throw new Error(`${errors.length} client errors, first: ${errors[0]}`);
  }
  return ms;
}

const median = (a: number[]): number =>
  [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

async function compare(
  label: string,
  clients: number,
  trips: number,
  n: number,
  opts?: { wave?: number; hold?: boolean },
): Promise<void> {
  const t = { raw: [] as number[], twixt: [] as number[] };
  await once(rawServer, Math.min(clients, 50), 1); // warm-up
  await once(twixtServer, Math.min(clients, 50), 1);
  for (let i = 0; i < n; i++) {
    t.raw.push(await once(rawServer, clients, trips, opts));
    t.twixt.push(await once(twixtServer, clients, trips, opts));
  }
  const r = median(t.raw);
  const x = median(t.twixt);
  console.log(
    `${label.padEnd(34)} raw ${r.toFixed(0).padStart(6)} ms  twixt ${
      x.toFixed(0).padStart(6)
    } ms  twixt÷raw throughput ${(r / x).toFixed(2)}x  (${
      (x * 1000 / clients).toFixed(0)
    } µs/conn twixt, ${(r * 1000 / clients).toFixed(0)} µs/conn raw)`,
  );
}

const runtime = (globalThis as { Deno?: unknown }).Deno
  ? "Deno"
  : process.versions["bun"]
  ? "Bun"
  : "Node";
console.log(`${runtime}, medians of ${runs} interleaved runs`);
await compare("50 clients x 400 round trips", 50, 400, runs);
await compare("2,000 clients at once x 10", 2000, 10, runs);
for (const n of [100, 1000, 5000]) {
  await compare(`${n} open at once, 200 connecting`, n, 1, runs, {
    wave: 200,
    hold: true,
  });
}
