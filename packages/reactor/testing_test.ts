import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Failure,
  logError,
  setFailureLogger,
  TimeoutError,
} from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import {
  ClientFactory,
  ConnectingCancelledError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionRefusedError,
  connectProtocol,
  Factory,
  type IConnector,
  type IPushProducer,
  IPv6Address,
  LineReceiver,
  Protocol,
  Reactor,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
} from "./mod.ts";
import { Clock } from "./task.ts";
import {
  checkCleanReactor,
  connectedServerAndClient,
  DirtyReactorError,
  type IHalfCloseableProtocol,
  installCleanReactorCheck,
  MemoryReactor,
  MemoryReactorClock,
  MemoryTransport,
  StringTransport,
} from "./testing.ts";
import * as mod from "./mod.ts";
import * as testingModule from "./testing.ts";

const decoder = new TextDecoder();

// Whether `p` lost its connection with a reason of `type`.
function lostWith(p: Protocol, type: new (...a: never[]) => Error): boolean {
  const reason = (p as Recorder).reason;
  return reason?.check(type) != null;
}

// Records everything that happens to it.
class Recorder extends Protocol {
  events: string[] = [];
  received = "";
  reason: Failure | undefined;
  override connectionMade(): void {
    this.events.push("made");
  }
  override dataReceived(data: Uint8Array): void {
    this.events.push(`data ${data.length}`);
    this.received += decoder.decode(data);
  }
  override connectionLost(reason: Failure): void {
    this.reason = reason;
    this.events.push(`lost ${reason.type?.name}`);
  }
}

class Lines extends LineReceiver {
  lines: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
}

// Silences the failure logger while `fn` runs (the failures are still
// recorded for flushLoggedErrors).
function quietly<T>(fn: () => T): T {
  const previous = setFailureLogger(() => {});
  try {
    return fn();
  } finally {
    setFailureLogger(previous);
  }
}

describe("@twixt/reactor/testing", () => {
  it("exports no internal helper (a name starting with an underscore)", () => {
    assert.deepEqual(
      Object.keys(testingModule).filter((name) => name.startsWith("_")),
      [],
    );
  });
});

describe("StringTransport", () => {
  it("is the same class from @twixt/reactor and @twixt/reactor/testing", () => {
    assert.equal(mod.StringTransport, StringTransport);
  });
});

describe("connectedServerAndClient", () => {
  it("connects both protocols and moves nothing until pumped", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
      { greet: false },
    );
    assert.deepEqual(server.events, ["made"]);
    assert.deepEqual(client.events, ["made"]);
    assert.ok(server.transport instanceof MemoryTransport);
    client.transport.write("hello");
    assert.equal(server.received, "");
    assert.equal(pump.pump(), true);
    assert.equal(server.received, "hello");
    assert.equal(pump.pump(), false);
  });

  it("gives each side the other's address", () => {
    const { server, client } = connectedServerAndClient(
      () => new Protocol(),
      () => new Protocol(),
    );
    assert.deepEqual(server.transport.getPeer(), client.transport.getHost());
    assert.deepEqual(client.transport.getPeer(), server.transport.getHost());
  });

  it("builds protocols from factories, with the peer's address", () => {
    const seen: string[] = [];
    class F extends Factory<Recorder> {
      override buildProtocol(addr: { host: string }): Recorder {
        seen.push(addr.host);
        return new Recorder();
      }
    }
    const { server, client } = connectedServerAndClient(new F(), new F());
    assert.ok(server instanceof Recorder && client instanceof Recorder);
    assert.deepEqual(seen, ["192.168.1.1", "10.0.0.1"]);
  });

  it("shows each round of a conversation with pump(), and flush() runs it out", () => {
    class Ping extends Lines {
      override connectionMade(): void {
        this.sendLine("ping 1");
      }
      override lineReceived(line: string): void {
        super.lineReceived(line);
        const n = Number(line.split(" ")[1]);
        if (n < 3) this.sendLine(`ping ${n + 1}`);
      }
    }
    class Pong extends Lines {
      override lineReceived(line: string): void {
        super.lineReceived(line);
        this.sendLine(line.replace("ping", "pong"));
      }
    }
    const { server, client, pump } = connectedServerAndClient(
      () => new Pong(),
      () => new Ping(),
      { greet: false },
    );
    pump.pump();
    assert.deepEqual(server.lines, ["ping 1"]);
    assert.deepEqual(client.lines, []);
    pump.pump();
    assert.deepEqual(client.lines, ["pong 1"]);
    pump.pump();
    assert.deepEqual(server.lines, ["ping 1", "ping 2"]);
    assert.equal(pump.flush(), true);
    assert.deepEqual(client.lines, ["pong 1", "pong 2", "pong 3"]);
    assert.equal(pump.flush(), false);
  });

  it("greets by default: the first flush is done", () => {
    class Hello extends Lines {
      override connectionMade(): void {
        this.sendLine("hello");
      }
    }
    const { client } = connectedServerAndClient(
      () => new Hello(),
      () => new Lines(),
    );
    assert.deepEqual(client.lines, ["hello"]);
  });

  it("delivers in chunks of chunkSize bytes", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
      { chunkSize: 2 },
    );
    client.transport.write("abcde");
    pump.pump();
    assert.deepEqual(server.events, ["made", "data 2", "data 2", "data 1"]);
    assert.equal(server.received, "abcde");
  });

  it("refuses a chunkSize or bufferSize that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(
        () =>
          connectedServerAndClient(() => new Protocol(), () => new Protocol(), {
            chunkSize: bad,
          }),
        (e: Error) => e instanceof RangeError && /chunkSize/.test(e.message),
      );
    }
    assert.throws(
      () =>
        connectedServerAndClient(() => new Protocol(), () => new Protocol(), {
          bufferSize: 0,
        }),
      RangeError,
    );
  });

  it("refuses a side that is not a factory, protocol or function", () => {
    assert.throws(
      () => connectedServerAndClient(42 as never, () => new Protocol()),
      (e: Error) => e instanceof TypeError && /server/.test(e.message),
    );
  });

  it("loseConnection closes after what was written is delivered, writes after it included, with ConnectionDone on both sides", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    client.transport.write("last words");
    client.transport.loseConnection();
    client.transport.write(", really");
    assert.equal(client.transport.disconnecting, true);
    assert.equal(client.transport.connected, true);
    pump.pump();
    assert.equal(server.received, "last words, really");
    assert.equal(server.reason, undefined);
    pump.pump();
    assert.ok(lostWith(server, ConnectionDone));
    assert.ok(lostWith(client, ConnectionDone));
    assert.equal(client.transport.connected, false);
    assert.equal(pump.pump(), false);
  });

  it("a side that called loseConnection reads no more", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    server.transport.write("too late");
    client.transport.loseConnection();
    pump.flush();
    assert.equal(client.received, "");
    assert.deepEqual(client.events, ["made", "lost ConnectionDone"]);
  });

  it("abortConnection drops what was not delivered: ConnectionAborted here, ConnectionDone on the other side", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    client.transport.write("never sent");
    client.transport.abortConnection();
    client.transport.write("nor this");
    pump.flush();
    assert.equal(server.received, "");
    assert.ok(lostWith(client, ConnectionAborted));
    assert.ok(lostWith(server, ConnectionDone));
  });

  it("loseWriteConnection half-closes: a half-closeable peer hears readConnectionLost and can still answer", () => {
    class Upper extends Recorder implements IHalfCloseableProtocol {
      readConnectionLost(): void {
        this.events.push("read closed");
        this.transport.write(this.received.toUpperCase());
        this.transport.loseConnection();
      }
      writeConnectionLost(): void {
        this.events.push("write closed");
      }
    }
    const { server, client, pump } = connectedServerAndClient(
      () => new Upper(),
      () => new Upper(),
    );
    client.transport.write("shout");
    pump.clientTransport.loseWriteConnection();
    client.transport.write("dropped");
    pump.flush();
    assert.equal(server.received, "shout");
    assert.equal(client.received, "SHOUT");
    assert.deepEqual(client.events, [
      "made",
      "write closed",
      "data 5",
      "lost ConnectionDone",
    ]);
    assert.deepEqual(server.events, [
      "made",
      "data 5",
      "read closed",
      "lost ConnectionDone",
    ]);
  });

  it("loseWriteConnection closes the whole connection when the peer is not half-closeable", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    pump.clientTransport.loseWriteConnection();
    pump.flush();
    assert.ok(lostWith(server, ConnectionDone));
    assert.ok(lostWith(client, ConnectionDone));
  });

  it("a streaming producer is paused while the peer does not read, and resumed once it drains", () => {
    const log: string[] = [];
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
      { bufferSize: 4 },
    );
    const producer: IPushProducer = {
      pauseProducing: () => log.push("pause"),
      resumeProducing: () => log.push("resume"),
      stopProducing: () => log.push("stop"),
    };
    client.transport.registerProducer(producer, true);
    server.transport.pauseProducing();
    client.transport.write("abcdef");
    assert.deepEqual(log, ["pause"]);
    assert.equal(pump.pump(), false); // nothing arrives while not reading
    assert.equal(server.received, "");
    server.transport.resumeProducing();
    pump.pump();
    assert.equal(server.received, "abcdef");
    assert.deepEqual(log, ["pause", "resume"]);
    client.transport.loseConnection();
    pump.flush();
    assert.equal(server.reason, undefined, "waits for unregisterProducer");
    client.transport.unregisterProducer();
    pump.flush();
    assert.ok(lostWith(server, ConnectionDone));
  });

  it("a pull producer is asked for a chunk each round until it unregisters", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    const chunks = ["one ", "two ", "three"];
    client.transport.registerProducer({
      resumeProducing() {
        const c = chunks.shift();
        if (c === undefined) client.transport.unregisterProducer();
        else client.transport.write(c);
      },
      stopProducing() {},
    }, false);
    pump.pump();
    assert.equal(server.received, "one ");
    pump.flush();
    assert.equal(server.received, "one two three");
  });

  it("stops a producer when the connection is lost", () => {
    const log: string[] = [];
    const { client, pump } = connectedServerAndClient(
      () => new Recorder(),
      () => new Recorder(),
    );
    client.transport.registerProducer({
      pauseProducing: () => log.push("pause"),
      resumeProducing: () => log.push("resume"),
      stopProducing: () => log.push("stop"),
    }, true);
    client.transport.abortConnection();
    pump.flush();
    assert.deepEqual(log, ["stop"]);
  });

  it("a protocol that throws is logged and its connection dropped with the error", () => {
    class Broken extends Recorder {
      override dataReceived(): void {
        throw new RangeError("Bad byte");
      }
    }
    const { server, client, pump } = connectedServerAndClient(
      () => new Broken(),
      () => new Recorder(),
    );
    flushLoggedErrors(); // failures of earlier tests in this process
    client.transport.write("x");
    quietly(() => pump.flush());
    assert.ok(lostWith(server, RangeError));
    assert.ok(lostWith(client, ConnectionDone));
    assert.equal(flushLoggedErrors(RangeError).length, 1);
  });

  it("flush gives up with an error when the sides never go quiet", () => {
    class Chatty extends Recorder {
      override dataReceived(data: Uint8Array): void {
        this.transport.write(data);
      }
    }
    const { client, pump } = connectedServerAndClient(
      () => new Chatty(),
      () => new Chatty(),
    );
    client.transport.write("again");
    assert.throws(() => pump.flush(), /1000 rounds/);
    client.transport.abortConnection();
    pump.flush();
  });
});

describe("MemoryReactor", () => {
  it("records listenTCP calls and listens at once", async () => {
    const reactor = new MemoryReactor();
    const factory = Factory.forProtocol(Protocol);
    const port = await reactor.listenTCP(0, factory, {
      interface: "127.0.0.1",
      backlog: 5,
    });
    assert.deepEqual(reactor.tcpServers, [[0, factory, 5, "127.0.0.1"]]);
    assert.equal(port.getHost().port, 49152);
    assert.equal(factory.numPorts, 1);
    await port.stopListening();
    assert.equal(factory.numPorts, 0);
  });

  it("fails listenTCP on a port another memory port listens on, or an invalid one", () => {
    const reactor = new MemoryReactor();
    const f = Factory.forProtocol(Protocol);
    reactor.listenTCP(80, f);
    const errors: string[] = [];
    for (const port of [80, 70000]) {
      reactor.listenTCP(port, f).addErrback((e: Failure) => {
        errors.push(e.getErrorMessage());
      });
    }
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /in use/);
    assert.throws(() => checkCleanReactor(reactor), /Factory on 80/);
    assert.equal(reactor.ports[0]!.listening, false);
  });

  it("records connectTCP calls; the connector succeeds to a memory port, firing the Deferred with the connected client", async () => {
    const reactor = new MemoryReactor();
    const serverFactory = Factory.forProtocol(Recorder);
    await reactor.listenTCP(25, serverFactory);
    const clientFactory = ClientFactory.forProtocol(Recorder);
    const d = reactor.connectTCP("mail.example", 25, clientFactory, {
      timeout: 7,
      bindAddress: { host: "127.0.0.1" },
    });
    assert.deepEqual(reactor.tcpClients, [[
      "mail.example",
      25,
      clientFactory,
      7,
      { host: "127.0.0.1" },
    ]]);
    const connector = reactor.connectors[0]!;
    assert.equal(connector.state, "connecting");
    assert.equal(reactor.getDelayedCalls().length, 1, "the connect timeout");
    const pair = connector.succeed();
    const client = await d;
    const server = pair.server as Recorder;
    const pump = pair.pump;
    assert.equal(pair.client, client);
    assert.equal(reactor.getDelayedCalls().length, 0);
    assert.equal(connector.state, "connected");
    client.transport.write("hi");
    pump.flush();
    assert.equal(server.received, "hi");
    server.transport.loseConnection();
    pump.flush();
    assert.equal(connector.state, "disconnected");
    assert.ok(lostWith(client, ConnectionDone));
    await reactor.ports[0]!.stopListening();
    checkCleanReactor(reactor);
  });

  it("connectionFailed calls clientConnectionFailed and fails the Deferred with the reason (ConnectionRefusedError by default)", async () => {
    const reactor = new MemoryReactor();
    const heard: string[] = [];
    class F extends ClientFactory {
      override startedConnecting(_c: IConnector): void {
        heard.push("started");
      }
      override clientConnectionFailed(_c: IConnector, r: Failure): void {
        heard.push(`failed ${r.type?.name}`);
      }
    }
    const refused = reactor.connectTCP("h", 1, F.forProtocol(Protocol));
    reactor.connectors[0]!.connectionFailed();
    await assert.rejects(refused.asPromise(), ConnectionRefusedError);
    const chosen = reactor.connectTCP("h", 2, F.forProtocol(Protocol));
    reactor.connectors[1]!.connectionFailed(new RangeError("Chosen"));
    await assert.rejects(chosen.asPromise(), /Chosen/);
    assert.deepEqual(heard, [
      "started",
      "failed ConnectionRefusedError",
      "started",
      "failed RangeError",
    ]);
    checkCleanReactor(reactor);
  });

  it("a factory that calls connect() again from clientConnectionFailed retries", async () => {
    const reactor = new MemoryReactor();
    class Retry extends ClientFactory {
      tries = 0;
      override clientConnectionFailed(c: IConnector): void {
        if (++this.tries < 2) c.connect();
      }
    }
    const f = Retry.forProtocol(Recorder);
    const d = reactor.connectTCP("h", 9, f);
    reactor.connectors[0]!.connectionFailed();
    assert.equal(reactor.connectors[0]!.state, "connecting");
    const { client } = reactor.connectors[0]!.succeed(() => new Recorder());
    assert.equal(await d, client);
    client.transport.abortConnection();
    assert.throws(() => checkCleanReactor(reactor), /h:9 \(connected\)/);
    assert.equal(client.transport.connected, false);
  });

  it("cancelling the Deferred stops the attempt with ConnectingCancelledError", async () => {
    const reactor = new MemoryReactor();
    const d = reactor.connectTCP("h", 1, ClientFactory.forProtocol(Protocol));
    d.cancel();
    await assert.rejects(d.asPromise(), ConnectingCancelledError);
    assert.equal(reactor.connectors[0]!.state, "disconnected");
  });

  it("fails a bad timeout with RangeError and records nothing", async () => {
    const reactor = new MemoryReactor();
    const d = reactor.connectTCP("h", 1, ClientFactory.forProtocol(Protocol), {
      timeout: -1,
    });
    await assert.rejects(d.asPromise(), RangeError);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("fails listenTCP and connectTCP with TypeError for a factory that is not one, recording nothing", async () => {
    const reactor = new MemoryReactor();
    await assert.rejects(
      reactor.listenTCP(80, {} as never).asPromise(),
      /Cannot listen on port 80: the factory must be a Factory/,
    );
    await assert.rejects(
      reactor.connectTCP("h", 1, null as never).asPromise(),
      TypeError,
    );
    assert.equal(reactor.tcpServers.length + reactor.tcpClients.length, 0);
  });

  it("MemoryReactorClock times a connect out as its clock advances", async () => {
    const reactor = new MemoryReactorClock();
    const d = reactor.connectTCP("h", 1, ClientFactory.forProtocol(Protocol), {
      timeout: 5,
    });
    reactor.advance(4.9);
    assert.equal(d.called, false);
    reactor.advance(0.1);
    await assert.rejects(d.asPromise(), TimeoutError);
    assert.equal(reactor.rightNow, 5);
  });

  it("serves TCP4 and TCP6 endpoints and connectProtocol", async () => {
    const reactor = new MemoryReactor();
    const server = await new TCP4ServerEndpoint(reactor, 8000).listen(
      Factory.forProtocol(Lines),
    );
    assert.equal(server.getHost().host, "0.0.0.0");
    const d = connectProtocol(
      new TCP4ClientEndpoint(reactor, "127.0.0.1", 8000),
      new Lines(),
    );
    const { server: s, pump } = reactor.connectors[0]!.succeed();
    const client = await d;
    client.sendLine("over memory");
    pump.flush();
    assert.deepEqual((s as Lines).lines, ["over memory"]);
    client.transport.loseConnection();
    pump.flush();

    await new TCP6ServerEndpoint(reactor, 8006).listen(
      Factory.forProtocol(Protocol),
    );
    assert.equal(reactor.tcpServers[1]![3], "::");
    const d6 = new TCP6ClientEndpoint(reactor, "::1", 8006).connect(
      Factory.forProtocol(Protocol),
    );
    const pair6 = reactor.connectors[1]!.succeed();
    const p6 = await d6;
    assert.ok(p6.transport.getPeer() instanceof IPv6Address);
    pair6.client.transport.abortConnection();
    pair6.pump.flush();
    await reactor.ports[0]!.stopListening();
    await reactor.ports[1]!.stopListening();
    checkCleanReactor(reactor);
  });

  it("runs startup triggers on run() and shutdown triggers on stop(), closing memory ports", async () => {
    const reactor = new MemoryReactor();
    const log: string[] = [];
    reactor.callWhenRunning(() => log.push("running"));
    reactor.addSystemEventTrigger("before", "shutdown", () => log.push("bye"));
    const port = await reactor.listenTCP(1234, Factory.forProtocol(Protocol));
    const done = reactor.run();
    assert.equal(reactor.running, true);
    reactor.stop();
    await done;
    assert.deepEqual(log, ["running", "bye"]);
    assert.equal(reactor.hasStopped, true);
    assert.equal((port as unknown as { listening: boolean }).listening, false);
  });
});

const hasTCP = (globalThis as {
  process?: { getBuiltinModule?: (id: string) => unknown };
}).process?.getBuiltinModule?.("node:net") !== undefined;
const noTCP = !hasTCP && "no TCP in this runtime";

describe("checkCleanReactor", () => {
  it("passes on a clean reactor", () => {
    checkCleanReactor(new Reactor());
    checkCleanReactor(new Clock());
  });

  it("catches a leaked call, names it, and cancels it", () => {
    const clock = new Clock();
    const call = clock.callLater(30, function leakedTick() {});
    assert.throws(
      () => checkCleanReactor(clock),
      (e: unknown) =>
        e instanceof DirtyReactorError &&
        /1 delayed call left behind/.test(e.message) &&
        /delayed call: .*leakedTick\(\)/.test(e.message),
    );
    assert.equal(call.active(), false);
    checkCleanReactor(clock);
  });

  it("installed, judges only what comes after it: earlier calls and failures are left alone", async () => {
    const clock = new Clock();
    const earlier = clock.callLater(5, function scheduledBeforeInstall() {});
    quietly(() => logError(new Failure(new RangeError("Before"))));
    const hooks: Array<() => Promise<void>> = [];
    installCleanReactorCheck((fn) => hooks.push(fn), clock);
    await hooks[0]!();
    clock.callLater(5, function scheduledAfterInstall() {});
    await assert.rejects(hooks[0]!(), (e: DirtyReactorError) => {
      assert.equal(e.leftovers.length, 1);
      assert.match(e.message, /scheduledAfterInstall\(\)/);
      return true;
    });
    assert.equal(earlier.active(), true);
    earlier.cancel();
  });

  it("catches an unflushed logged failure, names it, and flushes it", () => {
    quietly(() => logError(new Failure(new RangeError("Lost in the logs"))));
    assert.throws(
      () => checkCleanReactor(new Clock()),
      (e: unknown) =>
        e instanceof DirtyReactorError &&
        /logged failure: RangeError: Lost in the logs/.test(e.message),
    );
    checkCleanReactor(new Clock());
  });

  it(
    "catches a leaked listening port with where it was created, and closes it",
    {
      skip: noTCP,
    },
    async () => {
      const reactor = new Reactor();
      const hooks: Array<() => Promise<void>> = [];
      installCleanReactorCheck((fn) => hooks.push(fn), reactor);
      const port = await reactor.listenTCP(0, Factory.forProtocol(Protocol), {
        interface: "127.0.0.1",
      });
      const number = port.getHost().port;
      await assert.rejects(hooks[0]!(), (e: unknown) => {
        assert.ok(e instanceof DirtyReactorError);
        assert.match(e.message, /1 listening port left behind/);
        assert.match(
          e.message,
          new RegExp(`listening port: <Factory on ${number}>`),
        );
        assert.match(
          e.message,
          /testing_test\.[jt]s/,
          "names where it was created",
        );
        return true;
      });
      assert.equal(
        (port as unknown as { listening: boolean }).listening,
        false,
      );
      await hooks[0]!();
    },
  );

  it(
    "catches a leaked connection (both ends), with where it was created, and closes it",
    {
      skip: noTCP,
    },
    async () => {
      const reactor = new Reactor();
      const hooks: Array<() => Promise<void>> = [];
      installCleanReactorCheck((fn) => hooks.push(fn), reactor);
      const accepted: Recorder[] = [];
      class Accepting extends Factory<Recorder> {
        override buildProtocol(): Recorder {
          const p = new Recorder();
          accepted.push(p);
          return p;
        }
      }
      const port = await reactor.listenTCP(0, new Accepting(), {
        interface: "127.0.0.1",
      });
      const client = await reactor.connectTCP(
        "127.0.0.1",
        port.getHost().port,
        ClientFactory.forProtocol(Recorder),
      );
      for (let i = 0; i < 400 && accepted.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await port.stopListening();
      await assert.rejects(hooks[0]!(), (e: unknown) => {
        assert.ok(e instanceof DirtyReactorError);
        assert.match(
          e.message,
          /connection: <Connector to 127\.0\.0\.1:\d+ \(connected\)>/,
        );
        assert.match(
          e.message,
          /connection: <Recorder on 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+>/,
        );
        assert.match(e.message, /testing_test\.[jt]s/);
        return true;
      });
      assert.equal(client.transport.connected, false);
      await hooks[0]!();
    },
  );
});
