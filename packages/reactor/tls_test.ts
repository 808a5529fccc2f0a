import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { type Failure, TimeoutError } from "@twixt/defer";
import {
  CertificateExpiredError,
  CertificateOptions,
  ClientFactory,
  ConnectingCancelledError,
  ConnectionDone,
  ConnectionLost,
  connectProtocol,
  connectSSL,
  connectTCP,
  Factory,
  type IConnector,
  type IListeningPort,
  type IPushProducer,
  LineReceiver,
  listenSSL,
  listenTCP,
  optionsForClientTLS,
  Protocol,
  reactor,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCPTransport,
  TLSError,
  TLSHandshakeError,
  VerificationError,
  VerifyError,
} from "./mod.ts";
import { Recorder, signal } from "./_tcp_test_util.ts";
import { CA, privateCertificate, serverOptions } from "./_tls_test_util.ts";

const LOCAL = { interface: "127.0.0.1" };
const trusting = (host = "localhost") =>
  optionsForClientTLS(host, { trustRoot: CA });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Listens with TLS on 127.0.0.1; stopped after the test. */
async function listen(
  factory: Factory<Protocol>,
  options = serverOptions(),
): Promise<{ port: IListeningPort; number: number }> {
  const port = await listenSSL(reactor, 0, factory, options, LOCAL);
  cleanups.push(() => port.stopListening());
  return { port, number: port.getHost().port };
}

/** connectSSL of a Recorder to 127.0.0.1:`port`, trusting the test CA. */
function connectRecorder(
  port: number,
  opts: { timeout?: number } = {},
): ReturnType<typeof connectSSL<Recorder>> {
  return connectSSL(
    reactor,
    "127.0.0.1",
    port,
    ClientFactory.forProtocol(Recorder),
    trusting(),
    opts,
  );
}

/** A factory that keeps what it builds. */
class Keeping<P extends Protocol> extends ClientFactory<P> {
  built: P[] = [];
  failed: Failure[] = [];
  constructor(protocol: new () => P) {
    super();
    this.protocol = protocol;
  }
  override buildProtocol(addr: Parameters<Factory["buildProtocol"]>[0]): P {
    const p = super.buildProtocol(addr) as P;
    this.built.push(p);
    return p;
  }
  override clientConnectionFailed(_c: IConnector, reason: Failure): void {
    this.failed.push(reason);
  }
}

// A pattern no chunk boundary lines up with: byte i is BLOCK[i % 65521].
const BLOCK = new Uint8Array(65521).map((_, i) => (i * 131 + (i >> 7)) & 255);

/** Writes `total` bytes of the pattern as a streaming producer. */
class PatternProducer implements IPushProducer {
  sent = 0;
  pauses = 0;
  #paused = false;
  constructor(readonly transport: TCPTransport, readonly total: number) {}
  start(): void {
    this.transport.registerProducer(this, true);
    this.resumeProducing();
  }
  pauseProducing(): void {
    this.#paused = true;
    this.pauses++;
  }
  resumeProducing(): void {
    this.#paused = false;
    // Bounded: at most total / 16 KiB rounds in all.
    while (!this.#paused && this.sent < this.total) {
      const at = this.sent % BLOCK.length;
      const n = Math.min(16384, BLOCK.length - at, this.total - this.sent);
      this.sent += n;
      this.transport.write(BLOCK.subarray(at, at + n));
    }
    if (this.sent === this.total) this.transport.unregisterProducer();
  }
  stopProducing(): void {
    this.#paused = true;
  }
}

/** Echoes, pausing reading while its own writes back up (Twisted's way). */
class Echo extends Protocol {
  override connectionMade(): void {
    this.transport.registerProducer(this.transport, true);
  }
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** Checks what arrives against the pattern, byte for byte. */
class PatternChecker extends Protocol {
  received = 0;
  mismatch = -1;
  producer: PatternProducer | undefined;
  lost = signal<Failure>();
  constructor(readonly total = 0) {
    super();
  }
  override connectionMade(): void {
    this.producer = new PatternProducer(
      this.transport as TCPTransport,
      this.total,
    );
    this.producer.start();
  }
  override dataReceived(data: Uint8Array): void {
    for (let i = 0; i < data.length && this.mismatch < 0; i++) {
      if (data[i] !== BLOCK[(this.received + i) % BLOCK.length]) {
        this.mismatch = this.received + i;
      }
    }
    this.received += data.length;
    // All echoed: close (TLS has no half-close to wait on the echo with).
    if (this.received >= this.total) this.transport.loseConnection();
  }
  override connectionLost(reason: Failure): void {
    this.lost.resolve(reason);
  }
}

describe("listenSSL and connectSSL", () => {
  it("echo 50 MB byte-exact through TLS both ways, with backpressure on both sides", async () => {
    const { number } = await listen(Factory.forProtocol(Echo));
    const total = 50 * 1024 * 1024;
    const client = await connectSSL(
      reactor,
      "127.0.0.1",
      number,
      ClientFactory.forProtocol(
        class extends PatternChecker {
          constructor() {
            super(total);
          }
        },
      ),
      trusting(),
    );
    const reason = await client.lost.promise;
    assert.equal(client.mismatch, -1, `first wrong byte at ${client.mismatch}`);
    assert.equal(client.received, total);
    assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
    assert.ok(client.producer!.pauses > 0, "the producer was never paused");
  });

  it("gives the protocol a TLS transport with the TCP addresses, and a clean close flushes", async () => {
    const mb = new Uint8Array(1024 * 1024).fill(7);
    class Sender extends Protocol {
      override connectionMade(): void {
        this.transport.write(mb);
        this.transport.write("end");
        this.transport.loseConnection();
      }
    }
    const { number } = await listen(Factory.forProtocol(Sender));
    const client = await connectSSL(
      reactor,
      "127.0.0.1",
      number,
      ClientFactory.forProtocol(Recorder),
      trusting("127.0.0.1"),
    );
    assert.ok(client.transport instanceof TCPTransport);
    assert.equal(client.transport.getPeer().port, number);
    assert.equal(client.transport.getHost().host, "127.0.0.1");
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
    assert.equal(client.received, mb.length + 3);
    assert.equal(new TextDecoder().decode(client.bytes().subarray(-3)), "end");
  });

  it(
    "answers the other side's close_notify with its own, as a peer that waits for it (Twisted) needs",
    {
      timeout: 20_000,
    },
    async () => {
      const server = new Recorder();
      const { number } = await listen(
        new (class extends Factory<Recorder> {
          override buildProtocol(): Recorder {
            return server;
          }
        })(),
      );
      // A TLS client that, as Twisted's, sends close_notify and then waits
      // for the server's before closing TCP: its stream never sends FIN.
      const { connect } = await import("node:tls");
      const { Duplex } = await import("node:stream");
      const { connect: tcp } = await import("node:net");
      const raw = tcp(number, "127.0.0.1");
      await once(raw, "connect");
      const noFin = new Duplex({
        read: () => void raw.resume(),
        write: (chunk, _e, cb) => void raw.write(chunk, cb),
        final: (cb) => cb(),
      });
      raw.on("data", (b) => noFin.push(b));
      raw.on("end", () => noFin.push(null));
      const socket = connect({
        socket: noFin,
        servername: "localhost",
        ca: [CA.dumpPEM()],
      });
      socket.on("error", () => {});
      await once(socket, "secureConnect");
      socket.end("bye");
      // The server's close_notify (or its FIN) ends our reading side;
      // without it, this waits until the test times out.
      socket.resume();
      await once(socket, "end");
      raw.destroy();
      const reason = await server.lost.promise;
      assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
      assert.equal(server.text(), "bye");
    },
  );

  it("the SSL endpoints connect any factory and listen, as the TCP ones", async () => {
    const port = await new SSL4ServerEndpoint(
      reactor,
      0,
      serverOptions(),
      LOCAL,
    ).listen(Factory.forProtocol(Echo));
    cleanups.push(() => port.stopListening());
    const endpoint = new SSL4ClientEndpoint(
      reactor,
      "localhost",
      port.getHost().port,
      trusting(),
    );
    const client = await connectProtocol(endpoint, new Recorder());
    client.transport.write("ping");
    for (let i = 0; i < 200 && client.received < 4; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(client.text(), "ping");
    client.transport.loseConnection();
    await client.lost.promise;
  });

  it("presents a client certificate to a server that requires one", async () => {
    class Peer extends Recorder {
      override connectionMade(): void {
        this.transport.write("hi");
        this.transport.loseConnection();
      }
    }
    const server = new CertificateOptions({
      certificate: privateCertificate("server"),
      trustRoot: CA,
    });
    const { number } = await listen(Factory.forProtocol(Peer), server);
    const client = await connectSSL(
      reactor,
      "127.0.0.1",
      number,
      ClientFactory.forProtocol(Recorder),
      optionsForClientTLS("localhost", {
        trustRoot: CA,
        clientCertificate: privateCertificate("client"),
      }),
    );
    await client.lost.promise;
    assert.equal(client.text(), "hi");
  });
});

describe("verifying the server", () => {
  async function failure(
    cert: "server" | "expired" | "untrusted",
    host: string,
  ): Promise<{ error: unknown; factory: Keeping<Recorder>; served: number }> {
    let served = 0;
    class Counted extends Protocol {
      override connectionMade(): void {
        served++;
      }
    }
    const { number } = await listen(
      Factory.forProtocol(Counted),
      serverOptions(cert),
    );
    const factory = new Keeping(Recorder);
    const error = await connectSSL(
      reactor,
      "127.0.0.1",
      number,
      factory,
      trusting(host),
    ).asPromise().then(() => undefined, (e) => e);
    return { error, factory, served };
  }

  it("a certificate for another name fails with VerificationError", async () => {
    const { error, factory } = await failure("server", "wrong.example");
    assert.ok(error instanceof VerificationError, String(error));
    assert.equal(error.hostname, "wrong.example");
    assert.match(error.message, /localhost/);
    assert.equal(factory.built.length, 0);
    assert.ok(factory.failed[0]?.check(VerificationError));
  });

  it("a self-signed certificate fails with VerifyError", async () => {
    const { error, factory } = await failure("untrusted", "localhost");
    assert.ok(error instanceof VerifyError, String(error));
    assert.ok(!(error instanceof CertificateExpiredError));
    assert.ok(!(error instanceof VerificationError));
    assert.ok(error instanceof TLSError && error instanceof ConnectionLost);
    assert.equal(factory.built.length, 0);
    assert.equal(factory.failed.length, 1);
  });

  it("an expired certificate fails with CertificateExpiredError", async () => {
    const { error } = await failure("expired", "localhost");
    assert.ok(error instanceof CertificateExpiredError, String(error));
    assert.equal(error.code, "CERT_HAS_EXPIRED");
    assert.equal(error.date.getUTCFullYear(), 2001);
  });

  it("a good certificate by name or by IP address passes", async () => {
    for (const host of ["localhost", "127.0.0.1"]) {
      const { error, factory } = await failure("server", host);
      assert.equal(error, undefined);
      factory.built[0]!.transport.loseConnection();
      await factory.built[0]!.lost.promise;
    }
  });
});

describe("the handshake", () => {
  /** A plain TCP server for the client to meet; closed after the test. */
  async function plainServer(
    onSocket: (s: import("node:net").Socket) => void,
  ): Promise<number> {
    const server: Server = createServer(onSocket);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    cleanups.push(() => new Promise((r) => server.close(r)));
    return (server.address() as { port: number }).port;
  }

  it("a server that closes during the handshake fails connectSSL with TLSHandshakeError", async () => {
    const number = await plainServer((s) => s.once("data", () => s.destroy()));
    const factory = new Keeping(Recorder);
    await assert.rejects(
      connectSSL(reactor, "127.0.0.1", number, factory, trusting())
        .asPromise(),
      TLSHandshakeError,
    );
    assert.equal(factory.built.length, 0);
  });

  it("a server that is not TLS fails connectSSL with TLSHandshakeError", async () => {
    const number = await plainServer((s) =>
      s.once("data", () => s.end("220 plain SMTP here\r\n"))
    );
    await assert.rejects(
      connectRecorder(number).asPromise(),
      TLSHandshakeError,
    );
  });

  it("cancelling connectSSL during the handshake stops it, and the timeout covers it", async () => {
    const sockets: import("node:net").Socket[] = [];
    const number = await plainServer((s) => {
      sockets.push(s);
      s.on("error", () => {});
    });
    const d = connectRecorder(number);
    for (let i = 0; i < 200 && sockets.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    d.cancel();
    await assert.rejects(d.asPromise(), ConnectingCancelledError);
    await assert.rejects(
      connectRecorder(number, { timeout: 0.2 }).asPromise(),
      TimeoutError,
    );
    for (const s of sockets) s.destroy();
  });

  it("a client that closes during the handshake is dropped by listenSSL without a protocol", async () => {
    let built = 0;
    class Counted extends Recorder {
      constructor() {
        super();
        built++;
      }
    }
    const factory = Factory.forProtocol(Counted);
    const { number } = await listen(factory);
    // A raw TCP client that says half a hello and leaves.
    const raw = await connectTCP(
      reactor,
      "127.0.0.1",
      number,
      ClientFactory.forProtocol(Recorder),
    );
    raw.transport.write(new Uint8Array([22, 3, 1, 0, 200, 1]));
    raw.transport.loseConnection();
    await raw.lost.promise;
    // And one that connects and closes at once.
    const other = await connectTCP(
      reactor,
      "127.0.0.1",
      number,
      ClientFactory.forProtocol(Recorder),
    );
    other.transport.abortConnection();
    await other.lost.promise;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(built, 0);
  });
});

describe("startTLS", () => {
  const LINES = 2000;
  const line = (kind: string, i: number) => `${kind}-${i}-${"x".repeat(400)}`;

  /** Every line a side received, in order, and how its connection ended. */
  class Side extends LineReceiver {
    got: string[] = [];
    lost = signal<Failure>();
    override connectionLost(reason: Failure): void {
      this.lost.resolve(reason);
    }
    sendMany(kind: string): void {
      for (let i = 0; i < LINES; i++) this.sendLine(line(kind, i));
    }
  }

  // The server (as in SMTP) answers STARTTLS with its last clear lines and
  // GO, switches at once while they may still be unsent, and writes
  // encrypted lines that wait for the client's handshake.
  class Server extends Side {
    override lineReceived(l: string): void {
      this.got.push(l);
      if (l === "STARTTLS") {
        this.sendMany("server-clear");
        this.sendLine("GO");
        (this.transport as TCPTransport).startTLS(serverOptions());
        this.sendMany("server-secret");
      } else if (l === "END") this.transport.loseConnection();
    }
  }

  // The client writes clear lines and STARTTLS, and on GO switches and at
  // once writes encrypted lines.
  class Client extends Side {
    constructor(readonly options = trusting()) {
      super();
    }
    override connectionMade(): void {
      this.sendMany("client-clear");
      this.sendLine("STARTTLS");
    }
    override lineReceived(l: string): void {
      this.got.push(l);
      if (l === "GO") {
        (this.transport as TCPTransport).startTLS(this.options);
        this.sendMany("client-secret");
        this.sendLine("END");
      }
    }
  }

  /** A plain TCP server of `S` and a client of `C` connected to it. */
  async function plainPair<S extends Protocol, C extends Protocol>(
    server: new () => S,
    client: new () => C,
  ): Promise<{ client: C; servers: S[] }> {
    const servers: S[] = [];
    const factory = Factory.forProtocol(server);
    const build = factory.buildProtocol.bind(factory);
    factory.buildProtocol = (addr) => {
      const p = build(addr) as S;
      servers.push(p);
      return p;
    };
    const port = await listenTCP(reactor, 0, factory, LOCAL);
    cleanups.push(() => port.stopListening());
    const c = await connectTCP(
      reactor,
      "127.0.0.1",
      port.getHost().port,
      ClientFactory.forProtocol(client),
    );
    return { client: c, servers };
  }

  const expect = (kind: string) =>
    Array.from({ length: LINES }, (_, i) => line(kind, i));

  it("switches mid-conversation with data in flight both ways: clear before, TLS after, the same protocols", async () => {
    const { client, servers } = await plainPair(Server, Client);
    const reason = await client.lost.promise;
    assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
    assert.deepEqual(client.got, [
      ...expect("server-clear"),
      "GO",
      ...expect("server-secret"),
    ]);
    const server = servers[0]!;
    await server.lost.promise;
    assert.deepEqual(server.got, [
      ...expect("client-clear"),
      "STARTTLS",
      ...expect("client-secret"),
      "END",
    ]);
    assert.throws(
      () => (server.transport as TCPTransport).startTLS(serverOptions()),
      /Cannot start TLS/,
    );
  });

  it(
    "a producer paused by clear data before the switch is resumed once it drains, and writes encrypted",
    {
      timeout: 30_000,
    },
    async () => {
      const clear = "c".repeat(4 * 1024 * 1024);
      // Registered while the clear data fills the buffer, so paused; it
      // writes its lines only when resumed, after the switch.
      class Lines implements IPushProducer {
        done = false;
        constructor(readonly side: LineReceiver) {}
        pauseProducing(): void {}
        resumeProducing(): void {
          if (this.done) return;
          this.done = true;
          for (let i = 0; i < 3; i++) this.side.sendLine(`secret-${i}`);
          this.side.transport.unregisterProducer();
          this.side.transport.loseConnection();
        }
        stopProducing(): void {}
      }
      class Busy extends Side {
        override lineReceived(l: string): void {
          if (l !== "STARTTLS") return;
          this.transport.write(clear);
          this.transport.registerProducer(new Lines(this), true);
          this.sendLine("");
          this.sendLine("GO");
          (this.transport as TCPTransport).startTLS(serverOptions());
        }
      }
      class Reader extends Client {
        override connectionMade(): void {
          this.MAX_LENGTH = clear.length + 10;
          this.sendLine("STARTTLS");
        }
        override lineReceived(l: string): void {
          this.got.push(l.length > 100 ? `${l.length} bytes` : l);
          if (l === "GO") {
            (this.transport as TCPTransport).startTLS(this.options);
          }
        }
      }
      const { client } = await plainPair(Busy, Reader);
      const reason = await client.lost.promise;
      assert.ok(reason.check(ConnectionDone), reason.getErrorMessage());
      assert.deepEqual(client.got, [
        `${clear.length} bytes`,
        "GO",
        "secret-0",
        "secret-1",
        "secret-2",
      ]);
    },
  );

  it("a server that fails verification loses the connection with the typed error", async () => {
    class UntrustedServer extends Server {
      override lineReceived(l: string): void {
        if (l !== "STARTTLS") return super.lineReceived(l);
        this.sendLine("GO");
        (this.transport as TCPTransport).startTLS(serverOptions("untrusted"));
      }
    }
    const { client } = await plainPair(UntrustedServer, Client);
    const reason = await client.lost.promise;
    assert.ok(reason.check(VerifyError), reason.getErrorMessage());
  });

  it("throws for a context factory that is not one, before anything changes", async () => {
    const { client } = await plainPair(Echo, Recorder);
    const t = client.transport as TCPTransport;
    assert.throws(() => t.startTLS({} as never), TypeError);
    assert.throws(() => t.startTLS(new CertificateOptions(), false), TypeError);
    t.write("still plain");
    for (let i = 0; i < 200 && client.received < 11; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(client.text(), "still plain");
    t.loseConnection();
    await client.lost.promise;
  });
});

describe("arguments", () => {
  it("a context factory that is not one, or a server without a certificate, fails before any I/O", async () => {
    await assert.rejects(
      listenSSL(reactor, 0, Factory.forProtocol(Echo), {} as never, LOCAL)
        .asPromise(),
      TypeError,
    );
    await assert.rejects(
      listenSSL(
        reactor,
        0,
        Factory.forProtocol(Echo),
        new CertificateOptions(),
        LOCAL,
      ).asPromise(),
      /needs a certificate/,
    );
    const factory = new Keeping(Recorder);
    let started = false;
    factory.startFactory = () => (started = true, undefined);
    await assert.rejects(
      connectSSL(reactor, "127.0.0.1", 1, factory, null as never).asPromise(),
      TypeError,
    );
    await assert.rejects(
      connectSSL(reactor, "127.0.0.1", 70000, factory, trusting()).asPromise(),
      RangeError,
    );
    assert.equal(started, false);
  });

  it("options are checked as they are made", () => {
    assert.throws(() => optionsForClientTLS(5 as never), TypeError);
    assert.throws(
      () => new CertificateOptions({ trustRoot: "ca" as never }),
      TypeError,
    );
    assert.throws(
      () => new CertificateOptions({ verify: "yes" as never }),
      TypeError,
    );
  });
});
