/**
 * Two protocols joined in memory, as Twisted's `twisted.test.iosim`: each
 * side has a {@linkcode MemoryTransport}, and an {@linkcode IOPump} moves
 * the bytes between them only when told to, so a test sees every
 * intermediate state of a conversation.
 *
 * @module
 */

import { Failure, logError } from "@twixt/defer";
import { Factory, Protocol } from "./protocol.ts";
import { IPv4Address, type TCPAddress } from "./tcp_address.ts";
import { ConnectionAborted, ConnectionDone } from "./tcp_errors.ts";
import type { IProducer, ITransport } from "./tcp_interfaces.ts";
import { _ProducerSlot } from "./_producer_slot.ts";

const encoder = new TextEncoder();

// How many bytes a side buffers before its streaming producer is paused:
// node's default high-water mark for sockets.
const DEFAULT_BUFFER_SIZE = 16384;

// Rounds of `flush` before it gives up: a conversation that never goes
// quiet is a bug in the protocols under test, not a reason to hang.
const FLUSH_LIMIT = 1000;

/**
 * A protocol that can hear that one direction of its connection closed,
 * as Twisted's `IHalfCloseableProtocol`: a transport whose peer calls
 * `loseWriteConnection` calls `readConnectionLost` instead of closing the
 * whole connection.
 *
 * @example Usage
 * ```ts
 * import { Protocol } from "@twixt/reactor";
 * import { connectedServerAndClient, type IHalfCloseableProtocol } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * class Upper extends Protocol implements IHalfCloseableProtocol {
 *   #text = "";
 *   override dataReceived(data: Uint8Array): void {
 *     this.#text += new TextDecoder().decode(data);
 *   }
 *   readConnectionLost(): void {
 *     this.transport.write(this.#text.toUpperCase());
 *     this.transport.loseConnection();
 *   }
 *   writeConnectionLost(): void {}
 * }
 * const { client, pump } = connectedServerAndClient(() => new Upper(), () => new Protocol());
 * const got: string[] = [];
 * client.dataReceived = (d) => { got.push(new TextDecoder().decode(d)); };
 * client.transport.write("shout");
 * pump.clientTransport.loseWriteConnection();
 * pump.flush();
 * assert.deepEqual(got, ["SHOUT"]);
 * ```
 */
export interface IHalfCloseableProtocol {
  /** The other side will send no more data (it called `loseWriteConnection`). */
  readConnectionLost(): void;
  /** This side's `loseWriteConnection` has taken effect. */
  writeConnectionLost(): void;
}

/**
 * Options of {@linkcode connectedServerAndClient} and
 * `MemoryConnector.succeed`.
 *
 * @example Usage
 * ```ts
 * import { LineReceiver } from "@twixt/reactor";
 * import { connectedServerAndClient, type ConnectedOptions } from "@twixt/reactor/testing";
 *
 * const opts: ConnectedOptions = { chunkSize: 1, greet: false };
 * const { pump } = connectedServerAndClient(() => new LineReceiver(), () => new LineReceiver(), opts);
 * pump.flush();
 * ```
 */
export interface ConnectedOptions {
  /**
   * Deliver the bytes in `dataReceived` calls of at most this many bytes
   * (a positive integer), to test framing; by default each round's bytes
   * arrive in one call.
   */
  chunkSize?: number;
  /**
   * Flush once after connecting, so the protocols start past their
   * greetings (true by default, as in Twisted); false to see every step.
   */
  greet?: boolean;
  /**
   * The bytes a side may have waiting before its streaming producer is
   * paused (16384 by default, node's high-water mark for sockets).
   */
  bufferSize?: number;
  /** The server's address (its `getHost()`, the client's `getPeer()`). */
  serverAddress?: TCPAddress;
  /** The client's address (its `getHost()`, the server's `getPeer()`). */
  clientAddress?: TCPAddress;
}

/**
 * A server and a client protocol joined in memory, and the pump that
 * moves bytes between them.
 *
 * @typeParam S The server protocol.
 * @typeParam C The client protocol.
 * @example Usage
 * ```ts
 * import { Protocol } from "@twixt/reactor";
 * import { type ConnectedPair, connectedServerAndClient } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const pair: ConnectedPair<Protocol, Protocol> = connectedServerAndClient(() => new Protocol(), () => new Protocol());
 * assert.equal(pair.server.transport, pair.pump.serverTransport);
 * ```
 */
export interface ConnectedPair<S extends Protocol, C extends Protocol> {
  /** The server protocol (the accepting side). */
  server: S;
  /** The client protocol (the connecting side). */
  client: C;
  /** Moves bytes between them. */
  pump: IOPump;
}

/**
 * What a server or client side can be given as: a factory (its
 * `buildProtocol` is called with the other side's address), a protocol
 * instance, or a function returning one.
 *
 * @typeParam P The protocol.
 * @example Usage
 * ```ts
 * import { Factory, Protocol } from "@twixt/reactor";
 * import type { ProtocolSource } from "@twixt/reactor/testing";
 *
 * const sources: ProtocolSource<Protocol>[] = [Factory.forProtocol(Protocol), new Protocol(), () => new Protocol()];
 * ```
 */
export type ProtocolSource<P extends Protocol> =
  | Factory<P>
  | P
  | (() => P);

/** @internal Builds the protocol `source` describes, for a peer at `addr`. */
export function _buildProtocol<P extends Protocol>(
  source: ProtocolSource<P>,
  addr: TCPAddress,
  side: string,
): P {
  let p: P | null;
  if (source instanceof Factory) p = source.buildProtocol(addr);
  else if (source instanceof Protocol) p = source;
  else if (typeof source === "function") p = source();
  else {
    throw new TypeError(
      `Cannot connect the ${side}: expected a Factory, a Protocol or a function returning one, got ${
        String(source)
      }`,
    );
  }
  if (!(p instanceof Protocol)) {
    throw new TypeError(
      `Cannot connect the ${side}: its factory built no protocol`,
    );
  }
  return p;
}

/**
 * Joins a server and a client protocol by two in-memory transports, as
 * Twisted's `iosim.connectedServerAndClient`: no sockets, no event loop,
 * nothing moves until the returned pump is told to. `pump.pump()` moves
 * one round (what each side wrote since the last round is delivered, and
 * closes that are due happen); `pump.flush()` pumps until both sides are
 * quiet.
 *
 * The transports behave as Twixt's TCP transport: `loseConnection` closes
 * once what was written is delivered (and a registered producer has
 * unregistered), and stops reading; `abortConnection` drops what was not
 * delivered; both sides then get `connectionLost` (`ConnectionDone`, or
 * `ConnectionAborted` on the aborting side). `pauseProducing` on a
 * transport stops its protocol receiving, so the other side's writes back
 * up and its streaming producer is paused past `bufferSize`; a pull
 * producer is asked for a chunk each round. `loseWriteConnection` closes
 * one direction, as TCP's half-close.
 *
 * @typeParam S The server protocol.
 * @typeParam C The client protocol.
 * @param server The server side: a factory, a protocol or a function returning one.
 * @param client The client side, likewise.
 * @param opts Chunk size, greeting, buffer size and addresses.
 * @returns The two protocols, connected, and the pump.
 * @throws {RangeError} When `chunkSize` or `bufferSize` is not a positive integer.
 * @throws {TypeError} When a side is none of the accepted kinds, or its factory builds no protocol.
 * @example Usage
 * ```ts
 * import { LineReceiver } from "@twixt/reactor";
 * import { connectedServerAndClient } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * class Greeter extends LineReceiver {
 *   override connectionMade(): void { this.sendLine("hello"); }
 * }
 * class Listener extends LineReceiver {
 *   lines: string[] = [];
 *   override lineReceived(line: string): void { this.lines.push(line); }
 * }
 * const { client, pump } = connectedServerAndClient(() => new Greeter(), () => new Listener(), { greet: false });
 * assert.deepEqual(client.lines, []);
 * assert.equal(pump.pump(), true);
 * assert.deepEqual(client.lines, ["hello"]);
 * assert.equal(pump.pump(), false);
 * ```
 */
export function connectedServerAndClient<
  S extends Protocol,
  C extends Protocol,
>(
  server: ProtocolSource<S>,
  client: ProtocolSource<C>,
  opts: ConnectedOptions = {},
): ConnectedPair<S, C> {
  const chunkSize = positive("chunkSize", opts.chunkSize, Infinity);
  const bufferSize = positive(
    "bufferSize",
    opts.bufferSize,
    DEFAULT_BUFFER_SIZE,
  );
  const serverAddress = opts.serverAddress ??
    new IPv4Address("TCP", "10.0.0.1", 12345);
  const clientAddress = opts.clientAddress ??
    new IPv4Address("TCP", "192.168.1.1", 54321);
  const s = _buildProtocol(server, clientAddress, "server");
  const c = _buildProtocol(client, serverAddress, "client");
  const st = new MemoryTransport(s, serverAddress, clientAddress, bufferSize);
  const ct = new MemoryTransport(c, clientAddress, serverAddress, bufferSize);
  const pump = new IOPump(st, ct, chunkSize);
  st._start();
  ct._start();
  if (opts.greet ?? true) pump.flush();
  return { server: s, client: c, pump };
}

function size(chunks: Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

function positive(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot connect in memory with ${name} ${
        String(value)
      }; it must be a positive integer`,
    );
  }
  return value;
}

// What a transport is doing about closing.
const OPEN = 0;
const CLOSING = 1; // loseConnection: close once flushed and unproduced
const ABORTING = 2; // abortConnection or a callback threw: close next round
const CLOSED = 3;

/**
 * One side of a connection made by {@linkcode connectedServerAndClient}:
 * an `ITransport` whose writes wait in memory until the
 * {@linkcode IOPump} moves them. Twisted's `iosim.FakeTransport`, with the
 * closing and flow-control behaviour of Twixt's TCP transport.
 *
 * @example Usage
 * ```ts
 * import { Protocol } from "@twixt/reactor";
 * import { connectedServerAndClient, MemoryTransport } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const { client, pump } = connectedServerAndClient(() => new Protocol(), () => new Protocol());
 * assert.ok(client.transport instanceof MemoryTransport);
 * client.transport.write("queued");
 * assert.equal(pump.clientTransport.pending, 6);
 * pump.flush();
 * assert.equal(pump.clientTransport.pending, 0);
 * ```
 */
export class MemoryTransport implements ITransport {
  #protocol: Protocol;
  #host: TCPAddress;
  #peer: TCPAddress;
  #bufferSize: number;
  #out: Uint8Array[] = [];
  #pending = 0;
  #state = OPEN;
  #reason: Failure | undefined = undefined;
  #writeClosed = false; // no more writes are taken
  #writeShut = false; // loseWriteConnection: shut once flushed
  #writeShutDone = false;
  #readClosed = false; // the peer half-closed, or we stopped reading
  #reading = true;
  #producers = new _ProducerSlot((e) => this.#failed(e));
  #connected = false;
  #disconnecting = false;
  #onLost: Array<(reason: Failure) => void> = [];

  /** @internal Made by {@linkcode connectedServerAndClient}. */
  constructor(
    protocol: Protocol,
    host: TCPAddress,
    peer: TCPAddress,
    bufferSize: number = DEFAULT_BUFFER_SIZE,
  ) {
    this.#protocol = protocol;
    this.#host = host;
    this.#peer = peer;
    this.#bufferSize = bufferSize;
  }

  /** @internal Calls the protocol's `makeConnection`. */
  _start(): void {
    this.#connected = true;
    this.#safely(() => this.#protocol.makeConnection(this));
  }

  /** The protocol this transport delivers to. */
  get protocol(): Protocol {
    return this.#protocol;
  }

  /** True between the connection being made and being lost. */
  get connected(): boolean {
    return this.#connected;
  }

  /** True once `loseConnection` or `abortConnection` was called. */
  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  /** True once the connection is lost (`connectionLost` has been called). */
  get disconnected(): boolean {
    return this.#state === CLOSED;
  }

  /** How many bytes written by this side wait for the pump. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether this side reads what arrives (false after `pauseProducing`). */
  get reading(): boolean {
    return this.#reading && !this.#readClosed && this.#state === OPEN;
  }

  /**
   * Queues `data` (a string as UTF-8) for the pump. Writes after
   * `loseConnection` are still sent while the rest is flushed; writes
   * after the connection (or its write side) closed are dropped.
   */
  write(data: Uint8Array | string): void {
    if (this.#writeClosed || this.#state >= ABORTING) return;
    const bytes = typeof data === "string"
      ? encoder.encode(data)
      : data.slice();
    if (bytes.length === 0) return;
    this.#out.push(bytes);
    this.#pending += bytes.length;
    if (this.#pending >= this.#bufferSize) this.#producers.full();
  }

  /** Queues each item of `data`, in order. */
  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const d of data) this.write(d);
  }

  /**
   * Closes the connection once everything written has been delivered
   * (and a registered producer has unregistered); stops reading at once.
   */
  loseConnection(): void {
    if (this.#state !== OPEN) return;
    this.#disconnecting = true;
    this.#state = CLOSING;
  }

  /** Closes the connection on the next round, dropping what was not delivered. */
  abortConnection(): void {
    if (this.#state >= ABORTING) return;
    this.#disconnecting = true;
    this.#reason ??= new Failure(new ConnectionAborted());
    this.#abort();
  }

  /**
   * Closes this side's write direction once what was written is
   * delivered, as TCP's half-close: the peer's protocol gets
   * `readConnectionLost` if it has one (else its connection closes), and
   * this side's gets `writeConnectionLost`.
   */
  loseWriteConnection(): void {
    if (this.#state !== OPEN || this.#writeShut) return;
    this.#writeShut = true;
    this.#writeClosed = true;
  }

  /** The address of the other side. */
  getPeer(): TCPAddress {
    return this.#peer;
  }

  /** The address of this side. */
  getHost(): TCPAddress {
    return this.#host;
  }

  /** Stops delivering to this side's protocol; what arrives waits. */
  pauseProducing(): void {
    this.#reading = false;
  }

  /** Delivers to this side's protocol again, from the next round. */
  resumeProducing(): void {
    this.#reading = true;
  }

  /** Closes the connection, as {@linkcode MemoryTransport.loseConnection}. */
  stopProducing(): void {
    this.loseConnection();
  }

  /**
   * Attaches `producer`: a streaming one is paused while more than the
   * buffer size waits and resumed when the pump drains it; a pull
   * producer has `resumeProducing` called once each round. If the write
   * side is closed, the producer is stopped at once.
   *
   * @throws {Error} When another producer is registered.
   */
  registerProducer(producer: IProducer, streaming: boolean): void {
    const closed = this.#writeClosed || this.#state >= ABORTING;
    const full = this.#pending >= this.#bufferSize;
    this.#producers.register(producer, streaming, closed, full);
  }

  /** Detaches the producer; a pending `loseConnection` then proceeds. */
  unregisterProducer(): void {
    this.#producers.unregister();
  }

  /** Does nothing (there is no Nagle in memory). */
  setTcpNoDelay(_enabled: boolean): void {}

  /** Does nothing (there are no keepalive probes in memory). */
  setTcpKeepAlive(_enabled: boolean): void {}

  /** A description for debugging. */
  toString(): string {
    return `<MemoryTransport ${this.#protocol.constructor.name} ${this.#host.host}:${this.#host.port} -> ${this.#peer.host}:${this.#peer.port}>`;
  }

  /** @internal Asks a pull producer for its next chunk. */
  _pull(): void {
    if (this.#writeClosed) return;
    if (this.#pending >= this.#bufferSize) return; // asked again once drained
    this.#producers.pull();
  }

  /** @internal Takes what waits for the peer. */
  _take(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    this.#pending = 0;
    return out;
  }

  /**
   * @internal Gives back what the peer did not read, to send first next
   * round; resumes a paused producer if the buffer has drained.
   */
  _untake(rest: Uint8Array[]): void {
    this.#out = [...rest, ...this.#out];
    for (const r of rest) this.#pending += r.length;
    if (this.#pending >= this.#bufferSize) this.#producers.full();
    else this.#producers.drained();
  }

  /**
   * @internal Delivers `chunks` in pieces of at most `size`; returns what
   * it could not deliver because this side stopped reading.
   */
  _deliver(chunks: Uint8Array[], size: number): Uint8Array[] {
    for (let i = 0; i < chunks.length; i++) {
      let chunk = chunks[i]!;
      while (chunk.length > 0) {
        if (this.#state !== OPEN || this.#readClosed) return []; // dropped
        if (!this.#reading) return [chunk, ...chunks.slice(i + 1)];
        const piece = chunk.length > size ? chunk.subarray(0, size) : chunk;
        chunk = chunk.subarray(piece.length);
        this.#safely(() => this.#protocol.dataReceived(piece));
      }
    }
    return [];
  }

  /**
   * @internal Carries out a close that is due (nothing left to send);
   * returns whether anything happened.
   */
  _settle(peer: MemoryTransport): boolean {
    if (this.#state === ABORTING) {
      this.#lose(this.#reason!);
      peer.#peerClosed();
      return true;
    }
    const idle = this.#pending === 0 && !this.#producers.registered;
    if (this.#state === CLOSING && idle) {
      this.#lose(new Failure(new ConnectionDone()));
      peer.#peerClosed();
      return true;
    }
    if (this.#writeShut && !this.#writeShutDone && this.#pending === 0) {
      this.#writeShutDone = true;
      this.#producers.stop();
      const self = this.#protocol as Partial<IHalfCloseableProtocol>;
      if (typeof self.writeConnectionLost === "function") {
        this.#safely(() => self.writeConnectionLost!());
      }
      if (peer.#writeShutDone) {
        // Both directions are shut: the connection is over.
        this.#lose(new Failure(new ConnectionDone()));
        peer.#peerClosed();
      } else peer.#peerHalfClosed();
      return true;
    }
    return false;
  }

  // The peer closed its side: the connection is over here too (node ends
  // our half once the other side's FIN arrives).
  #peerClosed(): void {
    if (this.#state === CLOSED) return;
    this.#out = [];
    this.#pending = 0;
    this.#lose(this.#reason ?? new Failure(new ConnectionDone()));
  }

  #peerHalfClosed(): void {
    if (this.#state !== OPEN) return;
    const p = this.#protocol as Partial<IHalfCloseableProtocol>;
    if (typeof p.readConnectionLost !== "function") {
      // Not half-closeable: as in Twisted, the whole connection closes.
      this.#disconnecting = true;
      this.#state = CLOSING;
      return;
    }
    this.#readClosed = true;
    this.#safely(() => p.readConnectionLost!());
  }

  #abort(): void {
    this.#state = ABORTING;
    this.#writeClosed = true;
    this.#out = [];
    this.#pending = 0;
  }

  #lose(reason: Failure): void {
    this.#state = CLOSED;
    this.#connected = false;
    this.#writeClosed = true;
    this.#producers.connectionLost();
    try {
      this.#protocol.connectionLost(reason);
    } catch (e) {
      logError(new Failure(e));
    }
    for (const fn of this.#onLost.splice(0)) fn(reason);
  }

  /** @internal Calls `fn(reason)` after the protocol's `connectionLost`. */
  _whenLost(fn: (reason: Failure) => void): void {
    this.#onLost.push(fn);
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#failed(e);
    }
  }

  // As Twixt's TCP transport: a protocol callback that throws is logged,
  // and its connection dropped with the error as the reason.
  #failed(e: unknown): void {
    const failure = new Failure(e);
    logError(failure);
    if (this.#state < ABORTING) {
      this.#disconnecting = true;
      this.#reason = failure;
      this.#abort();
    }
  }
}

/**
 * Moves bytes between the two sides of a {@linkcode connectedServerAndClient}
 * pair, as Twisted's `iosim.IOPump`.
 *
 * @example Usage
 * ```ts
 * import { Protocol } from "@twixt/reactor";
 * import { connectedServerAndClient } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const { client, server, pump } = connectedServerAndClient(() => new Protocol(), () => new Protocol());
 * const seen: number[] = [];
 * server.dataReceived = (d) => { seen.push(d.length); };
 * client.transport.write("abc");
 * assert.deepEqual(seen, []);
 * pump.pump();
 * assert.deepEqual(seen, [3]);
 * client.transport.loseConnection();
 * pump.flush();
 * assert.equal(server.transport.connected, false);
 * ```
 */
export class IOPump {
  /** The server's transport. */
  readonly serverTransport: MemoryTransport;
  /** The client's transport. */
  readonly clientTransport: MemoryTransport;
  #chunkSize: number;

  /** @internal Made by {@linkcode connectedServerAndClient}. */
  constructor(
    serverTransport: MemoryTransport,
    clientTransport: MemoryTransport,
    chunkSize: number = Infinity,
  ) {
    this.serverTransport = serverTransport;
    this.clientTransport = clientTransport;
    this.#chunkSize = chunkSize;
  }

  /**
   * Moves one round: pull producers are asked for a chunk, what each side
   * wrote is delivered to the other (unless it stopped reading), and if
   * nothing moved, one close that is due happens.
   *
   * @returns Whether anything moved or closed.
   */
  pump(): boolean {
    const s = this.serverTransport;
    const c = this.clientTransport;
    s._pull();
    c._pull();
    const fromServer = s._take();
    const fromClient = c._take();
    const keptByServer = c._deliver(fromServer, this.#chunkSize);
    const keptByClient = s._deliver(fromClient, this.#chunkSize);
    // Bytes a paused side did not read go back; only what arrived counts.
    const moved = size(fromServer) > size(keptByServer) ||
      size(fromClient) > size(keptByClient);
    s._untake(keptByServer);
    c._untake(keptByClient);
    if (moved) return true;
    return s._settle(c) || c._settle(s);
  }

  /**
   * Pumps until nothing moves (or closes) any more.
   *
   * @returns Whether anything moved.
   * @throws {Error} When the sides still exchange data after 1000 rounds.
   */
  flush(): boolean {
    let moved = false;
    for (let i = 0; i < FLUSH_LIMIT; i++) {
      if (!this.pump()) return moved;
      moved = true;
    }
    throw new Error(
      `Cannot flush the connection: data still moves after ${FLUSH_LIMIT} rounds`,
    );
  }
}
