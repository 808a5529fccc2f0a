/**
 * The two echo runs the TCP benchmarks compare: listen, connect, send
 * TOTAL bytes through an echo server and read them back, close; with
 * Twixt's Protocol on both ends, and with raw `node:net` on both ends.
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

/** Bytes echoed per run. */
export const TOTAL = 8 * 1024 * 1024;
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

/** One run with Twixt on both ends. */
export async function twixtEcho(): Promise<void> {
  const port = await listenTCP(reactor, 0, Factory.forProtocol(Echo), {
    interface: "127.0.0.1",
  });
  const client = await connectTCP(
    reactor,
    "127.0.0.1",
    port.getHost().port,
    ClientFactory.forProtocol(Reader),
  );
  const done = new Promise<void>((resolve) => (finish = resolve));
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) {
    client.transport.write(CHUNK);
  }
  await done;
  client.transport.loseConnection();
  await port.stopListening();
}

/** One run with raw node:net on both ends. */
export async function rawEcho(): Promise<void> {
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
