/**
 * TCP endpoints (IPv4 and IPv6), as in `twisted.internet.endpoints`: where to listen or
 * connect, as a value, separate from what to run there.
 *
 * @module
 */

import { Deferred } from "@twixt/defer";
import type { TCPAddress } from "./tcp_address.ts";
import type { IListeningPort, TCPReactor } from "./tcp_interfaces.ts";
import { ClientFactory, type Factory, type Protocol } from "./protocol.ts";
import { DNSLookupError } from "./tcp_errors.ts";
import {
  connectTCP,
  type ConnectTCPOptions,
  listenTCP,
  type ListenTCPOptions,
} from "./tcp.ts";
import { _builtin } from "./_node.ts";
import {
  _checkConnect,
  _checkListen,
  _checkOptions,
  _isIPv6 as isIPv6,
  _show,
} from "./_tcp_options.ts";

/**
 * Something that can listen with a factory: a server endpoint.
 *
 * @example Usage
 * ```ts
 * import { Factory, type IStreamServerEndpoint, Protocol, reactor, TCP4ServerEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * async function freePort(endpoint: IStreamServerEndpoint): Promise<number> {
 *   const port = await endpoint.listen(Factory.forProtocol(Protocol));
 *   await port.stopListening();
 *   return port.getHost().port;
 * }
 * assert.ok(await freePort(new TCP4ServerEndpoint(reactor, 0, { interface: "127.0.0.1" })) > 0);
 * ```
 */
export interface IStreamServerEndpoint {
  /** Listens; the Deferred fires with the port. */
  listen(factory: Factory<Protocol>): Deferred<IListeningPort>;
}

/**
 * Something that can connect with a factory: a client endpoint.
 *
 * @example Usage
 * ```ts
 * import { Factory, type IStreamClientEndpoint, listenTCP, Protocol, reactor, TCP4ClientEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * async function ping(endpoint: IStreamClientEndpoint): Promise<boolean> {
 *   const p = await endpoint.connect(Factory.forProtocol(Protocol));
 *   p.transport.loseConnection();
 *   return p.connected;
 * }
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * assert.equal(await ping(new TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)), true);
 * await port.stopListening();
 * ```
 */
export interface IStreamClientEndpoint {
  /** Connects; the Deferred fires with the connected protocol. */
  connect<P extends Protocol>(factory: Factory<P>): Deferred<P>;
}

/**
 * A TCP port on this machine to listen on, over IPv4.
 *
 * @example Usage
 * ```ts
 * import { Factory, Protocol, reactor, TCP4ServerEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const endpoint = new TCP4ServerEndpoint(reactor, 0, { interface: "127.0.0.1" });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * assert.equal(port.getHost().host, "127.0.0.1");
 * await port.stopListening();
 * ```
 */
export class TCP4ServerEndpoint implements IStreamServerEndpoint {
  #endpoint: TCPServerEndpoint;

  /** Describes port `port` (0 for any) on `opts.interface` (all IPv4 interfaces, `"0.0.0.0"`, by default). */
  constructor(reactor: TCPReactor, port: number, opts: ListenTCPOptions = {}) {
    this.#endpoint = new TCPServerEndpoint(reactor, port, opts, "0.0.0.0");
  }

  /**
   * Listens with `factory`; fails with `CannotListenError` as
   * `listenTCP` does.
   */
  listen(factory: Factory<Protocol>): Deferred<IListeningPort> {
    return this.#endpoint.listen(factory);
  }
}

/**
 * A TCP port on this machine to listen on, over IPv6: as
 * {@linkcode TCP4ServerEndpoint}, on all IPv6 interfaces (`"::"`) by
 * default. The port's `getHost()` and its connections' `getHost()` give an
 * `IPv6Address`.
 *
 * @example Usage
 * ```ts
 * import { Factory, IPv6Address, Protocol, reactor, TCP6ServerEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const endpoint = new TCP6ServerEndpoint(reactor, 0, { interface: "::1" });
 * const port = await endpoint.listen(Factory.forProtocol(Protocol));
 * assert.ok(port.getHost() instanceof IPv6Address);
 * assert.equal(port.getHost().host, "::1");
 * await port.stopListening();
 * ```
 */
export class TCP6ServerEndpoint implements IStreamServerEndpoint {
  #endpoint: TCPServerEndpoint;

  /**
   * Describes port `port` (0 for any) on `opts.interface` (all IPv6
   * interfaces, `"::"`, by default), with the options of
   * {@linkcode TCP4ServerEndpoint}.
   */
  constructor(...args: ConstructorParameters<typeof TCP4ServerEndpoint>) {
    const [reactor, port, opts = {}] = args;
    this.#endpoint = new TCPServerEndpoint(reactor, port, opts, "::");
  }

  /** Listens with `factory`, as {@linkcode TCP4ServerEndpoint.listen} does. */
  listen(factory: Factory<Protocol>): Deferred<IListeningPort> {
    return this.#endpoint.listen(factory);
  }
}

// The server endpoint of both families, which differ only in the default
// interface.
class TCPServerEndpoint {
  #reactor: TCPReactor;
  #port: number;
  #opts: ListenTCPOptions;
  #anyInterface: string;

  constructor(
    reactor: TCPReactor,
    port: number,
    opts: ListenTCPOptions,
    anyInterface: string,
  ) {
    this.#reactor = reactor;
    this.#port = port;
    // Checked by listen, which fails its Deferred: the constructor must not
    // be the one place where bad options throw.
    this.#opts = opts;
    this.#anyInterface = anyInterface;
  }

  listen(factory: Factory<Protocol>): Deferred<IListeningPort> {
    const raw: unknown = this.#opts;
    const error = _checkOptions(`listen on port ${_show(this.#port)}`, raw);
    if (error !== undefined) return failed(error);
    const opts = {
      ...this.#opts,
      interface: this.#opts?.interface || this.#anyInterface,
    };
    // Checked here too, for a reactor with TCP of its own.
    const bad = _checkListen(this.#port, factory, opts);
    if (bad !== undefined) return failed(bad);
    const r = this.#reactor as TCPReactor & TCPMethods;
    if (typeof r.listenTCP === "function") {
      return r.listenTCP(this.#port, factory, opts);
    }
    return listenTCP(this.#reactor, this.#port, factory, opts);
  }
}

// As in Twisted, endpoints ask the reactor to listen and connect, so that a
// reactor with TCP of its own (a MemoryReactor in tests) serves them; a bare
// clock gets the real TCP functions.
interface TCPMethods {
  listenTCP?(
    port: number,
    factory: Factory<Protocol>,
    opts: ListenTCPOptions,
  ): Deferred<IListeningPort>;
  connectTCP?<P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    opts: ConnectTCPOptions,
  ): Deferred<P>;
}

/**
 * A TCP host and port to connect to, over IPv4.
 *
 * @example Usage
 * ```ts
 * import { connectProtocol, Factory, listenTCP, Protocol, reactor, TCP4ClientEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port);
 * const p = await connectProtocol(endpoint, new Protocol());
 * assert.ok(p.connected);
 * p.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export class TCP4ClientEndpoint implements IStreamClientEndpoint {
  #endpoint: TCPClientEndpoint;

  /** Describes `host`:`port`, with a connect timeout (30 s by default) and local address. */
  constructor(
    reactor: TCPReactor,
    host: string,
    port: number,
    opts: ConnectTCPOptions = {},
  ) {
    this.#endpoint = new TCPClientEndpoint(reactor, host, port, opts, 4);
  }

  /**
   * Connects with a protocol from `factory` (any factory: its
   * client-connection callbacks, if any, are not called). The Deferred
   * fires with the protocol after its `connectionMade`, or fails as
   * `connectTCP`'s does, or with `NoProtocol` when the factory builds
   * none. Cancelling it stops the attempt
   * (`ConnectingCancelledError`).
   */
  connect<P extends Protocol>(factory: Factory<P>): Deferred<P> {
    return this.#endpoint.connect(factory);
  }
}

/**
 * A TCP host and port to connect to, over IPv6: as
 * {@linkcode TCP4ClientEndpoint}, but `host` is an IPv6 address (`"::1"`),
 * or a host name, which is resolved to an IPv6 address first (failing with
 * `DNSLookupError` if it has none). The connection's `getPeer()` and
 * `getHost()` give an `IPv6Address`.
 *
 * @example Usage
 * ```ts
 * import { connectProtocol, Factory, IPv6Address, Protocol, reactor, TCP6ClientEndpoint, TCP6ServerEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port = await new TCP6ServerEndpoint(reactor, 0, { interface: "::1" }).listen(Factory.forProtocol(Protocol));
 * const endpoint = new TCP6ClientEndpoint(reactor, "::1", port.getHost().port);
 * const p = await connectProtocol(endpoint, new Protocol());
 * assert.ok(p.transport.getPeer() instanceof IPv6Address);
 * p.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export class TCP6ClientEndpoint implements IStreamClientEndpoint {
  #endpoint: TCPClientEndpoint;

  /**
   * Describes `host`:`port`, with the options of
   * {@linkcode TCP4ClientEndpoint} (a connect timeout, 30 s by default, and
   * a local address) and `resolve`, which turns a host name into an IPv6
   * address (by default the system resolver, `node:dns` `lookup`).
   */
  constructor(
    reactor: ConstructorParameters<typeof TCP4ClientEndpoint>[0],
    host: string,
    port: number,
    opts: TCP6ClientEndpointOptions = {},
  ) {
    this.#endpoint = new TCPClientEndpoint(reactor, host, port, opts, 6);
  }

  /**
   * Connects with a protocol from `factory`, as
   * {@linkcode TCP4ClientEndpoint.connect} does, after resolving a host
   * name to an IPv6 address (`DNSLookupError` if that fails). Cancelling
   * it while resolving fails it with `CancelledError`.
   */
  connect<P extends Protocol>(factory: Factory<P>): Deferred<P> {
    return this.#endpoint.connect(factory);
  }
}

// The client endpoint of both families. As in Twisted, the IPv4 one leaves
// host names to connectTCP, and the IPv6 one resolves them to an IPv6
// address first.
class TCPClientEndpoint {
  #reactor: TCPReactor;
  #host: string;
  #port: number;
  #opts: TCP6ClientEndpointOptions;
  #family: 4 | 6;

  constructor(
    reactor: TCPReactor,
    host: string,
    port: number,
    opts: TCP6ClientEndpointOptions,
    family: 4 | 6,
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    // Checked by connect, which fails its Deferred rather than throw.
    this.#opts = opts;
    this.#family = family;
  }

  connect<P extends Protocol>(factory: Factory<P>): Deferred<P> {
    const raw: unknown = this.#opts;
    const action = `connect to ${_show(this.#host)} port ${_show(this.#port)}`;
    const error = _checkOptions(action, raw);
    if (error !== undefined) return failed(error);
    const { resolve, ...connectOpts } = this.#opts ?? {};
    // The factory is wrapped below; the one given must be able to build.
    const bad = _checkConnect(this.#host, this.#port, factory, connectOpts) ??
      (resolve === undefined || typeof resolve === "function"
        ? undefined
        : new TypeError(
          `Cannot ${action}: resolve must be a function, not ${_show(resolve)}`,
        ));
    if (bad !== undefined) return failed(bad);
    return this.#connect(factory, connectOpts, resolve ?? lookupIPv6);
  }

  #connect<P extends Protocol>(
    factory: Factory<P>,
    opts: ConnectTCPOptions,
    resolve: (host: string) => PromiseLike<string> | string,
  ): Deferred<P> {
    const r = this.#reactor as TCPReactor & TCPMethods;
    const connect = (host: string): Deferred<P> =>
      typeof r.connectTCP === "function"
        ? r.connectTCP(
          host,
          this.#port,
          new WrappingFactory(factory),
          opts,
        )
        : connectTCP(
          r,
          host,
          this.#port,
          new WrappingFactory(factory),
          opts,
        );
    // As in Twisted, the IPv4 endpoint leaves host names to connectTCP.
    if (this.#family === 4 || isIPv6(this.#host)) return connect(this.#host);
    return resolveIPv6(this.#host, resolve).addCallback(connect);
  }
}

/**
 * Options of {@linkcode TCP6ClientEndpoint}: those of `connectTCP`, and the
 * resolver of host names.
 *
 * @example Usage
 * ```ts
 * import { reactor, TCP6ClientEndpoint, type TCP6ClientEndpointOptions } from "@twixt/reactor";
 *
 * // A fixed name table instead of the system resolver.
 * const opts: TCP6ClientEndpointOptions = { timeout: 5, resolve: (name) => name === "here" ? "::1" : Promise.reject(new Error("Unknown")) };
 * const endpoint = new TCP6ClientEndpoint(reactor, "here", 8080, opts);
 * ```
 */
export interface TCP6ClientEndpointOptions extends ConnectTCPOptions {
  /**
   * Turns a host name into an IPv6 address; a rejection or throw fails the
   * connect with `DNSLookupError`. By default, the system resolver.
   */
  resolve?: (host: string) => PromiseLike<string> | string;
}

// The system resolver's first IPv6 address for `host`.
function lookupIPv6(host: string): Promise<string> {
  const dns = _builtin<typeof import("node:dns")>("node:dns");
  if (dns === undefined) {
    return Promise.reject(new Error("DNS is not available in this runtime"));
  }
  return new Promise((resolve, reject) =>
    dns.lookup(host, { family: 6 }, (err, address) => {
      if (err) reject(err);
      else resolve(address);
    })
  );
}

// Resolves `host` with `resolve`; a failure is a DNSLookupError, and a
// result that comes after the Deferred was cancelled is dropped.
function resolveIPv6(
  host: string,
  resolve: (host: string) => PromiseLike<string> | string,
): Deferred<string> {
  const d = new Deferred<string>();
  const failed = (err: unknown): void => {
    if (!d.called) d.errback(new DNSLookupError(host, { cause: err }));
  };
  let found: PromiseLike<string> | string;
  try {
    found = resolve(host);
  } catch (e) {
    failed(e);
    return d;
  }
  Promise.resolve(found).then((address) => {
    if (d.called) return;
    if (typeof address === "string" && isIPv6(address)) d.callback(address);
    else failed(new TypeError(`Not an IPv6 address: ${String(address)}`));
  }, failed);
  return d;
}

// Adapts any factory to connectTCP, as Twisted's endpoints do, keeping the
// connect's outcome in the endpoint's Deferred.
class WrappingFactory<P extends Protocol> extends ClientFactory<P> {
  #wrapped: Factory<P>;
  constructor(wrapped: Factory<P>) {
    super();
    this.#wrapped = wrapped;
  }
  override startFactory(): void {
    this.#wrapped.doStart();
  }
  override stopFactory(): void {
    this.#wrapped.doStop();
  }
  override buildProtocol(addr: TCPAddress): P | null {
    return this.#wrapped.buildProtocol(addr);
  }
}

/**
 * Connects `endpoint` and runs the given `protocol` instance on the
 * connection; the Deferred fires with it once connected.
 *
 * @example Usage
 * ```ts
 * import { connectProtocol, Factory, LineReceiver, listenTCP, Protocol, reactor, TCP4ClientEndpoint } from "@twixt/reactor";
 *
 * const port = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * const client = await connectProtocol(
 *   new TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port),
 *   new LineReceiver(),
 * );
 * client.sendLine("hello");
 * client.transport.loseConnection();
 * await port.stopListening();
 * ```
 */
export function connectProtocol<P extends Protocol>(
  endpoint: IStreamClientEndpoint,
  protocol: P,
): Deferred<P> {
  const what = "Cannot connect a protocol";
  if (typeof endpoint?.connect !== "function") {
    return failed(
      new TypeError(
        `${what}: the endpoint must have a connect method, not ${
          _show(endpoint)
        }`,
      ),
    );
  }
  if (typeof protocol?.makeConnection !== "function") {
    return failed(
      new TypeError(
        `${what}: the protocol must be a Protocol, not ${_show(protocol)}`,
      ),
    );
  }
  try {
    return endpoint.connect(new SingleProtocolFactory(protocol));
  } catch (e) {
    // An endpoint of the user's that throws still gives a failed Deferred.
    return failed(e);
  }
}

// A Deferred that has already failed with `error`.
function failed<T>(error: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}

class SingleProtocolFactory<P extends Protocol> extends ClientFactory<P> {
  #protocol: P;
  constructor(protocol: P) {
    super();
    this.#protocol = protocol;
  }
  override buildProtocol(): P {
    return this.#protocol;
  }
}
