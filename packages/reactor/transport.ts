/**
 * The TCP transport: one `node:net` socket seen through Twisted's
 * `ITransport`, `IConsumer` and `IPushProducer` (twisted/internet/tcp.py and
 * abstract.py).
 *
 * @module
 */

import type { Socket } from "node:net";
import { Failure, logError } from "@twixt/defer";
import { _makeAddress, type TCPAddress } from "./tcp_address.ts";
import {
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
} from "./tcp_errors.ts";
import type { IProducer, ITransport } from "./tcp_interfaces.ts";
import type { Protocol } from "./protocol.ts";
import { _setImmediate as setImmediate, type _Socket } from "./_node.ts";
import type { ITLSContextFactory } from "./ssl.ts";
import { _tls } from "./_tls_hook.ts";
import { _ProducerSlot } from "./_producer_slot.ts";

const EMPTY = new Uint8Array(0);

/** @internal What the owner of a transport (port or connector) hears. */
export interface _TransportOwner {
  /** Called after the protocol's `connectionLost`. */
  transportLost(transport: TCPTransport, reason: Failure): void;
  /** True for a connector: its transports are the client side of TLS. */
  readonly _isClient?: boolean;
}

/**
 * The transport of a TCP connection made by `listenTCP` or `connectTCP`:
 * what a protocol reaches as `this.transport`.
 *
 * Writes never block: data the socket cannot take yet is buffered. To keep
 * that buffer small, register a producer: a streaming one is paused while
 * the socket's buffer is full and resumed when it drains; a pull producer
 * is asked for each next chunk when the buffer has room. Pausing the
 * transport itself stops reading from the socket, which in turn slows the
 * other side down.
 *
 * @example Usage
 * ```ts
 * import { Factory, listenTCP, Protocol, reactor, TCPTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     assert.ok(this.transport instanceof TCPTransport);
 *     this.transport.write("hello\r\n");
 *     this.transport.loseConnection();
 *   }
 * }
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Hello), { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 */
export class TCPTransport implements ITransport {
  #socket: Socket;
  #protocol: Protocol;
  #owner: _TransportOwner | undefined;
  #peer: TCPAddress;
  #host: TCPAddress;
  #connected = true;
  #disconnecting = false;
  // The socket's write side is ended or destroyed: writes are dropped.
  #writeClosed = false;
  // loseConnection's close is under way (see #endWrites).
  #ending = false;
  #reason: Failure | undefined = undefined;
  #producers = new _ProducerSlot((e) => this.#callbackFailed(e));
  #pullScheduled = false;
  #lostWaiters: Array<() => void> = [];
  // The socket's listeners, to move them to the TLS socket in startTLS.
  // deno-lint-ignore no-explicit-any
  #listeners: Array<[string, (...args: any[]) => void]> = [];

  /** @internal Made by the TCP port and connector, not by users. */
  constructor(socket: _Socket, protocol: Protocol, owner?: _TransportOwner) {
    this.#socket = socket as Socket;
    this.#protocol = protocol;
    this.#owner = owner;
    // Read now: node forgets the addresses once the socket closes.
    this.#peer = _makeAddress(socket.remoteAddress, socket.remotePort);
    this.#host = _makeAddress(socket.localAddress, socket.localPort);
  }

  /** @internal Wires the socket's events and calls `makeConnection`. */
  _start(): void {
    this.#listeners = [
      ["data", (chunk: Uint8Array) => this.#onData(chunk)],
      ["error", (err: Error) => {
        this.#reason ??= new Failure(
          new ConnectionLost(
            `Connection to the other side was lost in a non-clean fashion: ${err.message}`,
            { cause: err },
          ),
        );
      }],
      // The other side closed: node ends our side too once our writes are
      // flushed, so later writes would only fail.
      ["end", () => {
        this.#writeClosed = true;
      }],
      ["close", () => this.#connectionLost()],
      ["drain", () => this.#onDrain()],
    ];
    for (const [event, fn] of this.#listeners) this.#socket.on(event, fn);
    try {
      this.#protocol.makeConnection(this);
    } catch (e) {
      this.#callbackFailed(e);
    }
  }

  /** The protocol this transport delivers to. */
  get protocol(): Protocol {
    return this.#protocol;
  }

  /** True between the connection being made and being lost. */
  get connected(): boolean {
    return this.#connected;
  }

  /** True once {@linkcode TCPTransport.loseConnection} was called. */
  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  /**
   * Sends `data` (a string is sent as UTF-8). As in Twisted, writes after
   * `loseConnection` are still sent while earlier data is being flushed,
   * and writes after the connection is closed (by either side) are
   * dropped.
   */
  write(data: Uint8Array | string): void {
    if (this.#writeClosed || data.length === 0) return;
    if (!this.#socket.write(data)) this.#producers.full();
  }

  /** Sends each item of `data`, in order. */
  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const chunk of data) this.write(chunk);
  }

  /**
   * Closes the connection cleanly once everything written has been sent
   * (and, if a producer is registered, once it unregisters). Reading
   * stops at once. The protocol's `connectionLost` then gets
   * `ConnectionDone`.
   */
  loseConnection(): void {
    if (!this.#connected || this.#disconnecting) return;
    this.#disconnecting = true;
    this.#socket.pause();
    if (!this.#producers.registered) this.#endWrites();
  }

  /**
   * Closes the connection at once, dropping data not yet sent. The
   * protocol's `connectionLost` gets `ConnectionAborted`.
   */
  abortConnection(): void {
    if (!this.#connected) return;
    this.#reason ??= new Failure(new ConnectionAborted());
    this.#destroy();
  }

  /** The address of the other side. */
  getPeer(): TCPAddress {
    return this.#peer;
  }

  /** The address of this side. */
  getHost(): TCPAddress {
    return this.#host;
  }

  /** Stops reading from the socket until {@linkcode TCPTransport.resumeProducing}. */
  pauseProducing(): void {
    this.#socket.pause();
  }

  /** Starts reading from the socket again. */
  resumeProducing(): void {
    if (!this.#disconnecting && this.#connected) this.#socket.resume();
  }

  /** Closes the connection, as {@linkcode TCPTransport.loseConnection}. */
  stopProducing(): void {
    this.loseConnection();
  }

  /**
   * Attaches `producer` to throttle writes: with `streaming` true it is
   * paused while the socket's write buffer is full and resumed on drain;
   * with `streaming` false (a pull producer) its `resumeProducing` is called
   * now and again each time the buffer has room. If the connection is
   * already closed, the producer is stopped at once.
   *
   * @throws {Error} When another producer is registered.
   */
  registerProducer(producer: IProducer, streaming: boolean): void {
    const closed = this.#writeClosed;
    const full = this.#socket.writableNeedDrain;
    const registered = this.#producers.register(
      producer,
      streaming,
      closed,
      full,
    );
    if (registered && !streaming) this.#schedulePull();
  }

  /** Detaches the producer; a pending `loseConnection` then proceeds. */
  unregisterProducer(): void {
    this.#producers.unregister();
    if (this.#disconnecting && !this.#writeClosed) this.#endWrites();
  }

  /** Sets TCP_NODELAY (send small writes at once instead of batching them). */
  setTcpNoDelay(enabled: boolean): void {
    this.#socket.setNoDelay(enabled);
  }

  /** Turns TCP keepalive probes on or off. */
  setTcpKeepAlive(enabled: boolean): void {
    this.#socket.setKeepAlive(enabled);
  }

  /**
   * Switches the connection to TLS, as Twisted's `startTLS` (STARTTLS in
   * SMTP, IMAP, XMPP): what was written before the call is sent in the
   * clear, what is written after it encrypted, and what arrives after it
   * is read as TLS. The protocol stays the same object, with its state (a
   * LineReceiver keeps its buffer). This side is the TLS client on a
   * connection from `connectTCP`, the server on one from `listenTCP`;
   * `normal` false swaps that. A failed handshake or verification closes
   * the connection, and `connectionLost` gets a `TLSHandshakeError` (or a
   * `VerifyError`, `CertificateExpiredError`, `VerificationError`).
   *
   * @param contextFactory The TLS options: `optionsForClientTLS(...)` for
   * a client, `CertificateOptions` with a certificate for a server.
   * @param normal Whether to take the usual side for this connection.
   * @throws {Error} When the connection already uses TLS or is closing,
   * or the runtime has no TLS.
   * @throws {TypeError} When the context factory or its key or
   * certificates cannot be used.
   */
  startTLS(contextFactory: ITLSContextFactory, normal = true): void {
    const encrypted = (this.#socket as { encrypted?: boolean }).encrypted;
    if (encrypted === true) {
      throw new Error("Cannot start TLS: the connection already uses TLS");
    }
    if (!this.#connected || this.#disconnecting || this.#writeClosed) {
      throw new Error("Cannot start TLS: the connection is closing");
    }
    const client = (this.#owner?._isClient === true) === normal;
    const tls = _tls();
    const setup = tls.setup(
      "start TLS",
      contextFactory,
      client ? "client" : "server",
    );
    const plain = this.#socket;
    for (const [event, fn] of this.#listeners) plain.off(event, fn);
    this.#socket = tls.start(plain, setup, () => {}, (error) => {
      this.#reason ??= new Failure(error);
      this.#destroy();
    });
    for (const [event, fn] of this.#listeners) this.#socket.on(event, fn);
    // A producer paused by clear data waits for the plain socket to drain:
    // the TLS socket, empty, will not say so.
    if (this.#producers.paused) plain.once("drain", () => this.#onDrain());
  }

  /** @internal Closes the connection as the reactor shuts down. */
  _shutdown(): Promise<void> {
    if (!this.#connected) return Promise.resolve();
    const lost = new Promise<void>((resolve) =>
      this.#lostWaiters.push(resolve)
    );
    this.#reason ??= new Failure(
      new ConnectionLost("Connection was closed by the reactor shutting down"),
    );
    this.#destroy();
    return lost;
  }

  /** @internal Closes the connection after a failure of our own making. */
  _fail(reason: Failure): void {
    if (!this.#connected) return;
    this.#reason ??= reason;
    this.#destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (!this.#connected || this.#reason !== undefined) return;
    // A plain view: Buffer's own slice() shares memory, which would
    // surprise code written for Uint8Array.
    const data = new Uint8Array(
      chunk.buffer,
      chunk.byteOffset,
      chunk.byteLength,
    );
    try {
      this.#protocol.dataReceived(data);
    } catch (e) {
      this.#callbackFailed(e);
    }
  }

  #onDrain(): void {
    if (this.#producers.pulling) this.#schedulePull();
    else this.#producers.drained();
  }

  // A pull producer writes one chunk per resumeProducing; ask for the next
  // on a later turn (letting I/O run), or after the buffer drains if full.
  #schedulePull(): void {
    if (this.#pullScheduled) return;
    this.#pullScheduled = true;
    setImmediate(() => {
      this.#pullScheduled = false;
      if (!this.#producers.pulling || this.#writeClosed) return;
      if (this.#socket.writableNeedDrain) return; // #onDrain asks again
      if (this.#producers.pull()) this.#schedulePull();
    });
  }

  // As in Twisted, the connection closes once everything written has been
  // sent, including what is written while the rest is being flushed. node
  // would refuse writes after end(), so end() waits until nothing is
  // pending: an empty write's callback runs once all before it is flushed.
  #endWrites(): void {
    if (this.#ending || this.#writeClosed) return;
    this.#ending = true;
    const socket = this.#socket;
    const flushed = (err?: Error | null): void => {
      if (err || this.#writeClosed || socket.destroyed) return;
      if (socket.writableLength > 0) {
        socket.write(EMPTY, flushed);
        return;
      }
      this.#writeClosed = true;
      // end() sends FIN; close fully once it is with the kernel, as Twisted
      // does, rather than wait for the other side to close its half.
      socket.once("finish", () => socket.destroy());
      socket.end();
    };
    socket.write(EMPTY, flushed);
  }

  #destroy(): void {
    this.#writeClosed = true;
    this.#socket.destroy();
  }

  #callbackFailed(e: unknown): void {
    const failure = new Failure(e);
    logError(failure);
    this._fail(failure);
  }

  #connectionLost(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#writeClosed = true;
    const reason = this.#reason ?? new Failure(new ConnectionDone());
    this.#producers.connectionLost();
    try {
      this.#protocol.connectionLost(reason);
    } catch (e) {
      logError(new Failure(e));
    }
    this.#owner?.transportLost(this, reason);
    for (const w of this.#lostWaiters.splice(0)) w();
  }
}
