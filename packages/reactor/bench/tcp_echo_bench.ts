/**
 * Echo throughput: 8 MB sent through an echo server and read back, over
 * 127.0.0.1, with Twixt's TCP (Protocol, listenTCP, connectTCP) on both
 * ends against raw `node:net` on both ends. Each iteration listens,
 * connects, echoes, and closes, the same for both.
 *
 * `tcp_echo_compare.ts` measures the same two, interleaved, on any runtime.
 *
 * Run: `npx deno bench -A packages/reactor/bench/tcp_echo_bench.ts`
 *
 * @module
 */
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
  const address = server.address() as { port: number };
  const client = connect(address.port, "127.0.0.1");
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

// Whichever runs first pays for warming up node:net and the kernel's TCP
// buffers for both; a warm-up group takes that cost off the comparison.
Deno.bench({
  name: "warm-up: raw",
  group: "warm-up",
  fn: rawEcho,
  n: 20,
  warmup: 5,
});
Deno.bench({
  name: "warm-up: Twixt",
  group: "warm-up",
  fn: twixtEcho,
  n: 20,
  warmup: 5,
});

Deno.bench({
  name: "raw node:net echo, 8 MB",
  group: "tcp echo",
  baseline: true,
  n: 50,
  warmup: 5,
  fn: rawEcho,
});
Deno.bench({
  name: "Twixt Protocol echo, 8 MB",
  group: "tcp echo",
  n: 50,
  warmup: 5,
  fn: twixtEcho,
});
