import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { once } from "node:events";
import { type Failure, setFailureLogger, TimeoutError } from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import { Clock } from "./clock.ts";
import {
  CannotListenError,
  ClientFactory,
  ConnectingCancelledError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  connectTCP,
  Factory,
  type IConnector,
  type IListeningPort,
  IPv4Address,
  IPv6Address,
  LineReceiver,
  listenTCP,
  NoProtocol,
  Protocol,
  Reactor,
  reactor,
} from "./mod.ts";
import { Recorder, signal } from "./_tcp_test_util.ts";

const LOCAL = { interface: "127.0.0.1" };

class Echo extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport.write(data);
  }
}

/** A factory that keeps the protocols it builds. */
class Keeping<P extends Protocol> extends ClientFactory<P> {
  built: P[] = [];
  failed: Failure[] = [];
  lostReasons: Failure[] = [];
  // Wake-ups for accepted(), by index (untyped by P, which keeps the casts
  // of forProtocol's result to Keeping<P> valid).
  #waiters: Array<[number, () => void]> = [];
  override buildProtocol(addr: IPv4Address): P | null {
    const p = super.buildProtocol(addr);
    if (p !== null) {
      this.built.push(p);
      const ready = this.#waiters.filter(([i]) => i < this.built.length);
      this.#waiters = this.#waiters.filter(([i]) => i >= this.built.length);
      for (const [, wake] of ready) wake();
    }
    return p;
  }
  /**
   * The `i`th protocol built, once it is: a client's connect can complete
   * before the server has accepted the connection.
   */
  accepted(i = 0): Promise<P> {
    const p = this.built[i];
    if (p !== undefined) return Promise.resolve(p);
    return new Promise((resolve) =>
      this.#waiters.push([i, () => resolve(this.built[i]!)])
    );
  }
  override clientConnectionFailed(_c: IConnector, reason: Failure): void {
    this.failed.push(reason);
  }
  override clientConnectionLost(_c: IConnector, reason: Failure): void {
    this.lostReasons.push(reason);
  }
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 11)) % 251;
  return out;
}

async function listen<P extends Protocol>(
  P: new () => P,
): Promise<{ port: IListeningPort; factory: Keeping<P>; number: number }> {
  const factory = Keeping.forProtocol(P) as Keeping<P>;
  const port = await listenTCP(reactor, 0, factory, LOCAL);
  return { port, factory, number: port.getHost().port };
}

async function connect<P extends Protocol>(
  number: number,
  P: new () => P,
): Promise<P> {
  return await connectTCP(
    reactor,
    "127.0.0.1",
    number,
    ClientFactory.forProtocol(P),
  );
}

describe("listenTCP and connectTCP", () => {
  let logged: string[] = [];
  let previousLogger: ReturnType<typeof setFailureLogger>;
  beforeEach(() => {
    logged = [];
    previousLogger = setFailureLogger((_m, f) =>
      logged.push(f.getErrorMessage())
    );
  });
  afterEach(() => {
    setFailureLogger(previousLogger);
    flushLoggedErrors();
  });

  it("echoes 1 MB intact across many dataReceived calls", async () => {
    const { port, number } = await listen(Echo);
    const data = pattern(1 << 20);
    const done = signal();
    class Client extends Recorder {
      override connectionMade(): void {
        this.transport.write(data);
      }
      override dataReceived(chunk: Uint8Array): void {
        super.dataReceived(chunk);
        if (this.received === data.length) done.resolve();
      }
    }
    const client = await connect(number, Client);
    await done.promise;
    assert.deepEqual(client.bytes(), data);
    assert.ok(client.calls > 1, `expected many chunks, got ${client.calls}`);
    client.transport.loseConnection();
    assert.ok((await client.lost.promise).check(ConnectionDone));
    await port.stopListening();
  });

  it("sends everything written before loseConnection, and while it flushes, then closes cleanly", async () => {
    const data = pattern(3 << 20);
    const tail = new TextEncoder().encode("written after loseConnection");
    class Sender extends Recorder {
      override connectionMade(): void {
        for (let at = 0; at < data.length; at += 65536) {
          this.transport.write(data.subarray(at, at + 65536));
        }
        this.transport.loseConnection();
        // Sent, as in Twisted: the data before it is still being flushed.
        this.transport.write(tail);
      }
    }
    const { port, number, factory } = await listen(Sender);
    const client = await connect(number, Recorder);
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
    const want = new Uint8Array(data.length + tail.length);
    want.set(data);
    want.set(tail, data.length);
    assert.deepEqual(client.bytes(), want);
    assert.ok((await factory.built[0]!.lost.promise).check(ConnectionDone));
    await port.stopListening();
  });

  it("serves 50 concurrent clients, each getting its own answers", async () => {
    const { port, number, factory } = await listen(Echo);
    const clients = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const want = new TextEncoder().encode(`client ${i} `.repeat(100));
        const done = signal();
        class Client extends Recorder {
          override connectionMade(): void {
            this.transport.write(want);
          }
          override dataReceived(chunk: Uint8Array): void {
            super.dataReceived(chunk);
            if (this.received >= want.length) done.resolve();
          }
        }
        const c = await connect(number, Client);
        await done.promise;
        assert.deepEqual(c.bytes(), want);
        c.transport.loseConnection();
        return c;
      }),
    );
    await Promise.all(clients.map((c) => c.lost.promise));
    await Promise.all(factory.built.map((p) => p.lost.promise));
    assert.equal(factory.built.length, 50);
    await port.stopListening();
  });

  it("fails with ConnectionRefusedError and calls clientConnectionFailed when nothing listens", async () => {
    const { port, number } = await listen(Protocol);
    await port.stopListening();
    const factory = Keeping.forProtocol(Recorder) as Keeping<Recorder>;
    let started = 0, stopped = 0;
    factory.startFactory = () => started++;
    factory.stopFactory = () => stopped++;
    await assert.rejects(
      connectTCP(reactor, "127.0.0.1", number, factory).asPromise(),
      ConnectionRefusedError,
    );
    assert.equal(factory.failed.length, 1);
    assert.ok(factory.failed[0]!.check(ConnectionRefusedError));
    assert.deepEqual([started, stopped], [1, 1]);
    assert.equal(factory.built.length, 0);
  });

  it("lets clientConnectionFailed retry through the connector", async () => {
    const { port, number } = await listen(Protocol);
    await port.stopListening();
    let tries = 0;
    class Retry extends ClientFactory {
      override clientConnectionFailed(connector: IConnector): void {
        if (++tries < 3) connector.connect();
      }
    }
    await assert.rejects(
      connectTCP(reactor, "127.0.0.1", number, Retry.forProtocol(Protocol))
        .asPromise(),
      ConnectionRefusedError,
    );
    assert.equal(tries, 3);
  });

  it("drops a connection whose protocol throws in dataReceived, logs the error, and keeps serving", async () => {
    class Fragile extends Echo {
      override dataReceived(data: Uint8Array): void {
        if (new TextDecoder().decode(data).includes("boom")) {
          throw new RangeError("Cannot handle boom");
        }
        super.dataReceived(data);
      }
    }
    const { port, number, factory } = await listen(Fragile);
    const victim = await connect(number, Recorder);
    victim.transport.write("boom");
    const serverReason = await (await factory.accepted()).lost.promise;
    assert.ok(serverReason.check(RangeError));
    await victim.lost.promise;
    assert.deepEqual(
      flushLoggedErrors(RangeError).map((f) => f.getErrorMessage()),
      ["Cannot handle boom"],
    );

    const done = signal();
    class Client extends Recorder {
      override connectionMade(): void {
        this.transport.write("still there?");
      }
      override dataReceived(chunk: Uint8Array): void {
        super.dataReceived(chunk);
        if (this.received === 12) done.resolve();
      }
    }
    const next = await connect(number, Client);
    await done.promise;
    assert.equal(new TextDecoder().decode(next.bytes()), "still there?");
    next.transport.loseConnection();
    await next.lost.promise;
    await port.stopListening();
  });

  it("drops a connection whose connectionMade throws, and logs the error", async () => {
    class Broken extends Recorder {
      override connectionMade(): void {
        throw new Error("Cannot start");
      }
    }
    const { port, number, factory } = await listen(Broken);
    const client = await connect(number, Recorder);
    await client.lost.promise;
    assert.ok((await factory.built[0]!.lost.promise).check(Error));
    assert.equal(flushLoggedErrors().length, 1);
    await port.stopListening();
  });

  it("logs an error thrown by connectionLost and carries on", async () => {
    class Grumpy extends Recorder {
      override connectionLost(reason: Failure): void {
        super.connectionLost(reason);
        throw new Error("Cannot say goodbye");
      }
    }
    const { port, number, factory } = await listen(Grumpy);
    const client = await connect(number, Recorder);
    const server = await factory.accepted();
    client.transport.loseConnection();
    await server.lost.promise;
    await client.lost.promise;
    assert.deepEqual(flushLoggedErrors().map((f) => f.getErrorMessage()), [
      "Cannot say goodbye",
    ]);
    await port.stopListening();
  });

  it("closes the connection when buildProtocol returns null or throws", async () => {
    let calls = 0;
    class Picky extends Factory {
      override buildProtocol(): Protocol | null {
        if (++calls === 1) return null;
        throw new Error("Cannot build");
      }
    }
    const port = await listenTCP(reactor, 0, new Picky(), LOCAL);
    const a = await connect(port.getHost().port, Recorder);
    assert.ok((await a.lost.promise).check(ConnectionDone, ConnectionLost));
    const b = await connect(port.getHost().port, Recorder);
    await b.lost.promise;
    assert.deepEqual(flushLoggedErrors().map((f) => f.getErrorMessage()), [
      "Cannot build",
    ]);
    await port.stopListening();
  });

  it("fails a client connect with NoProtocol when the client factory builds none", async () => {
    const { port, number, factory } = await listen(Recorder);
    class None extends ClientFactory {
      override buildProtocol(): null {
        return null;
      }
    }
    await assert.rejects(
      connectTCP(reactor, "127.0.0.1", number, new None()).asPromise(),
      NoProtocol,
    );
    await (await factory.accepted()).lost.promise;
    await port.stopListening();
  });

  it("gives both sides each other's addresses", async () => {
    const { port, number, factory } = await listen(Recorder);
    const client = await connect(number, Recorder);
    const server = await factory.accepted();
    await server.made.promise;
    assert.ok(client.transport.getPeer() instanceof IPv4Address);
    assert.deepEqual(
      client.transport.getPeer(),
      new IPv4Address("TCP", "127.0.0.1", number),
    );
    assert.deepEqual(server.transport.getPeer(), client.transport.getHost());
    assert.deepEqual(server.transport.getHost(), client.transport.getPeer());
    client.transport.loseConnection();
    await server.lost.promise;
    await port.stopListening();
  });

  it("tells the client factory about a lost connection after the protocol's connectionLost", async () => {
    const { port, number, factory: serverFactory } = await listen(Recorder);
    const order: string[] = [];
    class Client extends Recorder {
      override connectionLost(reason: Failure): void {
        order.push("protocol");
        super.connectionLost(reason);
      }
    }
    const gone = signal<Failure>();
    class Told extends ClientFactory<Client> {
      override clientConnectionLost(_c: IConnector, reason: Failure): void {
        order.push("factory");
        gone.resolve(reason);
      }
    }
    await connectTCP(
      reactor,
      "127.0.0.1",
      number,
      Told.forProtocol(Client) as Told,
    );
    const server = await serverFactory.accepted();
    await server.made.promise;
    server.transport.loseConnection();
    assert.ok((await gone.promise).check(ConnectionDone));
    assert.deepEqual(order, ["protocol", "factory"]);
    await port.stopListening();
  });

  it("cancels the connect timeout once connected", async () => {
    const r = new Reactor();
    const port = await listenTCP(r, 0, Factory.forProtocol(Recorder), LOCAL);
    const d = connectTCP(
      r,
      "127.0.0.1",
      port.getHost().port,
      ClientFactory.forProtocol(Recorder),
    );
    assert.equal(r.getDelayedCalls().length, 1);
    const client = await d;
    assert.equal(r.getDelayedCalls().length, 0);
    client.transport.loseConnection();
    await client.lost.promise;
    await port.stopListening();
  });

  it("drops a LineReceiver's client whose line is longer than MAX_LENGTH", async () => {
    const lines: string[] = [];
    class Short extends LineReceiver {
      override MAX_LENGTH = 100;
      override lineReceived(line: string): void {
        lines.push(line);
      }
    }
    const port = await listenTCP(reactor, 0, Factory.forProtocol(Short), LOCAL);
    const client = await connect(port.getHost().port, Recorder);
    client.transport.write(
      `${"a".repeat(100)}\r\n${"b".repeat(5000)}\r\nnever\r\n`,
    );
    // Done or Lost: data still unread when the server closes makes a reset.
    assert.ok(
      (await client.lost.promise).check(ConnectionDone, ConnectionLost),
    );
    assert.deepEqual(lines, ["a".repeat(100)]);
    await port.stopListening();
  });

  it("reports ConnectionLost when the other side resets the connection", async () => {
    // A raw server that answers the first data with a reset (RST).
    const server = createServer((s) =>
      s.once("data", () => s.resetAndDestroy())
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = await connect(
      (server.address() as AddressInfo).port,
      Recorder,
    );
    client.transport.write("hello?");
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionLost), reason.getErrorMessage());
    assert.equal(reason.check(ConnectionAborted), null);
    server.close();
    await once(server, "close");
  });

  it("abortConnection drops unsent data and reports ConnectionAborted", async () => {
    const { port, number, factory } = await listen(Recorder);
    const client = await connect(number, Recorder);
    client.transport.write(pattern(8 << 20));
    client.transport.abortConnection();
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionAborted));
    await factory.built[0]!.lost.promise;
    assert.ok(factory.built[0]!.received < 8 << 20);
    await port.stopListening();
  });

  it("stopListening refuses new connections but keeps open ones", async () => {
    const { port, number, factory } = await listen(Echo);
    const client = await connect(number, Recorder);
    // Accepted before the port closes, or closing it would refuse it too.
    const server = await factory.accepted();
    await port.stopListening();
    await assert.rejects(connect(number, Recorder), ConnectionRefusedError);
    const done = signal();
    client.dataReceived = function (data: Uint8Array): void {
      Recorder.prototype.dataReceived.call(this, data);
      done.resolve();
    };
    client.transport.write("x");
    await done.promise;
    client.transport.loseConnection();
    await server.lost.promise;
  });

  it("calls startFactory when listening starts and stopFactory when it stops", async () => {
    const log: string[] = [];
    class Noted extends Factory {
      override startFactory(): void {
        log.push("start");
      }
      override stopFactory(): void {
        log.push("stop");
      }
    }
    const f = Noted.forProtocol(Protocol);
    const a = await listenTCP(reactor, 0, f, LOCAL);
    const b = await listenTCP(reactor, 0, f, LOCAL);
    await a.stopListening();
    assert.deepEqual(log, ["start"]);
    await b.stopListening();
    assert.deepEqual(log, ["start", "stop"]);
  });

  it("fails with CannotListenError for a port in use or an absent interface", async () => {
    const { port, number } = await listen(Protocol);
    const f = Factory.forProtocol(Protocol);
    await assert.rejects(
      listenTCP(reactor, number, f, LOCAL).asPromise(),
      (e: CannotListenError) => {
        assert.ok(e instanceof CannotListenError);
        assert.match(
          e.message,
          /^Cannot listen on 127\.0\.0\.1:\d+: address already in use$/,
        );
        return true;
      },
    );
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    await assert.rejects(
      listenTCP(reactor, 0, f, { interface: "192.0.2.1" }).asPromise(),
      CannotListenError,
    );
    assert.equal(f.numPorts, 0);
    await port.stopListening();
  });

  it("times a connect out by the reactor's clock with TimeoutError", async () => {
    const { port, number } = await listen(Protocol);
    const clock = new Clock();
    const factory = Keeping.forProtocol(Recorder) as Keeping<Recorder>;
    const d = connectTCP(clock, "127.0.0.1", number, factory, { timeout: 5 });
    clock.advance(4.9);
    assert.equal(d.called, false);
    clock.advance(0.1);
    await assert.rejects(
      d.asPromise(),
      (e: TimeoutError) => e instanceof TimeoutError && e.timeout === 5,
    );
    assert.ok(factory.failed[0]?.check(TimeoutError));
    assert.equal(clock.getDelayedCalls().length, 0);
    await port.stopListening();
  });

  it("fails a connect with a negative, NaN, infinite or non-number timeout, starting nothing", async () => {
    for (const timeout of [-1, NaN, Infinity, "5" as unknown as number]) {
      const factory = Keeping.forProtocol(Recorder) as Keeping<Recorder>;
      let started = 0;
      factory.startFactory = () => started++;
      const d = connectTCP(reactor, "127.0.0.1", 1, factory, { timeout });
      await assert.rejects(
        d.asPromise(),
        typeof timeout === "number" ? RangeError : TypeError,
      );
      assert.equal(started, 0);
      assert.equal(factory.failed.length, 0);
    }
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("cancelling a connect fails it with ConnectingCancelledError and tells the factory", async () => {
    const { port, number } = await listen(Protocol);
    const factory = Keeping.forProtocol(Recorder) as Keeping<Recorder>;
    const d = connectTCP(reactor, "127.0.0.1", number, factory);
    d.cancel();
    await assert.rejects(d.asPromise(), ConnectingCancelledError);
    assert.ok(factory.failed[0]?.check(ConnectingCancelledError));
    assert.equal(reactor.getDelayedCalls().length, 0);
    await port.stopListening();
  });

  it("closes ports and connections when the reactor shuts down", async () => {
    const r = new Reactor();
    const factory = Keeping.forProtocol(Recorder) as Keeping<Recorder>;
    const port = await listenTCP(r, 0, factory, LOCAL);
    const client = await connectTCP(
      r,
      "127.0.0.1",
      port.getHost().port,
      ClientFactory.forProtocol(Recorder),
    );
    const server = await factory.accepted();
    await server.made.promise;
    r.callWhenRunning(() => r.stop());
    await r.run();
    assert.ok((await client.lost.promise).check(ConnectionLost));
    assert.ok((await server.lost.promise).check(ConnectionLost));
    await assert.rejects(
      connect(port.getHost().port, Recorder),
      ConnectionRefusedError,
    );
  });
});

describe("listenTCP and connectTCP over IPv6", () => {
  it("give IPv6Address for the port, the destination and both ends on ::1", async () => {
    const port = await listenTCP(reactor, 0, Factory.forProtocol(Echo), {
      interface: "::1",
    });
    assert.ok(port.getHost() instanceof IPv6Address);
    let destination: unknown;
    class Watching extends ClientFactory<Recorder> {
      override startedConnecting(connector: IConnector): void {
        destination = connector.getDestination();
      }
    }
    const factory = new Watching();
    factory.protocol = Recorder;
    const client = await connectTCP(
      reactor,
      "::1",
      port.getHost().port,
      factory,
    );
    assert.deepEqual(
      destination,
      new IPv6Address("TCP", "::1", port.getHost().port),
    );
    assert.ok(client.transport.getPeer() instanceof IPv6Address);
    assert.ok(client.transport.getHost() instanceof IPv6Address);
    client.transport.loseConnection();
    await client.lost.promise;
    await port.stopListening();
  });
});
