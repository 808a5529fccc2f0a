/**
 * Twixt's LineReceiver against Twisted's, both ways: the same segments are
 * sent to a Twisted receiver and to a Twixt receiver, each as server and as
 * client, and the events each prints must be the same, and what Twisted
 * prints. Then 50 MB each way, with a producer on the sender and a reader
 * that pauses, byte-exact by SHA-256.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Deferred, type Failure } from "@twixt/defer";
import {
  ClientFactory,
  connectTCP,
  Factory,
  type IListeningPort,
  LineReceiver,
  listenTCP,
  Protocol,
  reactor,
} from "@twixt/reactor";
import { type Peer, skipReason, startPeer } from "./_python.ts";

const encoder = new TextEncoder();
const hex = (s: string | Uint8Array): string =>
  Buffer.from(typeof s === "string" ? encoder.encode(s) : s).toString("hex");

/** One scenario: how the receiver is set up and what the sender writes. */
interface Case {
  delimiter: string;
  max: number;
  /** Each written 10 ms after the last, so that they arrive apart. */
  segments: string[];
  /** What Twisted's receiver prints, hence what Twixt's must. */
  expected: string[];
}

/** Sends `message` split in two at every byte position in turn. */
function everySplit(message: string): string[] {
  const bytes = encoder.encode(message);
  const out: string[] = [];
  for (let k = 1; k < bytes.length; k++) {
    out.push(hex(bytes.subarray(0, k)), hex(bytes.subarray(k)));
  }
  return out;
}

const repeat = <T>(n: number, items: T[]): T[] =>
  Array.from({ length: n }, () => items).flat();

const CASES: Record<string, Case> = {
  "lines split at every byte position, multi-byte characters too": {
    delimiter: "\r\n",
    max: 16384,
    segments: everySplit("héllo\r\nw€rld\r\n"),
    expected: [
      ...repeat(encoder.encode("héllo\r\nw€rld\r\n").length - 1, [
        'line "héllo"',
        'line "w€rld"',
      ]),
      "lost",
    ],
  },
  "the delimiter \\n, a \\r kept in the line": {
    delimiter: "\n",
    max: 16384,
    segments: everySplit("a\nb\r\n\n"),
    expected: [...repeat(5, ['line "a"', 'line "b\\r"', 'line ""']), "lost"],
  },
  "a custom delimiter, and switching delimiters with lines already buffered": {
    delimiter: "||",
    max: 16384,
    segments: [
      hex("x|y||z|"),
      hex("|DELIM lf||one\ntwo\nDELIM crlf\nthree\r\n"),
      hex("DELIM bar\r\nfour||"),
    ],
    expected: [
      'line "x|y"',
      'line "z"',
      'line "DELIM lf"',
      'delimiter "\\n"',
      'line "one"',
      'line "two"',
      'line "DELIM crlf"',
      'delimiter "\\r\\n"',
      'line "three"',
      'line "DELIM bar"',
      'delimiter "||"',
      'line "four"',
      "lost",
    ],
  },
  "raw mode and back, with the raw bytes and the next lines already buffered": {
    delimiter: "\r\n",
    max: 16384,
    segments: [
      hex("head\r\nRAW 5\r\n12345tail\r\nRAW 3\r\nab"),
      hex("c\r\nend\r\nRAW 4\r\n\r\n"),
      hex("\r\nlast\r\n"),
    ],
    expected: [
      'line "head"',
      'line "RAW 5"',
      'raw "12345"',
      'line "tail"',
      'line "RAW 3"',
      'raw "abc"',
      'line ""',
      'line "end"',
      'line "RAW 4"',
      'raw "\\r\\n\\r\\n"',
      'line "last"',
      "lost",
    ],
  },
  "a line longer than MAX_LENGTH drops the connection; lines after it are not delivered":
    {
      delimiter: "\r\n",
      max: 10,
      segments: [
        hex("short\r\n"),
        hex("0123456789\r\n"),
        hex("01234567890\r\nafter\r\n"),
      ],
      expected: [
        'line "short"',
        'line "0123456789"',
        "exceeded",
        "lost",
      ],
    },
  "an over-long line with no delimiter yet counts the delimiter's length": {
    delimiter: "\r\n",
    max: 10,
    segments: [hex("0123456789\r"), hex("\n"), hex("abcdefghijk"), hex("l")],
    // 11 bytes could still be a 10-byte line and half a delimiter: Twisted
    // waits for MAX_LENGTH + len(delimiter) bytes before giving up.
    expected: ['line "0123456789"', "exceeded", "lost"],
  },
  "a connection lost in the middle of a line delivers no partial line": {
    delimiter: "\r\n",
    max: 16384,
    segments: [hex("complete\r\npart"), hex("ial")],
    expected: ['line "complete"', "lost"],
  },
};

// ------------------------------------------------------------ Twixt's side

/** Records the same events as line_peer.py's Receiver. */
class Receiver extends LineReceiver {
  readonly events: string[] = [];
  readonly lost = new Deferred<string[]>();
  #rawLeft = 0;
  #raw: Uint8Array[] = [];

  override lineReceived(line: string): void {
    this.events.push(`line ${JSON.stringify(line)}`);
    if (line.startsWith("RAW ")) {
      this.#rawLeft = Number(line.slice(4));
      this.#raw = [];
      this.setRawMode();
    } else if (line.startsWith("DELIM ")) {
      this.delimiter = { lf: "\n", crlf: "\r\n", bar: "||" }[line.slice(6)]!;
      this.events.push(`delimiter ${JSON.stringify(this.delimiter)}`);
    }
  }

  override rawDataReceived(data: Uint8Array): void {
    const take = data.subarray(0, this.#rawLeft);
    this.#raw.push(take);
    this.#rawLeft -= take.length;
    if (this.#rawLeft === 0) {
      const raw = new TextDecoder().decode(Buffer.concat(this.#raw));
      this.events.push(`raw ${JSON.stringify(raw)}`);
      this.setLineMode(data.subarray(take.length));
    }
  }

  override lineLengthExceeded(line: string): void {
    this.events.push("exceeded");
    super.lineLengthExceeded(line);
  }

  override connectionLost(_reason: Failure): void {
    this.events.push("lost");
    this.lost.callback(this.events);
  }
}

/** Writes the segments 10 ms apart, then closes. */
class Sender extends Protocol {
  readonly lost = new Deferred<void>();
  #left: Uint8Array[];
  constructor(segments: string[]) {
    super();
    this.#left = segments.map((s) => Buffer.from(s, "hex"));
  }
  override connectionMade(): void {
    (this.transport as { setTcpNoDelay?: (on: boolean) => void })
      .setTcpNoDelay?.(true);
    this.#next();
  }
  #next(): void {
    const segment = this.#left.shift();
    if (segment === undefined) return this.transport.loseConnection();
    this.transport.write(segment);
    reactor.callLater(0.01, () => this.#next());
  }
  override connectionLost(_reason: Failure): void {
    this.lost.callback(undefined);
  }
}

/** A factory handing out one given protocol instance. */
function factoryOf<P extends Protocol>(p: P): ClientFactory<P> {
  const f = new ClientFactory<P>();
  f.buildProtocol = () => p;
  f.clientConnectionFailed = (_c, reason) => p.connectionLost(reason);
  return f;
}

function serverOf<P extends Protocol>(p: P): Factory<P> {
  const f = new Factory<P>();
  f.buildProtocol = () => p;
  return f;
}

/** Listens on 127.0.0.1, a free port, for one connection to `p`. */
function listen(p: Protocol): Promise<IListeningPort> {
  return listenTCP(reactor, 0, serverOf(p), { interface: "127.0.0.1" })
    .asPromise();
}

/** Waits for `peer` to exit, killing it after `seconds`, and returns its lines. */
async function peerLines(peer: Peer, seconds = 30): Promise<string[]> {
  const timer = setTimeout(() => void peer.kill(), seconds * 1000);
  const code = await peer.exited;
  clearTimeout(timer);
  assert.equal(code, 0, peer.stderr());
  return peer.stdout().split("\n").filter((l) => l !== "");
}

const config = (c: Case): string =>
  JSON.stringify({ delimiter: c.delimiter, max: c.max, segments: c.segments });

/** Twisted receives (as server, or as client of a Twixt server). */
async function twistedReceives(c: Case, asServer: boolean): Promise<string[]> {
  if (asServer) {
    const peer = await startPeer("line_peer.py", ["server", "recv", config(c)]);
    const sender = new Sender(c.segments);
    connectTCP(reactor, "127.0.0.1", peer.port, factoryOf(sender));
    return peerLines(peer);
  }
  const sender = new Sender(c.segments);
  const port = await listen(sender);
  try {
    const peer = await startPeer("line_peer.py", [
      `client:${port.getHost().port}`,
      "recv",
      config(c),
    ]);
    return await peerLines(peer);
  } finally {
    await port.stopListening().asPromise();
  }
}

/** Twixt receives (as client of a Twisted server, or as server). */
async function twixtReceives(c: Case, asServer: boolean): Promise<string[]> {
  const receiver = new Receiver();
  receiver.delimiter = c.delimiter;
  receiver.MAX_LENGTH = c.max;
  if (!asServer) {
    const peer = await startPeer("line_peer.py", ["server", "send", config(c)]);
    connectTCP(reactor, "127.0.0.1", peer.port, factoryOf(receiver));
    const events = await receiver.lost.asPromise();
    await peerLines(peer);
    return events;
  }
  const port = await listen(receiver);
  try {
    const peer = await startPeer("line_peer.py", [
      `client:${port.getHost().port}`,
      "send",
      config(c),
    ]);
    const events = await receiver.lost.asPromise();
    await peerLines(peer);
    return events;
  } finally {
    await port.stopListening().asPromise();
  }
}

describe("LineReceiver: Twixt receives what Twisted receives", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, { timeout: 60_000, skip: skipReason }, async () => {
      const twisted = await twistedReceives(c, true);
      assert.deepEqual(twisted, c.expected, "Twisted, as server");
      assert.deepEqual(
        await twistedReceives(c, false),
        c.expected,
        "Twisted, as client",
      );
      assert.deepEqual(
        await twixtReceives(c, false),
        twisted,
        "Twixt as client of a Twisted server",
      );
      assert.deepEqual(
        await twixtReceives(c, true),
        twisted,
        "Twixt as server of a Twisted client",
      );
    });
  }
});

// ------------------------------------------------------------ 50 MB

const BULK = 50 * 1024 * 1024;

/** The i-th 64 KiB block, as line_peer.py's chunk(i): reproducible bytes. */
function chunk(i: number): Uint8Array {
  const seed = createHash("sha256").update(String(i)).digest();
  const out = new Uint8Array(65536);
  for (let at = 0; at < out.length; at += seed.length) out.set(seed, at);
  return out;
}

/** Sends "SIZE n" then n bytes, as a push producer the transport pauses. */
class BulkSender extends Protocol {
  readonly done = new Deferred<{ hash: string; pauses: number }>();
  #sent = 0;
  #paused = false;
  #pauses = 0;
  #hash = createHash("sha256");

  override connectionMade(): void {
    this.transport.registerProducer(this, true);
    this.transport.write(`SIZE ${BULK}\r\n`);
    this.#produce();
  }
  /** Up to 1 MiB per turn of the event loop, until the transport pauses it. */
  #produce(): void {
    for (let n = 0; n < 16 && !this.#paused && this.#sent < BULK; n++) {
      const data = chunk(Math.floor(this.#sent / 65536))
        .subarray(0, BULK - this.#sent);
      this.#sent += data.length;
      this.#hash.update(data);
      this.transport.write(data);
      if (this.#sent < BULK) continue;
      this.transport.unregisterProducer();
      this.transport.loseConnection();
      this.done.callback({
        hash: this.#hash.digest("hex"),
        pauses: this.#pauses,
      });
    }
    if (!this.#paused && this.#sent < BULK) {
      reactor.callLater(0, () => this.#produce());
    }
  }
  pauseProducing(): void {
    if (!this.#paused) this.#pauses++;
    this.#paused = true;
  }
  resumeProducing(): void {
    this.#paused = false;
    this.#produce();
  }
  stopProducing(): void {
    this.#paused = true;
  }
}

/** Hashes what follows "SIZE n", pausing its reading now and then. */
class BulkReceiver extends LineReceiver {
  readonly lost = new Deferred<{ got: number; hash: string }>();
  #got = 0;
  #nextPause = 8 * 1024 * 1024;
  #hash = createHash("sha256");

  override lineReceived(_line: string): void {
    this.setRawMode();
  }
  override rawDataReceived(data: Uint8Array): void {
    this.#got += data.length;
    this.#hash.update(data);
    if (this.#got >= this.#nextPause) {
      // A slow reader: the sender must hold back, not buffer it all.
      this.#nextPause += 8 * 1024 * 1024;
      this.transport.pauseProducing();
      reactor.callLater(0.1, () => this.transport.resumeProducing());
    }
  }
  override connectionLost(_reason: Failure): void {
    this.lost.callback({ got: this.#got, hash: this.#hash.digest("hex") });
  }
}

describe(
  "50 MB through LineReceiver raw mode, with a producer and a pausing reader",
  {
    skip: skipReason,
  },
  () => {
    it(
      "Twisted (server, push producer) to Twixt (client): byte-exact, the producer paused",
      {
        timeout: 120_000,
        skip: skipReason,
      },
      async () => {
        const peer = await startPeer("line_peer.py", [
          "server",
          "bulk-send",
          String(BULK),
        ]);
        const receiver = new BulkReceiver();
        connectTCP(reactor, "127.0.0.1", peer.port, factoryOf(receiver));
        const got = await receiver.lost.asPromise();
        const [sent] = await peerLines(peer, 90);
        const [, bytes, hash, , pauses] = sent!.split(" ");
        assert.equal(got.got, BULK);
        assert.equal(Number(bytes), BULK);
        assert.equal(got.hash, hash);
        assert.ok(
          Number(pauses) > 0,
          `Twisted's producer never paused: ${sent}`,
        );
      },
    );

    it(
      "Twixt (server, push producer) to Twisted (client): byte-exact, the producer paused",
      {
        timeout: 120_000,
        skip: skipReason,
      },
      async () => {
        const sender = new BulkSender();
        const port = await listen(sender);
        try {
          const peer = await startPeer("line_peer.py", [
            `client:${port.getHost().port}`,
            "bulk-recv",
            "0",
          ]);
          const sent = await sender.done.asPromise();
          const [received] = await peerLines(peer, 90);
          assert.equal(received, `received ${BULK} ${sent.hash}`);
          assert.ok(sent.pauses > 0, "Twixt's producer never paused");
        } finally {
          await port.stopListening().asPromise();
        }
      },
    );
  },
);
