import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineReceiver, StringTransport } from "./net.ts";

const enc = new TextEncoder();

class Recorder extends LineReceiver {
  lines: string[] = [];
  raw: Uint8Array[] = [];
  exceeded: string[] = [];
  override lineReceived(line: string): void {
    this.lines.push(line);
  }
  override rawDataReceived(data: Uint8Array): void {
    this.raw.push(data.slice());
  }
  override lineLengthExceeded(line: string): void {
    this.exceeded.push(line);
    super.lineLengthExceeded(line);
  }
}

function connected<P extends LineReceiver>(p: P): [P, StringTransport] {
  const t = new StringTransport();
  p.makeConnection(t);
  return [p, t];
}

function feed(p: LineReceiver, ...chunks: (string | Uint8Array)[]): void {
  for (const c of chunks) {
    p.dataReceived(typeof c === "string" ? enc.encode(c) : c);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Splits `bytes` at the given cut points (any integers; taken modulo length).
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(from, p));
    from = p;
  }
  return out;
}

describe("LineReceiver", () => {
  it("delivers each line without its delimiter", () => {
    const [p] = connected(new Recorder());
    feed(p, "one\r\ntwo\r\n\r\nthree\r\n");
    assert.deepEqual(p.lines, ["one", "two", "", "three"]);
  });

  it("keeps a partial line until the rest arrives", () => {
    const [p] = connected(new Recorder());
    feed(p, "hel", "lo wo", "rld\r\npart");
    assert.deepEqual(p.lines, ["hello world"]);
    feed(p, "ial\r\n");
    assert.deepEqual(p.lines, ["hello world", "partial"]);
  });

  it("finds a delimiter split between two chunks", () => {
    const [p] = connected(new Recorder());
    feed(p, "first\r", "\nsecond\r", "\n");
    assert.deepEqual(p.lines, ["first", "second"]);
  });

  it("does not take a lone CR or LF for the delimiter", () => {
    const [p] = connected(new Recorder());
    feed(p, "a\rb\nc\r\n");
    assert.deepEqual(p.lines, ["a\rb\nc"]);
  });

  it("decodes a multi-byte character split between chunks", () => {
    const [p] = connected(new Recorder());
    const bytes = enc.encode("café ☕ 🐍\r\n");
    for (const b of bytes) p.dataReceived(new Uint8Array([b]));
    assert.deepEqual(p.lines, ["café ☕ 🐍"]);
  });

  it("replaces invalid UTF-8 instead of failing", () => {
    const [p] = connected(new Recorder());
    p.dataReceived(new Uint8Array([0x61, 0xff, 0x62, 0x0d, 0x0a]));
    assert.deepEqual(p.lines, ["a\ufffdb"]);
  });

  it("splits on a custom delimiter", () => {
    const [p] = connected(new Recorder());
    p.delimiter = "\n";
    feed(p, "a\nb\r\nc");
    assert.deepEqual(p.lines, ["a", "b\r"]);
  });

  it("splits on a multi-byte delimiter", () => {
    const [p] = connected(new Recorder());
    p.delimiter = "¶¶";
    const bytes = enc.encode("x¶y¶¶z¶¶");
    for (const b of bytes) p.dataReceived(new Uint8Array([b]));
    assert.deepEqual(p.lines, ["x¶y", "z"]);
  });

  it("sends a line with the delimiter appended", () => {
    const [p, t] = connected(new Recorder());
    p.sendLine("HELO example.org");
    p.sendLine(enc.encode("QUIT"));
    assert.equal(t.value(), "HELO example.org\r\nQUIT\r\n");
  });

  it("accepts a line of exactly MAX_LENGTH bytes", () => {
    const [p, t] = connected(new Recorder());
    p.MAX_LENGTH = 10;
    feed(p, "0123456789", "\r\n");
    assert.deepEqual(p.lines, ["0123456789"]);
    assert.equal(t.disconnecting, false);
  });

  it("calls lineLengthExceeded and drops the connection for a longer line", () => {
    const [p, t] = connected(new Recorder());
    p.MAX_LENGTH = 10;
    feed(p, "ok\r\n01234567890\r\nlater\r\n");
    assert.deepEqual(p.lines, ["ok"]);
    assert.deepEqual(p.exceeded, ["01234567890\r\nlater\r\n"]);
    assert.equal(t.disconnecting, true);
  });

  it("calls lineLengthExceeded for a long line before its delimiter arrives", () => {
    const [p, t] = connected(new Recorder());
    p.MAX_LENGTH = 10;
    feed(p, "0123456789", "0", "1");
    assert.deepEqual(p.exceeded, ["012345678901"]);
    assert.equal(t.disconnecting, true);
  });

  it("counts MAX_LENGTH in bytes, not characters", () => {
    const [p] = connected(new Recorder());
    p.MAX_LENGTH = 4;
    feed(p, "éé\r\néé€\r\n");
    assert.deepEqual(p.lines, ["éé"]);
    assert.equal(p.exceeded.length, 1);
  });

  it("stops delivering lines once the transport is disconnecting", () => {
    class QuitOnFirst extends Recorder {
      override lineReceived(line: string): void {
        super.lineReceived(line);
        this.transport.loseConnection();
      }
    }
    const [p] = connected(new QuitOnFirst());
    feed(p, "a\r\nb\r\nc\r\n");
    assert.deepEqual(p.lines, ["a"]);
  });

  it("passes data to rawDataReceived in raw mode and back to lines after setLineMode", () => {
    class Body extends Recorder {
      override lineReceived(line: string): void {
        super.lineReceived(line);
        if (line === "BODY") this.setRawMode();
      }
      override rawDataReceived(data: Uint8Array): void {
        super.rawDataReceived(data);
        const text = new TextDecoder().decode(data);
        const end = text.indexOf("END");
        if (end >= 0) this.setLineMode(text.slice(end + 3));
      }
    }
    const [p] = connected(new Body());
    feed(p, "head\r\nBODY\r\nraw\r\nbytes", "END", "tail\r\nlast\r\n");
    assert.deepEqual(p.lines, ["head", "BODY", "tail", "last"]);
    assert.equal(
      new TextDecoder().decode(concat(p.raw)),
      "raw\r\nbytesEND",
    );
  });

  it("clearLineBuffer returns and drops what is buffered", () => {
    const [p] = connected(new Recorder());
    feed(p, "partial");
    assert.equal(new TextDecoder().decode(p.clearLineBuffer()), "partial");
    feed(p, "\r\n");
    assert.deepEqual(p.lines, [""]);
  });

  it("buffers data fed back in from lineReceived and delivers it in order", () => {
    class Reentrant extends Recorder {
      override lineReceived(line: string): void {
        super.lineReceived(line);
        if (line === "a") this.dataReceived(enc.encode("injected\r\n"));
      }
    }
    const [p] = connected(new Reentrant());
    feed(p, "a\r\nb\r\n");
    assert.deepEqual(p.lines, ["a", "b", "injected"]);
  });

  it("holds lines while paused and delivers them on resume", () => {
    const [p, t] = connected(new Recorder());
    p.pauseProducing();
    assert.equal(t.producerState, "paused");
    feed(p, "a\r\nb\r\n");
    assert.deepEqual(p.lines, []);
    p.resumeProducing();
    assert.deepEqual(p.lines, ["a", "b"]);
    assert.equal(t.producerState, "producing");
  });

  it("hands rawDataReceived bytes that later data does not overwrite", () => {
    const kept: Uint8Array[] = [];
    class Keeper extends LineReceiver {
      override lineReceived(): void {
        this.setRawMode();
      }
      override rawDataReceived(data: Uint8Array): void {
        kept.push(data);
        if (kept.length === 1) this.setLineMode();
      }
    }
    const [p] = connected(new Keeper());
    feed(p, "RA", "W\r\nabc", "R", "AW\r\nxyz");
    assert.deepEqual(kept.map((k) => new TextDecoder().decode(k)), [
      "abc",
      "xyz",
    ]);
  });

  it("splits any text the same way whatever the chunk boundaries", () => {
    // Characters chosen to make the edge cases likely: lone CR and LF,
    // and one-, two-, three- and four-byte UTF-8 sequences.
    const unit = fc.constantFrom(
      "a",
      "\r",
      "\n",
      "é",
      "☕",
      "🐍",
      " ",
      "\u0000",
    );
    const line = fc.string({ unit, maxLength: 40 }).filter((s) =>
      !s.includes("\r\n")
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (lines, cuts) => {
          const clean = lines.filter((l) => enc.encode(l).length <= 60);
          const bytes = enc.encode(clean.map((l) => l + "\r\n").join(""));
          const [p, t] = connected(new Recorder());
          p.MAX_LENGTH = 60;
          for (const c of chunk(bytes, cuts)) p.dataReceived(c);
          assert.deepEqual(p.lines, clean);
          assert.equal(t.disconnecting, false);
        },
      ),
    );
  });

  it("rejects a line over MAX_LENGTH whatever the chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (okLength, over, cuts) => {
          const bytes = enc.encode(
            `${"a".repeat(okLength)}\r\n${"b".repeat(20 + over)}\r\nc\r\n`,
          );
          const [p, t] = connected(new Recorder());
          p.MAX_LENGTH = 20;
          for (const c of chunk(bytes, cuts)) p.dataReceived(c);
          assert.deepEqual(p.lines, ["a".repeat(okLength)]);
          assert.equal(p.exceeded.length, 1);
          assert.equal(t.disconnecting, true);
        },
      ),
    );
  });
});
