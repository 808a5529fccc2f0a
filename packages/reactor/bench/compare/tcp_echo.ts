/**
 * Echo throughput, Twixt against raw `node:net`, measured interleaved (raw,
 * Twixt, raw, Twixt, ...) so that both see the same machine load: 8 MB
 * echoed per run, over 127.0.0.1. Prints the median and best time of each
 * and Twixt's throughput as a fraction of raw. Runs on Deno and Bun:
 *
 * `npx deno run -A packages/reactor/bench/tcp_echo_compare.ts [runs]`
 * `npx bun packages/reactor/bench/tcp_echo_compare.ts [runs]`
 *
 * @module
 */
import process from "node:process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import {
  ClientFactory,
  connectTCP,
  Factory,
  listenTCP,
  Protocol,
  reactor,
} from "../mod.ts";

const TOTAL = 8 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(120);

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

let finish: () => void = () => {};

class Reader extends Protocol {
  got = 0;
  override dataReceived(data: Uint8Array): void {
    this.got += data.length;
    if (this.got >= TOTAL) finish();
  }
}

async function twixtEcho(): Promise<void> {
  const port = await listenTCP(reactor, 0, Factory.forProtocol(Echo), {
    interface: "127.0.0.1",
  });
  const client = await connectTCP(
    reactor,
    "127.0.0.1",
    port.getHost().port,
    ClientFactory.forProtocol(Reader) as ClientFactory<Reader>,
  );
  const done = new Promise<void>((resolve) => (finish = resolve));
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) {
    client.transport.write(CHUNK);
  }
  await done;
  client.transport.loseConnection();
  await port.stopListening();
}

async function rawEcho(): Promise<void> {
  const server: Server = createServer((s: Socket) => {
    s.on("data", (d: Uint8Array) => s.write(d));
    s.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = connect(
    (server.address() as { port: number }).port,
    "127.0.0.1",
  );
  await once(client, "connect");
  let got = 0;
  const done = new Promise<void>((resolve) => {
    client.on("data", (d: Uint8Array) => {
      got += d.length;
      if (got >= TOTAL) resolve();
    });
  });
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) client.write(CHUNK);
  await done;
  client.end();
  server.close();
}

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
