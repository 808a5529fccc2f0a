// A burst of clients that each write and at once half-close: every byte
// must reach dataReceived before connectionLost (issue 10, item 1). With
// Twisted's old default backlog of 50 the kernel dropped the queued
// connections' data on Deno and Node; see the reactor README.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type { Failure } from "@twixt/defer";
import {
  ConnectionDone,
  Factory,
  type IPushProducer,
  listenTCP,
  Protocol,
  reactor,
} from "./mod.ts";
import { signal } from "./_tcp_test_util.ts";

const CLIENTS = 300;
const ROUNDS = 3;

/** What a server protocol saw of one connection. */
interface Seen {
  text: string;
  lostBeforeData: boolean;
  reason: Failure | undefined;
}

type Mode = "plain" | "producer" | "paused";

/** A server protocol that keeps what arrives, in the given mode. */
function serverFactory(
  mode: Mode,
  seen: Seen[],
  allLost: () => void,
): Factory<Protocol> {
  const decoder = new TextDecoder();
  class Counting extends Protocol {
    #seen: Seen = { text: "", lostBeforeData: false, reason: undefined };
    override connectionMade(): void {
      seen.push(this.#seen);
      if (mode === "producer") {
        // A streaming producer registered for the whole connection, as a
        // server streaming a reply would have.
        const producer: IPushProducer = {
          pauseProducing: () => {},
          resumeProducing: () => {},
          stopProducing: () => {},
        };
        this.transport.registerProducer(producer, true);
        this.transport.write("ok\n");
      } else if (mode === "paused") {
        // Reading paused at once and resumed on a later turn: the data and
        // the half-close wait in the socket meanwhile.
        this.transport.pauseProducing();
        setImmediate(() => this.transport.resumeProducing());
      }
    }
    override dataReceived(data: Uint8Array): void {
      this.#seen.text += decoder.decode(data);
    }
    override connectionLost(reason: Failure): void {
      this.#seen.reason = reason;
      this.#seen.lostBeforeData = this.#seen.text === "";
      if (
        seen.every((s) => s.reason !== undefined) && seen.length === CLIENTS
      ) {
        allLost();
      }
    }
  }
  return Factory.forProtocol(Counting);
}

/** Opens `CLIENTS` connections at once, each writing its line then ending. */
function burst(port: number): Promise<string[]> {
  const errors: string[] = [];
  let open = CLIENTS;
  const done = signal<string[]>();
  for (let i = 0; i < CLIENTS; i++) {
    const socket: Socket = connect(port, "127.0.0.1");
    socket.on("error", (e: Error) => errors.push(`client ${i}: ${e.message}`));
    socket.write(`client ${i}\n`);
    socket.end();
    socket.resume();
    socket.on("close", () => {
      if (--open === 0) done.resolve(errors);
    });
  }
  return done.promise;
}

async function rounds(mode: Mode): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const seen: Seen[] = [];
    const lost = signal();
    const port = await listenTCP(
      reactor,
      0,
      serverFactory(mode, seen, lost.resolve),
      { interface: "127.0.0.1" }, // default backlog
    );
    try {
      const clientErrors = await burst(port.getHost().port);
      // Bounded: a connection the server never saw must fail the test, not
      // hang it.
      let guard: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        lost.promise,
        new Promise<void>((r) => (guard = setTimeout(r, 10_000))),
      ]);
      clearTimeout(guard);
      assert.deepEqual(clientErrors, []);
      assert.equal(seen.length, CLIENTS, `round ${round}: connections seen`);
      assert.ok(seen.every((s) => s.reason !== undefined), "all lost");
      const empty = seen.filter((s) => s.lostBeforeData).length;
      assert.equal(
        empty,
        0,
        `round ${round}: ${empty} connections lost before any data`,
      );
      const texts = seen.map((s) => s.text).sort();
      const expected = Array.from(
        { length: CLIENTS },
        (_, i) => `client ${i}\n`,
      )
        .sort();
      assert.deepEqual(texts, expected);
      for (const s of seen) assert.ok(s.reason?.check(ConnectionDone));
    } finally {
      await port.stopListening();
    }
  }
}

describe("TCP under a burst of write-then-half-close clients", () => {
  it(`delivers every byte of ${CLIENTS} clients before connectionLost, ${ROUNDS} rounds`, async () => {
    await rounds("plain");
  });

  it("delivers every byte with a streaming producer registered on each connection", async () => {
    await rounds("producer");
  });

  it("delivers every byte when reading was paused and resumed around the half-close", async () => {
    await rounds("paused");
  });
});
