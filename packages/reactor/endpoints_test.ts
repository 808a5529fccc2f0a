import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, type Failure } from "@twixt/defer";
import {
  CannotListenError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  connectProtocol,
  Factory,
  LineReceiver,
  NoProtocol,
  Protocol,
  reactor,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
} from "./mod.ts";
import { signal } from "./_tcp_test_util.ts";

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
    assert.equal(await mine.line.promise, "hello");
    mine.transport.loseConnection();
    await mine.lost.promise;
    await port.stopListening();
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
    const port = await server.listen(Factory.forProtocol(Greeter));
    const again = new TCP4ServerEndpoint(reactor, port.getHost().port, {
      interface: "127.0.0.1",
    });
    await assert.rejects(
      again.listen(Factory.forProtocol(Greeter)).asPromise(),
      CannotListenError,
    );
    await port.stopListening();
  });
});
