/**
 * A transport that keeps what is written to it, for testing protocols
 * without sockets: Twisted's `twisted.internet.testing.StringTransport`.
 *
 * @module
 */

import { IPv4Address, type TCPAddress } from "./tcp_address.ts";
import type { IProducer, ITransport } from "./tcp_interfaces.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * An in-memory transport: writes are collected (read them with
 * {@linkcode StringTransport.value}), `loseConnection` only sets
 * `disconnecting`, and producer calls are recorded. Give it to
 * `protocol.makeConnection(...)` and feed the protocol with
 * `dataReceived` to test it deterministically.
 *
 * @example Usage
 * ```ts
 * import { LineReceiver, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const transport = new StringTransport();
 * const p = new LineReceiver();
 * p.makeConnection(transport);
 * p.sendLine("HELO example.org");
 * assert.equal(transport.value(), "HELO example.org\r\n");
 * transport.clear();
 * assert.equal(transport.value(), "");
 * ```
 */
export class StringTransport implements ITransport {
  #chunks: Uint8Array[] = [];
  #peer: TCPAddress;
  #host: TCPAddress;
  /** Set by `loseConnection` (and `abortConnection`). */
  disconnecting = false;
  /** Set by `abortConnection`. */
  aborted = false;
  /** Always true: the connection never really ends. */
  readonly connected = true;
  /** The registered producer, if any. */
  producer: IProducer | undefined = undefined;
  /** Whether the registered producer is streaming. */
  streaming: boolean | undefined = undefined;
  /** What the protocol asked of this transport as a producer. */
  producerState: "producing" | "paused" | "stopped" = "producing";

  /** Creates the transport, with the given addresses for `getHost`/`getPeer`. */
  constructor(
    host: TCPAddress = new IPv4Address("TCP", "10.0.0.1", 12345),
    peer: TCPAddress = new IPv4Address("TCP", "192.168.1.1", 54321),
  ) {
    this.#host = host;
    this.#peer = peer;
  }

  /** Everything written so far, decoded as UTF-8. */
  value(): string {
    return decoder.decode(this.bytes());
  }

  /** Everything written so far, as bytes. */
  bytes(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const all = new Uint8Array(
        this.#chunks.reduce((n, c) => n + c.length, 0),
      );
      let at = 0;
      for (const c of this.#chunks) {
        all.set(c, at);
        at += c.length;
      }
      this.#chunks = [all];
    }
    return this.#chunks[0]!;
  }

  /** Forgets what was written. */
  clear(): void {
    this.#chunks = [];
  }

  /** Collects `data` (strings as UTF-8). */
  write(data: Uint8Array | string): void {
    this.#chunks.push(
      typeof data === "string" ? encoder.encode(data) : data.slice(),
    );
  }

  /** Collects each item of `data`. */
  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const d of data) this.write(d);
  }

  /** Sets `disconnecting`; nothing else happens. */
  loseConnection(): void {
    this.disconnecting = true;
  }

  /** Sets `aborted` and `disconnecting`. */
  abortConnection(): void {
    this.aborted = true;
    this.disconnecting = true;
  }

  /** The peer address given to the constructor. */
  getPeer(): TCPAddress {
    return this.#peer;
  }

  /** The host address given to the constructor. */
  getHost(): TCPAddress {
    return this.#host;
  }

  /**
   * Records `producer`.
   *
   * @throws {Error} When another producer is registered.
   */
  registerProducer(producer: IProducer, streaming: boolean): void {
    if (this.producer !== undefined) {
      throw new Error(
        "Cannot register a producer: another producer is registered and was never unregistered",
      );
    }
    this.producer = producer;
    this.streaming = streaming;
  }

  /** Forgets the producer. */
  unregisterProducer(): void {
    this.producer = undefined;
    this.streaming = undefined;
  }

  /** Sets `producerState` to `"paused"`. */
  pauseProducing(): void {
    this.producerState = "paused";
  }

  /** Sets `producerState` to `"producing"`. */
  resumeProducing(): void {
    this.producerState = "producing";
  }

  /** Sets `producerState` to `"stopped"`. */
  stopProducing(): void {
    this.producerState = "stopped";
  }
}
