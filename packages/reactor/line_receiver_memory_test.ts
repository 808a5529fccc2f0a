/**
 * LineReceiver's framing over a connection in memory
 * (`@twixt/reactor/testing`), with every byte delivered on its own: lines,
 * delimiters and UTF-8 characters split at every possible point, raw mode
 * switched mid-stream, long lines, and pausing, as a peer sees them.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Failure } from "@twixt/defer";
import { ConnectionDone, LineReceiver, Protocol } from "./mod.ts";
import {
  checkCleanReactor,
  connectedServerAndClient,
  installCleanReactorCheck,
} from "./testing.ts";
import { Clock } from "./task.ts";

// Nothing may be left on the shared reactor by any test here.
installCleanReactorCheck(afterEach);

class Lines extends LineReceiver {
  lines: string[] = [];
  raw: string[] = [];
  exceeded: string[] = [];
  lost: Failure | undefined;
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override rawDataReceived(data: Uint8Array): void {
    this.raw.push(new TextDecoder().decode(data));
  }
  override lineLengthExceeded(line: string): void {
    this.exceeded.push(line);
    super.lineLengthExceeded(line);
  }
  override connectionLost(reason: Failure): void {
    this.lost = reason;
  }
}

// A server of `P`, and a plain client to write from, bytes one at a time.
function byteByByte<P extends Protocol>(make: () => P) {
  return connectedServerAndClient(make, () => new Protocol(), {
    chunkSize: 1,
  });
}

describe("LineReceiver over a connection, one byte per dataReceived", () => {
  it("gets whole lines, delimiters split between chunks", () => {
    const { server, client, pump } = byteByByte(() => new Lines());
    client.transport.write("HELO there\r\nMAIL FROM:<a@b>\r\n\r\nlast");
    pump.flush();
    assert.deepEqual(server.lines, ["HELO there", "MAIL FROM:<a@b>", ""]);
    client.transport.write("\r");
    pump.flush();
    assert.deepEqual(server.lines.length, 3, "a lone \\r ends nothing");
    client.transport.write("\n");
    pump.flush();
    assert.deepEqual(server.lines.at(-1), "last");
  });

  it("decodes UTF-8 characters split between chunks", () => {
    const { server, client, pump } = byteByByte(() => new Lines());
    client.transport.write("caf\u00e9 \u{1F600} \u65e5\u672c\r\n");
    pump.flush();
    assert.deepEqual(server.lines, ["caf\u00e9 \u{1F600} \u65e5\u672c"]);
  });

  it("uses a custom multi-byte delimiter", () => {
    const { server, client, pump } = byteByByte(() => {
      const p = new Lines();
      p.delimiter = "\r\n\r\n";
      return p;
    });
    client.transport.write("a\r\nb\r\n\r\nc\r\n\r\n");
    pump.flush();
    assert.deepEqual(server.lines, ["a\r\nb", "c"]);
  });

  it("switches to raw mode mid-stream and back, losing no byte", () => {
    class Framed extends Lines {
      #left = 0;
      override lineReceived(line: string): void {
        super.lineReceived(line);
        const m = /^RAW (\d+)$/.exec(line);
        if (m) {
          this.#left = Number(m[1]);
          this.setRawMode();
        }
      }
      override rawDataReceived(data: Uint8Array): void {
        const take = data.subarray(0, this.#left);
        super.rawDataReceived(take);
        this.#left -= take.length;
        if (this.#left === 0) this.setLineMode(data.subarray(take.length));
      }
    }
    const { server, client, pump } = byteByByte(() => new Framed());
    client.transport.write("RAW 5\r\nab\r\ncafter\r\n");
    pump.flush();
    assert.deepEqual(server.lines, ["RAW 5", "after"]);
    assert.deepEqual(server.raw, ["a", "b", "\r", "\n", "c"]);
  });

  it("a line over MAX_LENGTH calls lineLengthExceeded and drops the connection, both sides seeing it close", () => {
    const { server, client, pump } = byteByByte(() => {
      const p = new Lines();
      p.MAX_LENGTH = 8;
      return p;
    });
    const lost: Failure[] = [];
    client.connectionLost = (r) => lost.push(r);
    client.transport.write("short\r\nmuch too long\r\n");
    pump.flush();
    assert.deepEqual(server.lines, ["short"]);
    assert.equal(server.exceeded.length, 1);
    assert.ok(server.exceeded[0]!.startsWith("much too "));
    assert.ok(server.lost?.check(ConnectionDone));
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.check(ConnectionDone));
  });

  it("pauseProducing holds lines back, and the peer's bytes wait, until resumeProducing", () => {
    const { server, client, pump } = byteByByte(() => new Lines());
    client.transport.write("one\r\n");
    pump.flush();
    server.pauseProducing();
    client.transport.write("two\r\nthree\r\n");
    assert.equal(pump.flush(), false, "nothing moves while paused");
    assert.equal(pump.clientTransport.pending, 12);
    assert.deepEqual(server.lines, ["one"]);
    server.resumeProducing();
    pump.flush();
    assert.deepEqual(server.lines, ["one", "two", "three"]);
  });

  it("sendLine's lines reach a LineReceiver peer whole", () => {
    const { server, client, pump } = connectedServerAndClient(
      () => new Lines(),
      () => new Lines(),
      { chunkSize: 1 },
    );
    for (let i = 0; i < 20; i++) client.sendLine(`line ${i}`);
    server.sendLine("ok");
    pump.flush();
    assert.equal(server.lines.length, 20);
    assert.equal(server.lines[19], "line 19");
    assert.deepEqual(client.lines, ["ok"]);
    client.transport.loseConnection();
    pump.flush();
    checkCleanReactor(new Clock());
  });
});
