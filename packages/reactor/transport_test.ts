import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  ClientFactory,
  ConnectionDone,
  connectTCP,
  Factory,
  type IListeningPort,
  type IPushProducer,
  listenTCP,
  type Protocol,
  reactor,
  TCPTransport,
} from "./mod.ts";
import { Recorder, signal } from "./_tcp_test_util.ts";

/** Listens with `server` protocols and connects one `Client`; returns both ends. */
async function pair<S extends Protocol, C extends Protocol>(
  S: new () => S,
  C: new () => C,
): Promise<{ port: IListeningPort; server: S; client: C }> {
  const built = signal<S>();
  class Once extends Factory<S> {
    override buildProtocol(): S {
      const s = new S();
      built.resolve(s);
      return s;
    }
  }
  const port = await listenTCP(reactor, 0, new Once(), {
    interface: "127.0.0.1",
  });
  const client = await connectTCP(
    reactor,
    "127.0.0.1",
    port.getHost().port,
    ClientFactory.forProtocol(C),
  );
  return { port, server: await built.promise, client };
}

const CHUNK = new Uint8Array(64 * 1024).fill(42);

describe("TCPTransport", () => {
  it("pauses a streaming producer while the socket buffer is full and resumes it on drain", async () => {
    const paused = signal<number>();
    const resumed = signal();
    // Writes a chunk per turn of the loop while not paused; after it has
    // been paused and resumed once, writes 16 more chunks and closes.
    class Flood extends Recorder implements IPushProducer {
      sent = 0;
      pauses = 0;
      resumes = 0;
      #paused = false;
      #left = Infinity;
      override connectionMade(): void {
        this.transport.registerProducer(this, true);
        this.#pump();
      }
      pauseProducing(): void {
        this.#paused = true;
        if (++this.pauses === 1) paused.resolve(this.sent);
      }
      resumeProducing(): void {
        this.#paused = false;
        if (++this.resumes === 1) {
          this.#left = 16;
          resumed.resolve();
        }
        this.#pump();
      }
      stopProducing(): void {
        this.#left = 0;
      }
      #pump(): void {
        setImmediate(() => {
          if (this.#paused) return;
          if (this.pauses === 0 && this.sent > 128 * 1024 * 1024) {
            // Never paused: give up so that the test fails, not hangs.
            paused.resolve(this.sent);
            this.#left = 0;
          }
          if (this.#left <= 0) {
            this.transport.unregisterProducer();
            this.transport.loseConnection();
            return;
          }
          this.#left--;
          this.sent += CHUNK.length;
          this.transport.write(CHUNK);
          this.#pump();
        });
      }
    }
    // The client reads nothing until the server's producer has been paused.
    class Slow extends Recorder {
      override keepData = false;
      override connectionMade(): void {
        this.transport.pauseProducing();
        super.connectionMade();
      }
    }
    const { port, server, client } = await pair(Flood, Slow);
    const sentWhenPaused = await paused.promise;
    assert.equal(client.received, 0);
    // Bounded by the kernel's socket buffers plus one chunk, not by how
    // long the producer ran: it stopped.
    assert.ok(
      sentWhenPaused < 64 * 1024 * 1024,
      `sent ${sentWhenPaused} bytes before pausing`,
    );
    client.transport.resumeProducing();
    await resumed.promise;
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionDone));
    assert.equal(client.received, server.sent);
    assert.ok(server.sent > sentWhenPaused);
    await port.stopListening();
  });

  it("asks a pull producer for each next chunk until it unregisters", async () => {
    class Puller extends Recorder {
      asked = 0;
      override connectionMade(): void {
        this.transport.registerProducer({
          resumeProducing: () => {
            if (++this.asked > 40) {
              this.transport.unregisterProducer();
              this.transport.loseConnection();
              return;
            }
            this.transport.write(CHUNK);
          },
          stopProducing: () => {},
        }, false);
      }
    }
    const { port, server, client } = await pair(Puller, Recorder);
    await client.lost.promise;
    assert.equal(server.asked, 41);
    assert.equal(client.received, 40 * CHUNK.length);
    await port.stopListening();
  });

  it("waits for the producer to unregister before loseConnection closes", async () => {
    const unregister = signal<() => void>();
    class Late extends Recorder {
      override connectionMade(): void {
        this.transport.registerProducer({
          resumeProducing() {},
          pauseProducing() {},
          stopProducing() {},
        }, true);
        this.transport.write("before ");
        this.transport.loseConnection();
        assert.equal(this.transport.disconnecting, true);
        this.transport.write("during");
        unregister.resolve(() => this.transport.unregisterProducer());
      }
    }
    const { port, client } = await pair(Late, Recorder);
    (await unregister.promise)();
    await client.lost.promise;
    assert.equal(client.text(), "before during");
    await port.stopListening();
  });

  it("stops a producer when the connection is lost, and one registered after", async () => {
    const stops: string[] = [];
    const { port, server, client } = await pair(Recorder, Recorder);
    server.transport.registerProducer({
      resumeProducing() {},
      stopProducing: () => stops.push("first"),
    }, true);
    client.transport.loseConnection();
    await server.lost.promise;
    assert.deepEqual(stops, ["first"]);
    server.transport.registerProducer({
      resumeProducing() {},
      stopProducing: () => stops.push("late"),
    }, true);
    assert.deepEqual(stops, ["first", "late"]);
    await port.stopListening();
  });

  it("refuses a second producer", async () => {
    const { port, server, client } = await pair(Recorder, Recorder);
    const p = { resumeProducing() {}, pauseProducing() {}, stopProducing() {} };
    server.transport.registerProducer(p, true);
    assert.throws(
      () => server.transport.registerProducer(p, true),
      /another producer is registered/,
    );
    server.transport.unregisterProducer();
    client.transport.loseConnection();
    await server.lost.promise;
    await port.stopListening();
  });

  it("writes strings as UTF-8 and sequences in order, and drops writes after close", async () => {
    class Writer extends Recorder {
      override connectionMade(): void {
        this.transport.write("ünïcödé ");
        this.transport.writeSequence(["a", new TextEncoder().encode("b"), "c"]);
        this.transport.write(new Uint8Array(0));
        this.transport.loseConnection();
      }
    }
    const { port, server, client } = await pair(Writer, Recorder);
    await client.lost.promise;
    assert.equal(client.text(), "ünïcödé abc");
    await server.lost.promise;
    assert.equal(server.transport.connected, false);
    server.transport.write("ignored");
    server.transport.loseConnection();
    server.transport.abortConnection();
    assert.ok(server.transport instanceof TCPTransport);
    await port.stopListening();
  });
});
