import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Deferred } from "@twixt/defer";
import {
  ClientFactory,
  connectProtocol,
  connectTCP,
  Factory,
  listenTCP,
  Protocol,
  reactor,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ClientEndpoint,
  TCP6ServerEndpoint,
} from "./mod.ts";
import { _defaultBacklog, _isHost, _isIPv6, _show } from "./_tcp_options.ts";

// Values a coercing check (`x >= 0`, `Number(x)`) lets through.
const COERCIBLE: unknown[] = ["5", [5], true, null, {}, 5n];

/** A client factory that counts what connecting did with it. */
class Counting extends ClientFactory {
  starts = 0;
  attempts = 0;
  failures = 0;
  override startFactory(): void {
    this.starts++;
  }
  override startedConnecting(): void {
    this.attempts++;
  }
  override clientConnectionFailed(): void {
    this.failures++;
  }
}

/** Asserts `d` failed with `type` naming `what` and `shown`, synchronously. */
async function failsWith(
  d: Deferred<unknown>,
  type: typeof TypeError | typeof RangeError,
  what: RegExp,
): Promise<void> {
  // Failed before any I/O: already called when returned.
  assert.equal(d.called, true);
  await assert.rejects(d.asPromise(), (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.match(e.message, what);
    return true;
  });
}

function call<T>(fn: () => Deferred<T>): Deferred<T> {
  // Never a synchronous throw: a throw here fails the test.
  return fn();
}

describe("TCP argument checks", () => {
  it("fails connectTCP with an empty, missing or malformed host, connecting nothing", async () => {
    for (const host of ["", " ", "a b", "-x", "host..name", "1.2.3.4:80"]) {
      const f = new Counting();
      await failsWith(
        call(() => connectTCP(reactor, host, 80, f)),
        TypeError,
        /^Cannot connect to .*: the host must be a host name or an IP address, not "/,
      );
      assert.deepEqual([f.starts, f.attempts, f.failures], [0, 0, 0]);
    }
    for (const host of [undefined, null, 5, ["127.0.0.1"], {}]) {
      const f = new Counting();
      await failsWith(
        call(() => connectTCP(reactor, host as unknown as string, 80, f)),
        TypeError,
        /the host must be a host name or an IP address, not /,
      );
      assert.equal(f.starts, 0);
    }
    // The reactor's own methods, as issue 10 found them.
    const f = new Counting();
    await failsWith(
      call(() => reactor.connectTCP("", 80, f)),
      TypeError,
      /^Cannot connect to "" port 80: the host must be a host name or an IP address, not ""$/,
    );
    await failsWith(
      call(() => reactor.listenTCP(-1, Factory.forProtocol(Protocol))),
      RangeError,
      /^Cannot listen on port -1: the port must be an integer from 0 to 65535, not -1$/,
    );
    assert.equal(f.starts, 0);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("fails connectTCP with a port that is not an integer from 1 to 65535", async () => {
    for (const port of COERCIBLE) {
      await failsWith(
        call(() =>
          connectTCP(reactor, "127.0.0.1", port as number, new Counting())
        ),
        TypeError,
        /the port must be an integer from 1 to 65535, not /,
      );
    }
    for (const port of [0, -1, 65536, 1.5, NaN, Infinity]) {
      await failsWith(
        call(() => connectTCP(reactor, "127.0.0.1", port, new Counting())),
        RangeError,
        new RegExp(`the port must be an integer from 1 to 65535, not ${port}$`),
      );
    }
  });

  it("fails connectTCP with bad options: timeout, bindAddress, the options object, the factory", async () => {
    const bad: Array<[unknown, typeof TypeError, RegExp]> = [
      [{ timeout: "5" }, TypeError, /the timeout must be .*, not "5"$/],
      [{ timeout: [5] }, TypeError, /the timeout must be .*, not \[5\]$/],
      [{ timeout: true }, TypeError, /the timeout must be .*, not true$/],
      [{ timeout: -1 }, RangeError, /the timeout must be .*, not -1$/],
      [{ bindAddress: "127.0.0.1" }, TypeError, /the bindAddress must be/],
      [{ bindAddress: { host: "" } }, TypeError, /the bindAddress host/],
      [
        { bindAddress: { host: "127.0.0.1", port: "0" } },
        TypeError,
        /the bindAddress port must be an integer from 0 to 65535, not "0"$/,
      ],
      [
        { bindAddress: { host: "127.0.0.1", port: 70000 } },
        RangeError,
        /the bindAddress port/,
      ],
      [null, TypeError, /the options must be an object, not null$/],
      [5, TypeError, /the options must be an object, not 5$/],
    ];
    for (const [opts, type, what] of bad) {
      const f = new Counting();
      await failsWith(
        call(() => connectTCP(reactor, "127.0.0.1", 80, f, opts as object)),
        type,
        what,
      );
      assert.equal(f.starts, 0);
    }
    await failsWith(
      call(() => connectTCP(reactor, "127.0.0.1", 80, {} as ClientFactory)),
      TypeError,
      /the factory must be a Factory/,
    );
  });

  it("fails listenTCP with a bad port, backlog, interface, options or factory, listening on nothing", async () => {
    const f = Factory.forProtocol(Protocol);
    const bad: Array<[unknown, unknown, typeof TypeError, RegExp]> = [
      ["0", {}, TypeError, /the port must be an integer from 0 to 65535/],
      [[0], {}, TypeError, /not \[0\]$/],
      [70000, {}, RangeError, /^Cannot listen on port 70000: the port/],
      [1.5, {}, RangeError, /not 1\.5$/],
      [0, { backlog: "5" }, TypeError, /the backlog must be .*, not "5"$/],
      [0, { backlog: -1 }, RangeError, /the backlog must be .*, not -1$/],
      [0, { backlog: 1.5 }, RangeError, /the backlog/],
      [0, { interface: "a b" }, TypeError, /the interface must be/],
      [0, { interface: 127 }, TypeError, /the interface must be .*, not 127$/],
      [0, null, TypeError, /the options must be an object, not null$/],
    ];
    for (const [port, opts, type, what] of bad) {
      await failsWith(
        call(() => listenTCP(reactor, port as number, f, opts as object)),
        type,
        what,
      );
    }
    await failsWith(
      call(() => listenTCP(reactor, 0, null as unknown as Factory<Protocol>)),
      TypeError,
      /the factory must be a Factory/,
    );
    assert.equal(f.numPorts, 0);
  });

  it("fails the endpoints' listen and connect, never their constructors", async () => {
    const f = Factory.forProtocol(Protocol);
    const servers = [
      new TCP4ServerEndpoint(reactor, "80" as unknown as number),
      new TCP6ServerEndpoint(reactor, 0, null as unknown as object),
      new TCP4ServerEndpoint(reactor, 0, { backlog: [5] as unknown as number }),
    ];
    for (const e of servers) {
      const d = call(() => e.listen(f));
      assert.equal(d.called, true);
      await assert.rejects(d.asPromise(), TypeError);
    }
    const clients = [
      new TCP4ClientEndpoint(reactor, "", 80),
      new TCP4ClientEndpoint(reactor, undefined as unknown as string, 80),
      new TCP6ClientEndpoint(reactor, "::1", 0),
      new TCP6ClientEndpoint(reactor, "::1", 80, { timeout: "1" } as never),
      new TCP6ClientEndpoint(reactor, "::1", 80, null as never),
      new TCP6ClientEndpoint(reactor, "here", 80, { resolve: 5 as never }),
    ];
    for (const e of clients) {
      const d = call(() => e.connect(f));
      assert.equal(d.called, true);
      await assert.rejects(
        d.asPromise(),
        (err: Error) => err instanceof TypeError || err instanceof RangeError,
      );
    }
    assert.equal(f.numPorts, 0);
  });

  it("fails connectProtocol with something not an endpoint or not a protocol", async () => {
    const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 1);
    await failsWith(
      call(() => connectProtocol({} as never, new Protocol())),
      TypeError,
      /^Cannot connect a protocol: the endpoint must have a connect method, not \{\}$/,
    );
    await failsWith(
      call(() => connectProtocol(endpoint, null as unknown as Protocol)),
      TypeError,
      /the protocol must be a Protocol, not null$/,
    );
    const throwing = {
      connect(): never {
        throw new Error("Cannot connect in this test");
      },
    };
    await assert.rejects(
      call(() => connectProtocol(throwing, new Protocol())).asPromise(),
      /Cannot connect in this test/,
    );
  });

  it("accepts every kind of host and Twisted's empty interface", async () => {
    for (
      const h of [
        "127.0.0.1",
        "localhost",
        "example.com.",
        "a-b_c.example",
        "::1",
        "::",
        "fe80::1%lo",
        "::ffff:127.0.0.1",
        "2001:db8:0:0:0:0:0:1",
      ]
    ) assert.ok(_isHost(h), h);
    for (
      const h of ["", "a b", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":1"]
    ) assert.ok(!_isHost(h) || !_isIPv6(h) && h.includes(":") === false, h);
    assert.ok(!_isIPv6("1:2:3:4:5:6:7"));
    const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), {
      interface: "",
    });
    assert.equal(port.getHost().host, "0.0.0.0");
    await port.stopListening();
  });

  it("listens with a backlog of at least node:net's 511 by default", () => {
    assert.ok(_defaultBacklog() >= 511);
    assert.ok(_defaultBacklog() <= 65535);
    assert.equal(_show("x".repeat(100)).length, 80);
  });
});
