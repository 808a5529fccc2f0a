// A burst of clients against a LineReceiver echo server with default
// options (issue 18): with Twisted's backlog of 50 such a burst reset
// clients; every byte of every round trip must come back.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { type Failure, setFailureLogger } from "@twixt/defer";
import {
  ConnectionDone,
  Factory,
  LineReceiver,
  listenTCP,
  reactor,
} from "./mod.ts";
import { lineBurst } from "./_tcp_test_util.ts";

// 2,000 clients and as many server sockets: 4,000 descriptors, well under
// the 20,000 of `ulimit -n` on the CI machine; the test needs no more.
const CLIENTS = 2000;
const ROUND_TRIPS = 3;

describe("TCP under load", () => {
  it(`echoes every line of ${CLIENTS} clients connecting at once, default options`, async () => {
    const logged: string[] = [];
    const previous = setFailureLogger((_kind, f: Failure) =>
      logged.push(f.getErrorMessage())
    );
    let made = 0;
    const reasons: Failure[] = [];
    class Echo extends LineReceiver {
      override delimiter = "\n";
      override connectionMade(): void {
        made++;
      }
      override lineReceived(line: string): void {
        this.sendLine(line);
      }
      override connectionLost(reason: Failure): void {
        reasons.push(reason);
      }
    }
    const port = await listenTCP(reactor, 0, Factory.forProtocol(Echo), {
      interface: "127.0.0.1",
    });
    try {
      const { errors } = await lineBurst(
        connect,
        port.getHost().port,
        CLIENTS,
        ROUND_TRIPS,
      );
      assert.deepEqual(errors.slice(0, 10), []);
      assert.equal(made, CLIENTS);
      // Each client closed after its last echo; the server's side follows.
      for (let turn = 0; turn < 10_000 && reasons.length < CLIENTS; turn++) {
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(reasons.length, CLIENTS);
      assert.ok(reasons.every((r) => r.check(ConnectionDone)));
      assert.deepEqual(logged, []);
    } finally {
      setFailureLogger(previous);
      await port.stopListening();
    }
  });
});
