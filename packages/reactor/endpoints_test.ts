import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type Failure } from "@twixt/defer";
import {
  CannotListenError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  connectProtocol,
  DNSLookupError,
  Factory,
  type IListeningPort,
  IPv6Address,
  type IStreamServerEndpoint,
  LineReceiver,
  NoProtocol,
  Protocol,
  reactor,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
} from "./mod.ts";
import { Recorder, signal } from "./_tcp_test_util.ts";

class Greeter extends LineReceiver {
  override connectionMade(): void {
    this.sendLine("hello");
  }
  override lineReceived(line: string): void {
    if (line === "bye") this.transport.loseConnection();
  }
}

class Listener extends LineReceiver {
  line = signal<string>();
  lost = signal<Failure>();
  override lineReceived(line: string): void {
    this.line.resolve(line);
  }
  override connectionLost(reason: Failure): void {
    this.lost.resolve(reason);
  }
}

// Checks that `p` was greeted, then closes its connection and `port`.
async function expectHelloAndHangUp(
  p: Listener,
  port: IListeningPort,
): Promise<void> {
  assert.equal(await p.line.promise, "hello");
  p.transport.loseConnection();
  await p.lost.promise;
  await port.stopListening();
}

// Listens on `endpoint`, then checks that listening again on the same port,
// through `samePort(number)`, fails with CannotListenError.
async function assertPortTaken(
  endpoint: IStreamServerEndpoint,
  samePort: (port: number) => IStreamServerEndpoint,
): Promise<void> {
  const port = await endpoint.listen(Factory.forProtocol(Greeter));
  await assert.rejects(
    samePort(port.getHost().port).listen(Factory.forProtocol(Greeter))
      .asPromise(),
    CannotListenError,
  );
  await port.stopListening();
}

const server = new TCP4ServerEndpoint(reactor, 0, { interface: "127.0.0.1" });

describe("TCP endpoints", () => {
  it("listen on a server endpoint and connect through a client endpoint", async () => {
    const port = await server.listen(Factory.forProtocol(Greeter));
    assert.equal(port.getHost().host, "127.0.0.1");
    const client = new TCP4ClientEndpoint(
      reactor,
      "127.0.0.1",
      port.getHost().port,
    );
    const p = await client.connect(Factory.forProtocol(Listener));
    assert.ok(p instanceof Listener);
    assert.equal(await p.line.promise, "hello");
    p.sendLine("bye");
    await p.lost.promise;
    await port.stopListening();
  });

  it("connectProtocol runs the given protocol instance on the connection", async () => {
    const port = await server.listen(Factory.forProtocol(Greeter));
    const mine = new Listener();
    const p = await connectProtocol(
      new TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port),
      mine,
    );
    assert.equal(p, mine);
    assert.equal(p.factory, undefined);
    await expectHelloAndHangUp(mine, port);
  });

  it("cancelling a connect stops it with ConnectingCancelledError, a CancelledError", async () => {
    const port = await server.listen(Factory.forProtocol(Greeter));
    let built = 0;
    class Counting extends Factory {
      override buildProtocol(): Protocol {
        built++;
        return new Protocol();
      }
    }
    const d = new TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
      .connect(new Counting());
    d.cancel();
    await assert.rejects(
      d.asPromise(),
      (e) =>
        e instanceof ConnectingCancelledError && e instanceof CancelledError,
    );
    assert.equal(built, 0);
    await port.stopListening();
  });

  it("fails a connect with ConnectionRefusedError when nothing listens", async () => {
    const port = await server.listen(Factory.forProtocol(Greeter));
    const number = port.getHost().port;
    await port.stopListening();
    const client = new TCP4ClientEndpoint(reactor, "127.0.0.1", number);
    await assert.rejects(
      client.connect(Factory.forProtocol(Protocol)).asPromise(),
      ConnectionRefusedError,
    );
  });

  it("fails a connect with NoProtocol when the factory builds none", async () => {
    const lost = signal();
    class Watch extends Protocol {
      override connectionLost(): void {
        lost.resolve();
      }
    }
    const port = await server.listen(Factory.forProtocol(Watch));
    class Refusing extends Factory {
      override buildProtocol(): null {
        return null;
      }
    }
    const client = new TCP4ClientEndpoint(
      reactor,
      "127.0.0.1",
      port.getHost().port,
    );
    await assert.rejects(
      client.connect(new Refusing()).asPromise(),
      NoProtocol,
    );
    await lost.promise;
    await port.stopListening();
  });

  it("fails a listen with CannotListenError when the port is taken", async () => {
    await assertPortTaken(
      server,
      (n) => new TCP4ServerEndpoint(reactor, n, { interface: "127.0.0.1" }),
    );
  });
});

// A name table standing in for the system resolver, so that no test sends
// a DNS query off this machine.
const names: Record<string, string> = { "here.test": "::1" };
function resolveName(name: string): Promise<string> {
  const address = names[name];
  return address === undefined
    ? Promise.reject(new Error(`No IPv6 address for ${name}`))
    : Promise.resolve(address);
}

describe("TCP6 endpoints", () => {
  const server6 = new TCP6ServerEndpoint(reactor, 0, { interface: "::1" });

  it("listen on ::1 and connect to it, with IPv6Address on both ends", async () => {
    const served = signal<Recorder>();
    class Serving extends Factory<Recorder> {
      override buildProtocol(addr: unknown): Recorder {
        assert.ok(addr instanceof IPv6Address);
        const p = new Recorder();
        served.resolve(p);
        return p;
      }
    }
    const port = await server6.listen(new Serving());
    const host = port.getHost();
    assert.ok(host instanceof IPv6Address);
    assert.equal(host.host, "::1");
    assert.ok(host.port > 0);
    const client = await new TCP6ClientEndpoint(reactor, "::1", host.port)
      .connect(Factory.forProtocol(Greeter));
    const peer = client.transport.getPeer();
    assert.ok(peer instanceof IPv6Address);
    assert.deepEqual([peer.host, peer.port], ["::1", host.port]);
    assert.ok(client.transport.getHost() instanceof IPv6Address);
    const other = await served.promise;
    await other.made.promise;
    assert.ok(other.transport.getHost() instanceof IPv6Address);
    assert.ok(other.transport.getPeer() instanceof IPv6Address);
    assert.equal(
      String(other.transport.getPeer()),
      `IPv6Address(type='TCP', host='::1', port=${client.transport.getHost().port})`,
    );
    client.transport.loseConnection();
    await other.lost.promise;
    await port.stopListening();
  });

  it("listens on every IPv6 interface, ::, by default", async () => {
    // Closed at once: nothing connects to it.
    const port = await new TCP6ServerEndpoint(reactor, 0)
      .listen(Factory.forProtocol(Protocol));
    assert.ok(port.getHost() instanceof IPv6Address);
    assert.equal(port.getHost().host, "::");
    await port.stopListening();
  });

  it("connects from a bindAddress on ::1", async () => {
    const port = await server6.listen(Factory.forProtocol(Greeter));
    const client = await new TCP6ClientEndpoint(
      reactor,
      "::1",
      port.getHost().port,
      { bindAddress: { host: "::1" }, timeout: 5 },
    ).connect(Factory.forProtocol(Listener));
    assert.equal(client.transport.getHost().host, "::1");
    await expectHelloAndHangUp(client, port);
  });

  it("fails a connect with ConnectionRefusedError when nothing listens on ::1", async () => {
    const port = await server6.listen(Factory.forProtocol(Greeter));
    const number = port.getHost().port;
    await port.stopListening();
    await assert.rejects(
      new TCP6ClientEndpoint(reactor, "::1", number)
        .connect(Factory.forProtocol(Protocol)).asPromise(),
      ConnectionRefusedError,
    );
  });

  it("fails a listen with CannotListenError when the ::1 port is taken", async () => {
    await assertPortTaken(
      server6,
      (n) => new TCP6ServerEndpoint(reactor, n, { interface: "::1" }),
    );
  });

  it("resolves a host name to its IPv6 address with the resolver it was given", async () => {
    const asked: string[] = [];
    const port = await server6.listen(Factory.forProtocol(Greeter));
    const client = await new TCP6ClientEndpoint(
      reactor,
      "here.test",
      port.getHost().port,
      {
        resolve: (name) => {
          asked.push(name);
          return resolveName(name);
        },
      },
    ).connect(Factory.forProtocol(Listener));
    assert.deepEqual(asked, ["here.test"]);
    assert.equal(client.transport.getPeer().host, "::1");
    await expectHelloAndHangUp(client, port);
  });

  it("fails with DNSLookupError when the name has no IPv6 address", async () => {
    const e = await new TCP6ClientEndpoint(reactor, "elsewhere.test", 9, {
      resolve: resolveName,
    }).connect(Factory.forProtocol(Protocol)).asPromise().then(
      () => assert.fail("connected"),
      (e: unknown) => e,
    );
    assert.ok(e instanceof DNSLookupError);
    assert.match((e as Error).message, /elsewhere\.test/);
  });

  it("fails with DNSLookupError when the resolver gives something that is not an IPv6 address", async () => {
    await assert.rejects(
      new TCP6ClientEndpoint(reactor, "v4.test", 9, {
        resolve: () => "127.0.0.1",
      })
        .connect(Factory.forProtocol(Protocol)).asPromise(),
      DNSLookupError,
    );
  });

  it("does not resolve an IPv6 literal", async () => {
    const port = await server6.listen(Factory.forProtocol(Greeter));
    const client = await new TCP6ClientEndpoint(
      reactor,
      "::1",
      port.getHost().port,
      {
        resolve: () => {
          throw new Error("Should not be asked");
        },
      },
    ).connect(Factory.forProtocol(Listener));
    await expectHelloAndHangUp(client, port);
  });

  it("cancelling a connect while resolving fails it with CancelledError and connects nothing", async () => {
    let built = 0;
    class Counting extends Factory {
      override buildProtocol(): Protocol {
        built++;
        return new Protocol();
      }
    }
    let answer: (address: string) => void = () => {};
    const d = new TCP6ClientEndpoint(reactor, "here.test", 9, {
      resolve: () => new Promise<string>((r) => (answer = r)),
    }).connect(new Counting());
    d.cancel();
    await assert.rejects(d.asPromise(), CancelledError);
    answer("::1"); // the lookup's late answer is dropped: nothing connects
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(built, 0);
  });
});
