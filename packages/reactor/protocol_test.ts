import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClientFactory,
  Factory,
  IPv4Address,
  IPv6Address,
  Protocol,
  StringTransport,
} from "./mod.ts";

const addr = new IPv4Address("TCP", "127.0.0.1", 1234);

describe("Protocol", () => {
  it("makeConnection attaches the transport and calls connectionMade", () => {
    const seen: unknown[] = [];
    class P extends Protocol {
      override connectionMade(): void {
        seen.push(this.transport, this.connected);
      }
    }
    const t = new StringTransport();
    const p = new P();
    assert.equal(p.connected, false);
    p.makeConnection(t);
    assert.deepEqual(seen, [t, true]);
  });
});

describe("Factory", () => {
  it("forProtocol builds instances of the class that know their factory", () => {
    class P extends Protocol {}
    const f = Factory.forProtocol(P);
    const a = f.buildProtocol(addr);
    const b = f.buildProtocol(addr);
    assert.ok(a instanceof P && b instanceof P);
    assert.notEqual(a, b);
    assert.equal(a.factory, f);
  });

  it("forProtocol makes an instance of the subclass it is called on, with its arguments", () => {
    class Named extends ClientFactory {
      constructor(readonly label: string) {
        super();
      }
    }
    const f = Named.forProtocol(Protocol, "mail");
    assert.ok(f instanceof Named);
    assert.ok(f instanceof ClientFactory);
    assert.equal(f.label, "mail");
    assert.equal(f.protocol, Protocol);
  });

  it("buildProtocol throws a TypeError when no protocol class is set", () => {
    assert.throws(() => new Factory().buildProtocol(addr), TypeError);
  });

  it("calls startFactory for the first doStart and stopFactory for the last doStop", () => {
    const log: string[] = [];
    class F extends Factory {
      override startFactory(): void {
        log.push("start");
      }
      override stopFactory(): void {
        log.push("stop");
      }
    }
    const f = new F();
    f.doStart();
    f.doStart();
    f.doStop();
    assert.deepEqual(log, ["start"]);
    f.doStop();
    f.doStop();
    assert.deepEqual(log, ["start", "stop"]);
    assert.equal(f.numPorts, 0);
  });
});

describe("addresses", () => {
  it("print as Twisted prints them", () => {
    assert.equal(
      String(addr),
      "IPv4Address(type='TCP', host='127.0.0.1', port=1234)",
    );
    assert.equal(
      String(new IPv6Address("TCP", "::1", 80)),
      "IPv6Address(type='TCP', host='::1', port=80)",
    );
  });
});
