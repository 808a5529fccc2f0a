/**
 * Listening on and connecting to TCP ports, as Twisted's
 * `reactor.listenTCP` and `reactor.connectTCP` (twisted/internet/tcp.py),
 * built on `node:net`.
 *
 * The global reactor's `listenTCP`/`connectTCP` methods call these
 * functions with itself as the first argument.
 *
 * @module
 */

import type { Server, Socket } from "node:net";
import { Deferred, Failure, logError } from "@twixt/defer";
import { _makeAddress, type TCPAddress } from "./tcp_address.ts";
import {
  CannotListenError,
  ConnectError,
  ConnectingCancelledError,
  ConnectionLost,
  ConnectionRefusedError,
  DNSLookupError,
  NoProtocol,
} from "./tcp_errors.ts";
import type {
  IConnector,
  IListeningPort,
  TCPReactor,
} from "./tcp_interfaces.ts";
import { type ClientFactory, type Factory, Protocol } from "./protocol.ts";
import { type _TransportOwner, TCPTransport } from "./transport.ts";
import { _track, _untrack } from "./_tcp_shutdown.ts";
import { _noteCreation } from "./_leaks.ts";
import { _ConnectorCore } from "./_connector_core.ts";
import {
  _checkConnect,
  _checkListen,
  _defaultBacklog,
} from "./_tcp_options.ts";
import {
  _builtin,
  _NO_TCP,
  _setImmediate as setImmediate,
  type _Socket,
} from "./_node.ts";

// node:net, loaded where it is used so that this module loads in a browser
// too; there, listening and connecting fail their Deferred instead.
function net(): typeof import("node:net") {
  const net = _builtin<typeof import("node:net")>("node:net");
  if (net === undefined) throw new Error(_NO_TCP);
  return net;
}

/**
 * @internal Sets up TLS over a connected socket (listenSSL, connectSSL):
 * returns the TLS socket at once, and calls `onSecure` with it once the
 * handshake is done, or `onError`.
 */
export type _Secure = (
  socket: _Socket,
  onSecure: (secured: _Socket) => void,
  onError: (error: Error) => void,
) => _Socket;

// _Secure as this module uses it: node:net sockets in and out. The public
// name takes the structural _Socket so that the published types need no
// @types/node; tls.ts makes both from node:net sockets.
type Secure = (
  socket: Socket,
  onSecure: (secured: Socket) => void,
  onError: (error: Error) => void,
) => Socket;

/**
 * Options of {@linkcode listenTCP}.
 *
 * @example Usage
 * ```ts
 * import { Factory, listenTCP, type ListenTCPOptions, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const opts: ListenTCPOptions = { interface: "127.0.0.1", backlog: 10 };
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), opts);
 * assert.equal(port.getHost().host, "127.0.0.1");
 * await port.stopListening();
 * ```
 */
export interface ListenTCPOptions {
  /**
   * The local address (IP address or host name) to listen on; `"0.0.0.0"`
   * (every IPv4 interface) by default, and for `""` as in Twisted.
   */
  interface?: string;
  /**
   * The length of the queue of connections not yet accepted, an integer
   * 0 or more. By default as large as the system allows (65535, which the
   * kernel caps at its limit), never below node:net's 511; Twisted's 50
   * drops (and can lose the data of) connections in a burst.
   */
  backlog?: number;
}

/**
 * Options of {@linkcode connectTCP}.
 *
 * @example Usage
 * ```ts
 * import { ClientFactory, connectTCP, type ConnectTCPOptions, Factory, listenTCP, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * const opts: ConnectTCPOptions = { timeout: 5, bindAddress: { host: "127.0.0.1" } };
 * const client = await connectTCP(reactor, "127.0.0.1", port.getHost().port, ClientFactory.forProtocol(Protocol), opts);
 * assert.equal(client.transport.getHost().host, "127.0.0.1");
 * client.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export interface ConnectTCPOptions {
  /** Seconds to wait for the connection before failing with `TimeoutError`; 30 by default. */
  timeout?: number;
  /** The local address (and port, 0 for any) to connect from. */
  bindAddress?: { host: string; port?: number };
}

/**
 * Listens for TCP connections on `port` (0 picks a free one) and serves
 * each with a protocol from `factory`.
 *
 * The Deferred fires with the listening port once it listens (ask it
 * `getHost().port` for the port number picked), or fails with
 * {@linkcode CannotListenError} (port in use, no such interface). A bad
 * argument (a port that is not an integer from 0 to 65535, a backlog that
 * is not an integer 0 or more, an interface that is not a host name or IP
 * address, a factory that is not one) fails it with a `TypeError` or
 * `RangeError` naming the value, before anything starts. The port stops
 * listening when the reactor shuts down, and its connections are closed
 * then too.
 *
 * Where the runtime has no `node:net` (a browser, or Node before 20.16,
 * which lacks `process.getBuiltinModule`), the Deferred fails with
 * {@linkcode CannotListenError}: "TCP is not available in this runtime".
 *
 * @param reactor The reactor (its clock and shutdown triggers are used).
 * @param port The port number, 0 for any free port.
 * @param factory Builds a protocol for each connection.
 * @param opts The interface to listen on and the backlog.
 * @returns The listening port, once listening.
 * @example Usage
 * ```ts
 * import { Factory, listenTCP, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * assert.ok(port.getHost().port > 0);
 * await port.stopListening();
 * ```
 */
export function listenTCP<P extends Protocol>(
  reactor: TCPReactor,
  port: number,
  factory: Factory<P>,
  opts: ListenTCPOptions = {},
): Deferred<IListeningPort> {
  const error = _checkListen(port, factory, opts);
  if (error !== undefined) {
    const d = new Deferred<IListeningPort>();
    d.errback(error);
    return d;
  }
  const p = new Port(reactor, port, factory, opts);
  return p.startListening().addCallback((): IListeningPort => p);
}

/**
 * A listening TCP port: what {@linkcode listenTCP} gives.
 *
 * @example Usage
 * ```ts
 * import { Factory, listenTCP, Port, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * assert.ok(port instanceof Port);
 * await port.stopListening();
 * ```
 */
export class Port implements IListeningPort, _TransportOwner {
  #reactor: TCPReactor;
  #port: number;
  #factory: Factory<Protocol>;
  #interface: string;
  #backlog: number;
  #server: Server | undefined = undefined;
  #host: TCPAddress;
  #connections = new Set<TCPTransport>();
  #secure: Secure | undefined;

  /** @internal Made by {@linkcode listenTCP} (and listenSSL, with `secure`). */
  constructor(
    reactor: TCPReactor,
    port: number,
    factory: Factory<Protocol>,
    opts: ListenTCPOptions = {},
    secure?: _Secure,
  ) {
    this.#reactor = reactor;
    this.#secure = secure as unknown as Secure | undefined;
    this.#port = port;
    this.#factory = factory;
    // Twisted's "" is every interface, as its default is.
    this.#interface = opts.interface || "0.0.0.0";
    this.#backlog = opts.backlog ?? _defaultBacklog();
    this.#host = _makeAddress(this.#interface, port);
    _noteCreation(this); // for the clean-reactor check: where it was asked for
  }

  /** The address listened on, with the real port number once listening. */
  getHost(): TCPAddress {
    return this.#host;
  }

  /** Whether the port is listening. */
  get listening(): boolean {
    return this.#server !== undefined;
  }

  /**
   * Starts listening; the Deferred fires when it does, or fails with
   * {@linkcode CannotListenError}.
   */
  startListening(): Deferred<void> {
    const d = new Deferred<void>();
    const iface = this.#interface;
    const port = this.#port;
    if (this.#server !== undefined) {
      d.errback(
        new CannotListenError(iface, port, "the port is already listening"),
      );
      return d;
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      d.errback(
        new CannotListenError(
          iface,
          port,
          "the port must be an integer from 0 to 65535",
        ),
      );
      return d;
    }
    let server: Server;
    try {
      server = net().createServer();
    } catch (e) {
      d.errback(new CannotListenError(iface, port, errorMessage(e)));
      return d;
    }
    const onError = (err: Error): void => {
      server.close();
      d.errback(
        new CannotListenError(iface, port, describeListenError(err), {
          cause: err,
        }),
      );
    };
    server.once("error", onError);
    try {
      server.listen({ port, host: iface, backlog: this.#backlog }, () => {
        server.off("error", onError);
        // Errors of an accepting server (EMFILE, ...) must not crash the
        // process; the server goes on listening.
        server.on("error", (err) => logError(new Failure(err)));
        server.on("connection", (socket: Socket) => this.#accept(socket));
        const addr = server.address();
        if (addr !== null && typeof addr === "object") {
          this.#host = _makeAddress(addr.address, addr.port);
        }
        this.#server = server;
        _track(this.#reactor, this);
        this.#factory.doStart();
        d.callback(undefined);
      });
    } catch (e) {
      server.off("error", onError);
      d.errback(
        new CannotListenError(iface, port, describeListenError(e), {
          cause: e,
        }),
      );
    }
    return d;
  }

  /**
   * Stops accepting connections; those already open stay open. The
   * Deferred fires once the listening socket is closed.
   */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    const server = this.#server;
    if (server === undefined) {
      d.callback(undefined);
      return d;
    }
    this.#server = undefined;
    _untrack(this.#reactor, this);
    // node's "close" waits for every accepted connection to end, which
    // Twisted's stopListening does not; the listening socket itself is
    // closed by close() at once, so with connections open, fire on the next
    // turn instead.
    if (this.#connections.size === 0) {
      server.close(() => d.callback(undefined));
    } else {
      server.close();
      setImmediate(() => d.callback(undefined));
    }
    this.#factory.doStop();
    return d;
  }

  /** Twisted's name for {@linkcode Port.stopListening}. */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }

  /** @internal Stops listening, for reactor shutdown. */
  _shutdown(): Promise<void> {
    return this.stopListening().asPromise();
  }

  /** @internal A connection of this port was lost. */
  transportLost(transport: TCPTransport): void {
    this.#connections.delete(transport);
    _untrack(this.#reactor, transport);
  }

  #accept(socket: Socket): void {
    if (socket.remoteAddress === undefined) {
      // Reset by the other side before we got to it.
      socket.destroy();
      return;
    }
    if (this.#secure !== undefined) {
      // TLS first: the protocol is built once the handshake is done, and a
      // client that fails it is dropped (nothing was built for it). Until
      // then the handshake is closed by a reactor shutdown.
      const reactor = this.#reactor;
      const from = `${socket.remoteAddress}:${socket.remotePort}`;
      const handshake = {
        _shutdown: (): Promise<void> => {
          secured.destroy();
          return Promise.resolve();
        },
        toString: () => `<TLS handshake from ${from}>`,
      };
      _track(reactor, handshake);
      const secured = this.#secure(socket, (s) => {
        _untrack(reactor, handshake);
        this.#serve(s);
      }, () => _untrack(reactor, handshake));
      return;
    }
    this.#serve(socket);
  }

  #serve(socket: Socket): void {
    const addr = _makeAddress(socket.remoteAddress, socket.remotePort);
    let protocol: Protocol | null;
    try {
      protocol = this.#factory.buildProtocol(addr);
    } catch (e) {
      logError(new Failure(e));
      protocol = null;
    }
    if (protocol === null || protocol === undefined) {
      socket.destroy();
      return;
    }
    const transport = new TCPTransport(socket, protocol, this);
    this.#connections.add(transport);
    _noteCreation(transport, this);
    // Tracked one by one: connections outlive stopListening.
    _track(this.#reactor, transport);
    transport._start();
  }

  /** A description for debugging. */
  toString(): string {
    return `<${this.#factory.constructor.name} on ${this.#host.port}>`;
  }
}

/**
 * Connects to `host`:`port` and runs a protocol from `factory` on the
 * connection.
 *
 * The Deferred fires with the protocol once it is connected (after its
 * `connectionMade`). A failed attempt calls
 * `factory.clientConnectionFailed(connector, reason)` and, unless the
 * factory called `connector.connect()` to retry, fails the Deferred with the
 * same reason: {@linkcode ConnectionRefusedError}, {@linkcode DNSLookupError},
 * another {@linkcode ConnectError}, `TimeoutError` (from `@twixt/defer`)
 * after `timeout` seconds, or {@linkcode ConnectingCancelledError} when the
 * Deferred is cancelled. A bad argument fails it with a `TypeError` or
 * `RangeError` naming the value, before anything starts (no connection is
 * made, the factory is not started): a host that is not a non-empty host
 * name or IP address (unlike Twisted, `""` does not mean this machine), a
 * port that is not an integer from 1 to 65535, a timeout that is not a
 * finite number of seconds 0 or more, a `bindAddress` that is not
 * `{ host, port? }` with a valid host and port. When the connection later
 * ends, `factory.clientConnectionLost` is called.
 *
 * Where the runtime has no `node:net` (a browser, or Node before 20.16,
 * which lacks `process.getBuiltinModule`), the attempt fails with a
 * {@linkcode ConnectError}: "TCP is not available in this runtime".
 *
 * @param reactor The reactor (its clock times the attempt out).
 * @param host The host name or IP address.
 * @param port The port number.
 * @param factory Builds the protocol, and hears about failures.
 * @param opts The timeout (30 s by default) and the local address.
 * @returns The connected protocol.
 * @example Usage
 * ```ts
 * import { ClientFactory, connectTCP, Factory, listenTCP, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * const client = await connectTCP(reactor, "127.0.0.1", port.getHost().port, ClientFactory.forProtocol(Protocol));
 * assert.equal(client.transport.getPeer().port, port.getHost().port);
 * client.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export function connectTCP<P extends Protocol>(
  reactor: TCPReactor,
  host: string,
  port: number,
  factory: ClientFactory<P>,
  opts: ConnectTCPOptions = {},
): Deferred<P> {
  return new Connector(reactor, host, port, factory, opts)._connect();
}

/**
 * A client connection attempt (and its connection, once made), as
 * `clientConnectionFailed` and `clientConnectionLost` receive it.
 *
 * @typeParam P The protocol class its factory builds.
 * @example Usage
 * ```ts
 * import type { Failure } from "@twixt/defer";
 * import { ClientFactory, type IConnector } from "@twixt/reactor";
 *
 * class OnceMore extends ClientFactory {
 *   #retried = false;
 *   override clientConnectionFailed(connector: IConnector, _reason: Failure): void {
 *     if (!this.#retried) { this.#retried = true; connector.connect(); }
 *   }
 * }
 * ```
 */
export class Connector<P extends Protocol = Protocol>
  implements IConnector, _TransportOwner {
  #host: string;
  #port: number;
  #factory: ClientFactory<P>;
  #core: _ConnectorCore<P>;
  #bindAddress: { host: string; port?: number } | undefined;
  /** `"disconnected"`, `"connecting"` or `"connected"`, as in Twisted. */
  state: "disconnected" | "connecting" | "connected" = "disconnected";
  #socket: Socket | undefined = undefined;
  #transport: TCPTransport | undefined = undefined;
  #secure: Secure | undefined;
  /** @internal Its connections are the client side (for startTLS). */
  readonly _isClient = true;
  // What is wrong with the arguments, if anything.
  #error: Error | undefined;

  /** @internal Made by {@linkcode connectTCP} (and connectSSL, with `secure`). */
  constructor(
    reactor: TCPReactor,
    host: string,
    port: number,
    factory: ClientFactory<P>,
    opts: ConnectTCPOptions = {},
    secure?: _Secure,
  ) {
    this.#secure = secure as unknown as Secure | undefined;
    this.#host = host;
    this.#port = port;
    this.#factory = factory;
    this.#core = new _ConnectorCore(
      this,
      factory,
      host,
      port,
      opts?.timeout ?? 30,
      {
        callLater: (delay, fn) => reactor.callLater(delay, fn),
        track: () => _track(reactor, this),
        untrack: () => _untrack(reactor, this),
      },
    );
    this.#bindAddress = opts?.bindAddress;
    _noteCreation(this);
    this.#error = _checkConnect(host, port, factory, opts);
  }

  /** @internal Starts the first attempt and returns its Deferred. */
  _connect(): Deferred<P> {
    if (this.#error !== undefined) {
      // Bad input fails the Deferred; it must not throw out of connectTCP
      // nor start the factory or a connection.
      const d = new Deferred<P>();
      d.errback(this.#error);
      return d;
    }
    const d = this.#core.deferred(() => {
      if (this.state === "connecting") {
        this.#failIfNotConnected(
          new ConnectingCancelledError(this.#host, this.#port),
        );
      }
    });
    this.connect();
    return d;
  }

  /** Where this connector connects to: an `IPv6Address` for an IPv6 host. */
  getDestination(): TCPAddress {
    return _makeAddress(this.#host, this.#port);
  }

  /**
   * Starts a connect attempt (again).
   *
   * @throws {Error} When already connecting or connected.
   */
  connect(): void {
    this.#core.begin((error) => this.#failIfNotConnected(error));
    if (this.state !== "connecting") return; // stopped by startedConnecting
    let socket: Socket;
    try {
      socket = net().connect({
        host: this.#host,
        port: this.#port,
        ...(this.#bindAddress === undefined ? {} : {
          localAddress: this.#bindAddress.host,
          localPort: this.#bindAddress.port ?? 0,
        }),
      });
    } catch (e) {
      this.#failIfNotConnected(
        new ConnectError(
          `Cannot connect to ${this.#host}:${this.#port}: ${errorMessage(e)}`,
          { cause: e },
        ),
      );
      return;
    }
    this.#socket = socket;
    const onError = (err: Error): void =>
      this.#failIfNotConnected(this.#connectError(err));
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      if (this.#secure === undefined) return this.#connected(socket);
      // A TLS connection is made once its handshake is done; until then it
      // is still connecting (cancel, the timeout and shutdown apply).
      this.#socket = this.#secure(
        socket,
        (secured) => this.#connected(secured),
        (error) => this.#failIfNotConnected(error),
      );
    });
  }

  /**
   * Stops a connect attempt in progress; the factory hears
   * `clientConnectionFailed` with {@linkcode ConnectingCancelledError}.
   *
   * @throws {Error} When not connecting.
   */
  stopConnecting(): void {
    if (this.state !== "connecting") {
      throw new Error(`Cannot stop connecting: the connector is ${this.state}`);
    }
    this.#failIfNotConnected(
      new ConnectingCancelledError(this.#host, this.#port),
    );
  }

  /** Closes the connection cleanly, or stops connecting. */
  disconnect(): void {
    if (this.state === "connecting") this.stopConnecting();
    else if (this.state === "connected") this.#transport?.loseConnection();
  }

  /** @internal Closes everything at once, for reactor shutdown. */
  _shutdown(): Promise<void> {
    if (this.state === "connecting") {
      this.#failIfNotConnected(
        new ConnectionLost(
          "Connecting was stopped by the reactor shutting down",
        ),
      );
      return Promise.resolve();
    }
    return this.#transport?._shutdown() ?? Promise.resolve();
  }

  /** @internal The connection was lost. */
  transportLost(_transport: TCPTransport, reason: Failure): void {
    this.#transport = undefined;
    this.#core.lost(reason);
  }

  #connected(socket: Socket): void {
    this.#core.cancelTimeout();
    this.#socket = undefined;
    const peer = _makeAddress(socket.remoteAddress, socket.remotePort);
    let protocol: Protocol | null;
    let failure: Failure | undefined;
    try {
      protocol = this.#factory.buildProtocol(peer);
    } catch (e) {
      failure = new Failure(e);
      logError(failure);
      protocol = null;
    }
    this.state = "connected";
    const d = this.#core.takeDeferred();
    if (protocol === null || protocol === undefined) {
      // As Twisted does: a stand-in protocol, and the connection dropped.
      const transport = new TCPTransport(socket, new Protocol(), this);
      this.#transport = transport;
      transport._start();
      transport.loseConnection();
      d?.errback(failure ?? new NoProtocol());
      return;
    }
    const transport = new TCPTransport(socket, protocol, this);
    this.#transport = transport;
    transport._start();
    d?.callback(protocol as P);
  }

  #failIfNotConnected(error: Error): void {
    if (this.state !== "connecting") return;
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#core.failed(new Failure(error));
  }

  #connectError(err: Error): Error {
    const code = (err as { code?: unknown }).code;
    if (code === "ECONNREFUSED") {
      return new ConnectionRefusedError(this.#host, this.#port, { cause: err });
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
      return new DNSLookupError(this.#host, { cause: err });
    }
    return new ConnectError(
      `Cannot connect to ${this.#host}:${this.#port}: ${err.message}`,
      { cause: err },
    );
  }

  /** A description for debugging. */
  toString(): string {
    return `<Connector to ${this.#host}:${this.#port} (${this.state})>`;
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function describeListenError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case "EADDRINUSE":
      return "address already in use";
    case "EADDRNOTAVAIL":
      return "address not available on this machine";
    case "EACCES":
      return "permission denied";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "cannot resolve the interface name";
    default:
      return errorMessage(e);
  }
}
