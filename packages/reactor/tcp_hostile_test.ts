// Hostile TCP peers and hostile protocol code (issue 10's hostile suite):
// floods of short connections, a client that never reads, exceptions in
// every callback, resets and half-closes. Each case checks the socket
// closed, the typed error, and that nothing is left open (no port,
// connection, connector or timer) to keep the process alive. Loopback only;
// every loop is bounded.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { type Failure, setFailureLogger } from "@twixt/defer";
import {
  ClientFactory,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  connectTCP,
  Factory,
  type IListeningPort,
  type IPushProducer,
  LineReceiver,
  listenTCP,
  Protocol,
  reactor,
} from "./mod.ts";
import { _tracked } from "./_tcp_shutdown.ts";
import { signal } from "./_tcp_test_util.ts";

const LOCAL = { interface: "127.0.0.1" };

let logged: Failure[] = [];
let previousLogger: ReturnType<typeof setFailureLogger>;

beforeEach(() => {
  logged = [];
  previousLogger = setFailureLogger((_message, f) => logged.push(f));
});

afterEach(async () => {
  setFailureLogger(previousLogger);
  // Nothing left to keep the process alive; what a failed case left is
  // closed first, so that it fails alone.
  const left = _tracked(reactor);
  await Promise.all(left.map((item) => item._shutdown()));
  assert.deepEqual(left.map(String), []);
  assert.equal(reactor.getDelayedCalls().length, 0);
});

/** Waits up to `turns` event-loop turns for `done()`. */
async function turnsUntil(done: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) {
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(done(), "the condition was not reached in time");
}

/** A node:net client; resolves on its close, with what it read. */
function client(
  port: number,
  act: (socket: Socket) => void,
): Promise<{ text: string; error: Error | undefined }> {
  const done = signal<{ text: string; error: Error | undefined }>();
  const socket = connect(port, "127.0.0.1");
  let text = "";
  let error: Error | undefined;
  socket.setEncoding("utf8");
  socket.on("data", (t: string) => (text += t));
  socket.on("error", (e: Error) => (error = e));
  socket.on("close", () => done.resolve({ text, error }));
  act(socket);
  return done.promise;
}

/** Listens with protocols of `P`, keeping their connectionLost reasons. */
async function serve(
  make: () => Protocol,
): Promise<{ port: IListeningPort; number: number; reasons: Failure[] }> {
  const reasons: Failure[] = [];
  const factory = new Factory();
  factory.buildProtocol = () => {
    const p = make();
    const lost = p.connectionLost.bind(p);
    p.connectionLost = (reason: Failure) => {
      reasons.push(reason);
      lost(reason);
    };
    return p;
  };
  const port = await listenTCP(reactor, 0, factory, LOCAL);
  return { port, number: port.getHost().port, reasons };
}

describe("TCP against hostile peers", () => {
  it("survives a flood of 300 connect-and-close clients and serves the next one", async () => {
    let made = 0;
    class Echo extends Protocol {
      override connectionMade(): void {
        made++;
      }
      override dataReceived(data: Uint8Array): void {
        this.transport.write(data);
      }
    }
    const { port, number, reasons } = await serve(() => new Echo());
    const flood = Array.from(
      { length: 300 },
      (_, i) =>
        client(number, (s) => {
          if (i % 2 === 0) s.destroy(); // before the handshake completes
          else s.on("connect", () => s.destroy());
        }),
    );
    await Promise.all(flood);
    await turnsUntil(() => reasons.length === made);
    const echoed = await client(number, (s) => {
      s.on("connect", () => s.end("still here"));
    });
    assert.equal(echoed.text, "still here");
    assert.equal(echoed.error, undefined);
    await turnsUntil(() => reasons.length === made);
    for (const r of reasons) {
      assert.ok(r.check(ConnectionDone, ConnectionLost), r.getErrorMessage());
    }
    assert.deepEqual(logged, []);
    await port.stopListening();
  });

  it("keeps a server's buffer bounded, its producer paused, for a client that never reads", async () => {
    const CHUNK = new Uint8Array(64 * 1024).fill(120);
    let written = 0;
    let pauses = 0;
    let stopped = false;
    let paused = false;
    class Flooder extends Protocol implements IPushProducer {
      override connectionMade(): void {
        this.transport.registerProducer(this, true);
        this.resumeProducing();
      }
      pauseProducing(): void {
        paused = true;
        pauses++;
      }
      resumeProducing(): void {
        paused = false;
        // Writes until the transport says its buffer is full (bounded).
        for (let i = 0; i < 1024 && !paused && !stopped; i++) {
          this.transport.write(CHUNK);
          written += CHUNK.length;
        }
      }
      stopProducing(): void {
        stopped = true;
      }
    }
    const { port, number, reasons } = await serve(() => new Flooder());
    const connected = signal<Socket>();
    const closed = client(number, (s) => {
      s.pause(); // never reads
      s.on("connect", () => connected.resolve(s));
    });
    const socket = await connected.promise;
    // The producer is resumed each time the kernel takes more; once the
    // kernel's buffers are full it stays paused and nothing more is written.
    let last = -1;
    let still = 0;
    await turnsUntil(() => {
      still = paused && written === last ? still + 1 : 0;
      last = written;
      return still >= 100;
    });
    assert.equal(paused, true);
    assert.ok(pauses >= 1);
    // Kernel buffers on both sides plus the transport's own high-water mark:
    // a few MB, nowhere near the 64 MB the loop above could have written.
    assert.ok(written < 32 * 1024 * 1024, `${written} bytes buffered`);
    socket.destroy();
    await closed;
    await turnsUntil(() => reasons.length === 1);
    assert.ok(stopped, "the producer was stopped when the connection was lost");
    assert.ok(reasons[0]?.check(ConnectionDone, ConnectionLost));
    await port.stopListening();
  });

  // A socket closed with data unread in its kernel buffer sends a reset
  // (RST) on every runtime (node's resetAndDestroy sends a FIN on Node 20):
  // each side below fills the other's buffer, and the reader closes once
  // the writer's producer was paused, i.e. once data sits unread.
  it("reports a reset by the client in mid-stream as ConnectionLost", async () => {
    const full = signal();
    class Writer extends Protocol implements IPushProducer {
      override connectionMade(): void {
        this.transport.registerProducer(this, true);
        this.transport.write(new Uint8Array(4 << 20));
      }
      pauseProducing(): void {
        full.resolve();
      }
      resumeProducing(): void {}
      stopProducing(): void {}
    }
    const { port, number, reasons } = await serve(() => new Writer());
    const closed = client(number, (s) => {
      s.pause(); // reads nothing
      void full.promise.then(() => s.destroy());
    });
    await closed;
    await turnsUntil(() => reasons.length === 1);
    assert.ok(reasons[0]?.check(ConnectionLost), reasons[0]?.getErrorMessage());
    assert.deepEqual(logged, []);
    await port.stopListening();
  });

  it("reports a reset by a client's server in mid-stream as ConnectionLost", async () => {
    const full = signal();
    const server = createServer({ pauseOnConnect: true }, (s) => {
      s.on("error", () => {});
      void full.promise.then(() => s.destroy());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const lost = signal<Failure>();
    class Writer extends Protocol implements IPushProducer {
      override connectionMade(): void {
        this.transport.registerProducer(this, true);
        this.transport.write(new Uint8Array(4 << 20));
      }
      override connectionLost(reason: Failure): void {
        lost.resolve(reason);
      }
      pauseProducing(): void {
        full.resolve();
      }
      resumeProducing(): void {}
      stopProducing(): void {}
    }
    const { port } = server.address() as { port: number };
    await connectTCP(
      reactor,
      "127.0.0.1",
      port,
      ClientFactory.forProtocol(Writer),
    );
    const reason = await lost.promise;
    assert.ok(reason.check(ConnectionLost), reason.getErrorMessage());
    assert.deepEqual(logged, []);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("answers before a half-close takes the connection down cleanly", async () => {
    class Reply extends Protocol {
      override dataReceived(data: Uint8Array): void {
        this.transport.write(new TextDecoder().decode(data).toUpperCase());
      }
    }
    const { port, number, reasons } = await serve(() => new Reply());
    const got = await client(number, (s) => s.end("half closed"));
    assert.equal(got.text, "HALF CLOSED");
    assert.equal(got.error, undefined);
    await turnsUntil(() => reasons.length === 1);
    assert.ok(reasons[0]?.check(ConnectionDone));
    await port.stopListening();
  });
});

describe("TCP with protocol code that throws", () => {
  // As in Twisted, an exception from a protocol callback is logged and the
  // connection dropped, with the exception as connectionLost's reason.
  const cases: Array<[string, () => Protocol]> = [
    ["connectionMade", () =>
      new (class extends Protocol {
        override connectionMade(): void {
          throw new Error("Cannot make in connectionMade");
        }
      })()],
    ["dataReceived", () =>
      new (class extends Protocol {
        override dataReceived(): void {
          throw new Error("Cannot take data in dataReceived");
        }
      })()],
    ["lineReceived", () =>
      new (class extends LineReceiver {
        override lineReceived(): void {
          throw new Error("Cannot take a line in lineReceived");
        }
      })()],
    ["rawDataReceived", () =>
      new (class extends LineReceiver {
        override connectionMade(): void {
          this.setRawMode();
        }
        override rawDataReceived(): void {
          throw new Error("Cannot take raw data in rawDataReceived");
        }
      })()],
  ];
  for (const [callback, make] of cases) {
    it(`logs an error thrown by ${callback} and drops the connection with it`, async () => {
      const { port, number, reasons } = await serve(make);
      const got = await client(number, (s) => s.write("a line\r\n"));
      // The server closed the socket; the client saw it close.
      assert.equal(got.text, "");
      await turnsUntil(() => reasons.length === 1);
      const reason = reasons[0]!;
      assert.match(reason.getErrorMessage(), new RegExp(`in ${callback}$`));
      assert.deepEqual(logged.map((f) => f.getErrorMessage()), [
        reason.getErrorMessage(),
      ]);
      await port.stopListening();
    });
  }

  it("logs an error thrown by connectionLost; the connection is already gone", async () => {
    class Bad extends Protocol {
      override connectionLost(): void {
        throw new Error("Cannot lose in connectionLost");
      }
    }
    const port = await listenTCP(reactor, 0, Factory.forProtocol(Bad), LOCAL);
    await client(port.getHost().port, (s) => s.end("bye"));
    await turnsUntil(() => logged.length === 1);
    assert.equal(logged[0]?.getErrorMessage(), "Cannot lose in connectionLost");
    await port.stopListening();
  });

  it("logs an error thrown by a server factory's buildProtocol and closes that socket", async () => {
    const factory = new Factory();
    factory.buildProtocol = () => {
      throw new TypeError("Cannot build in buildProtocol");
    };
    const port = await listenTCP(reactor, 0, factory, LOCAL);
    const got = await client(port.getHost().port, (s) => s.write("hello"));
    assert.equal(got.text, "");
    assert.equal(logged.length, 1);
    assert.ok(logged[0]?.check(TypeError));
    // The port goes on serving.
    factory.buildProtocol = () => new Protocol();
    await port.stopListening();
  });

  it("logs errors thrown by a client factory's callbacks and still settles the Deferred", async () => {
    // startedConnecting throws: logged, the attempt goes on.
    const { port, number, reasons } = await serve(() => new Protocol());
    class Started extends ClientFactory {
      override startedConnecting(): void {
        throw new Error("Cannot start in startedConnecting");
      }
    }
    const p = await connectTCP(
      reactor,
      "127.0.0.1",
      number,
      Started.forProtocol(Protocol),
    );
    p.transport.loseConnection();
    await turnsUntil(() => reasons.length === 1);
    assert.deepEqual(logged.map((f) => f.getErrorMessage()), [
      "Cannot start in startedConnecting",
    ]);

    // buildProtocol throws: logged, the Deferred fails with it, the socket
    // is closed (the server sees the connection end).
    class Building extends ClientFactory {
      override buildProtocol(): Protocol {
        throw new RangeError("Cannot build in buildProtocol");
      }
    }
    await assert.rejects(
      connectTCP(reactor, "127.0.0.1", number, new Building()).asPromise(),
      RangeError,
    );
    await turnsUntil(() => reasons.length === 2);
    assert.equal(logged.length, 2);
    await port.stopListening();

    // clientConnectionFailed throws: logged, the Deferred still fails with
    // the connect error (nothing listens on the port any more).
    class Failing extends ClientFactory {
      override clientConnectionFailed(): void {
        throw new Error("Cannot fail in clientConnectionFailed");
      }
    }
    await assert.rejects(
      connectTCP(reactor, "127.0.0.1", number, Failing.forProtocol(Protocol))
        .asPromise(),
      ConnectionRefusedError,
    );
    assert.equal(
      logged[2]?.getErrorMessage(),
      "Cannot fail in clientConnectionFailed",
    );
  });
});
