import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Failure, setFailureLogger, type TimeoutError } from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import { Clock } from "./task.ts";
import { ClientFactory, type IConnector, type Protocol } from "./mod.ts";
import { _ConnectorCore, type _StatefulConnector } from "./_connector_core.ts";

class Boom extends Error {}

/** A factory that logs what it hears, and retries once when told to. */
class Logging extends ClientFactory {
  log: string[] = [];
  retry = false;
  override startFactory(): void {
    this.log.push("start");
  }
  override stopFactory(): void {
    this.log.push("stop");
  }
  override startedConnecting(): void {
    this.log.push("connecting");
  }
  override clientConnectionFailed(c: IConnector, f: Failure): void {
    this.log.push(`failed ${f.getErrorMessage()}`);
    if (this.retry) {
      this.retry = false;
      c.connect();
    }
  }
  override clientConnectionLost(c: IConnector, f: Failure): void {
    this.log.push(`lost ${f.getErrorMessage()}`);
    if (this.retry) {
      this.retry = false;
      c.connect();
    }
  }
}

/** A connector over a core, on a clock, counting what is open. */
function connector(factory: ClientFactory = new Logging()) {
  const clock = new Clock();
  const open = new Set<unknown>();
  const timedOut: TimeoutError[] = [];
  const c: _StatefulConnector = {
    state: "disconnected",
    getDestination: () => {
      throw new Error("unused");
    },
    connect: () => core.begin((e) => timedOut.push(e)),
    disconnect: () => {},
    stopConnecting: () => {},
  };
  const core: _ConnectorCore<Protocol> = new _ConnectorCore(
    c,
    factory,
    "example.test",
    25,
    5,
    {
      callLater: (delay, fn) => clock.callLater(delay, fn),
      track: () => open.add(c),
      untrack: () => open.delete(c),
    },
  );
  return { c, core, clock, open, timedOut };
}

describe("_ConnectorCore", () => {
  it("starts the factory once over attempts, and counts the connector open while connecting", () => {
    const f = new Logging();
    const { c, core, open } = connector(f);
    c.connect();
    assert.equal(c.state, "connecting");
    assert.equal(open.size, 1);
    assert.throws(() => c.connect(), {
      message: "Cannot connect: the connector is connecting",
    });
    f.retry = true;
    core.failed(new Failure(new Boom("refused")));
    assert.equal(c.state, "connecting"); // the factory retried
    assert.equal(open.size, 1);
    assert.deepEqual(f.log, [
      "start",
      "connecting",
      "failed refused",
      "connecting",
    ]);
  });

  it("calls back with a TimeoutError naming the destination once the timeout passes", () => {
    const { c, clock, timedOut } = connector();
    c.connect();
    clock.advance(4.9);
    assert.equal(timedOut.length, 0);
    clock.advance(0.1);
    assert.equal(timedOut.length, 1);
    assert.equal(
      timedOut[0]!.message,
      "Connecting to example.test:25 timed out after 5 seconds",
    );
  });

  it("on failure without a retry stops the factory and fails the Deferred, timeout cancelled", () => {
    const f = new Logging();
    const { c, core, clock, open } = connector(f);
    const d = core.deferred(() => {});
    c.connect();
    const reason = new Failure(new Boom("refused"));
    core.failed(reason);
    assert.equal(c.state, "disconnected");
    assert.equal(open.size, 0);
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.deepEqual(f.log, ["start", "connecting", "failed refused", "stop"]);
    let got: unknown;
    d.addErrback((e) => {
      got = e;
    });
    assert.equal(got, reason);
  });

  it("on loss stops the factory unless it reconnects", () => {
    const f = new Logging();
    const { c, core, open } = connector(f);
    c.connect();
    core.cancelTimeout();
    c.state = "connected";
    f.retry = true;
    core.lost(new Failure(new Boom("gone")));
    assert.equal(c.state, "connecting");
    core.cancelTimeout();
    c.state = "connected";
    core.lost(new Failure(new Boom("gone again")));
    assert.equal(c.state, "disconnected");
    assert.equal(open.size, 0);
    assert.deepEqual(f.log, [
      "start",
      "connecting",
      "lost gone",
      "connecting",
      "lost gone again",
      "stop",
    ]);
  });

  it("logs a factory callback that throws, and goes on", () => {
    class Throwing extends Logging {
      override clientConnectionFailed(): void {
        throw new Boom("factory");
      }
    }
    const f = new Throwing();
    const { c, core } = connector(f);
    c.connect();
    const previous = setFailureLogger(() => {});
    try {
      core.failed(new Failure(new Boom("refused")));
    } finally {
      setFailureLogger(previous);
    }
    assert.equal(flushLoggedErrors(Boom).length, 1);
    assert.deepEqual(f.log, ["start", "connecting", "stop"]);
  });
});
