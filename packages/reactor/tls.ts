/**
 * Listening and connecting over TLS, as Twisted's `reactor.listenSSL`,
 * `reactor.connectSSL` and the SSL endpoints of
 * `twisted.internet.endpoints`, on `node:tls` (loaded where it is used).
 *
 * The same ports, connectors, transports, protocols and factories as TCP:
 * each accepted or made connection is a `node:net` socket with TLS set up
 * over it before the protocol is built, so a protocol written for TCP runs
 * over TLS unchanged. Unlike Twisted, whose protocols see
 * `connectionMade` before the handshake, a TLS connection counts as made
 * once its handshake is done and the other side verified: a protocol never
 * talks to a peer that failed verification, and `connectSSL` fails its
 * Deferred (and calls `clientConnectionFailed`) with the typed error.
 *
 * @module
 */

import type { Socket } from "node:net";
import { Deferred } from "@twixt/defer";
import type { IListeningPort, TCPReactor } from "./tcp_interfaces.ts";
import type { ClientFactory, Factory, Protocol } from "./protocol.ts";
import {
  type _Secure,
  Connector,
  type ConnectTCPOptions,
  type ListenTCPOptions,
  Port,
} from "./tcp.ts";
import {
  type IStreamClientEndpoint,
  type IStreamServerEndpoint,
  TCP4ClientEndpoint,
  TCP4ServerEndpoint,
} from "./endpoints.ts";
import { CannotListenError, ConnectError } from "./tcp_errors.ts";
import type { ITLSContextFactory, TLSSide } from "./ssl.ts";
import { _startTLS, _tlsSetup } from "./_tls_socket.ts";
import { _registerTLS } from "./_tls_hook.ts";
import { _checkConnect, _checkListen, _show } from "./_tcp_options.ts";

/**
 * Listens for TLS connections on `port` (0 picks a free one), as Twisted's
 * `listenSSL`: each client is served by a protocol from `factory` once its
 * TLS handshake is done. A client that fails the handshake is dropped
 * without a protocol.
 *
 * Fails the Deferred, before anything starts, with a `TypeError` or
 * `RangeError` for a bad argument (as `listenTCP`), or a `TypeError` when
 * `contextFactory` has no server certificate or its key or certificate
 * cannot be used; with {@linkcode CannotListenError} when the port cannot
 * be bound, or "TLS is not available in this runtime" (a browser).
 *
 * @param reactor The reactor (its shutdown closes the port and its connections).
 * @param port The port number, 0 for any free port.
 * @param factory Builds a protocol for each connection.
 * @param contextFactory The server's TLS options: `CertificateOptions`
 * with a certificate (`PrivateCertificate.options()`).
 * @param opts The interface to listen on and the backlog.
 * @returns The listening port, once listening.
 * @example Usage
 * ```ts
 * import { Factory, listenSSL, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * // A server needs a certificate: without one, nothing starts.
 * await assert.rejects(
 *   listenSSL(reactor, 0, Factory.forProtocol(Protocol), {} as never).asPromise(),
 *   TypeError,
 * );
 * ```
 */
export function listenSSL<P extends Protocol>(
  reactor: TCPReactor,
  port: number,
  factory: Factory<P>,
  contextFactory: ITLSContextFactory,
  opts: ListenTCPOptions = {},
): Deferred<IListeningPort> {
  const action = `listen on port ${_show(port)}`;
  let secure: _Secure;
  try {
    const bad = _checkListen(port, factory, opts);
    if (bad !== undefined) return failed(bad);
    secure = secureWith(action, contextFactory, "server");
  } catch (e) {
    return failed(
      e instanceof TypeError ? e : new CannotListenError(
        opts?.interface || "0.0.0.0",
        port,
        e instanceof Error ? e.message : String(e),
      ),
    );
  }
  const p = new Port(reactor, port, factory, opts, secure);
  return p.startListening().addCallback((): IListeningPort => p);
}

/**
 * Connects to `host`:`port` over TLS and runs a protocol from `factory` on
 * the connection, as Twisted's `connectSSL`.
 *
 * The Deferred fires with the protocol once the handshake is done and the
 * server verified (after its `connectionMade`). Beyond `connectTCP`'s
 * failures, it fails (and `clientConnectionFailed` hears) with a
 * {@linkcode TLSHandshakeError}, or a kind of {@linkcode VerifyError} when
 * the server's certificate is not trusted
 * ({@linkcode CertificateExpiredError}, {@linkcode VerificationError} for
 * another name). The `timeout` covers the handshake too. A bad argument,
 * or a `contextFactory` whose key or certificates cannot be used, fails it
 * with a `TypeError` or `RangeError` before anything starts; without
 * `node:tls` it fails with a {@linkcode ConnectError}.
 *
 * @param reactor The reactor (its clock times the attempt out).
 * @param host The host name or IP address.
 * @param port The port number.
 * @param factory Builds the protocol, and hears about failures.
 * @param contextFactory The client's TLS options:
 * `optionsForClientTLS(hostname, { trustRoot })` to verify the server.
 * @param opts The timeout (30 s by default) and the local address.
 * @returns The connected protocol.
 * @example Usage
 * ```ts
 * import { ClientFactory, connectSSL, optionsForClientTLS, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * // Arguments are checked before any I/O.
 * await assert.rejects(
 *   connectSSL(reactor, "", 443, ClientFactory.forProtocol(Protocol), optionsForClientTLS("example.org")).asPromise(),
 *   TypeError,
 * );
 * ```
 */
export function connectSSL<P extends Protocol>(
  reactor: TCPReactor,
  host: string,
  port: number,
  factory: ClientFactory<P>,
  contextFactory: ITLSContextFactory,
  opts: ConnectTCPOptions = {},
): Deferred<P> {
  const action = `connect to ${_show(host)} port ${_show(port)}`;
  let secure: _Secure;
  try {
    const bad = _checkConnect(host, port, factory, opts);
    if (bad !== undefined) return failed(bad);
    secure = secureWith(action, contextFactory, "client");
  } catch (e) {
    return failed(
      e instanceof TypeError ? e : new ConnectError(
        `Cannot ${action}: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
  }
  return new Connector(reactor, host, port, factory, opts, secure)._connect();
}

// The hook that sets TLS up over each connection, its context made once.
function secureWith(
  action: string,
  contextFactory: unknown,
  side: TLSSide,
): _Secure {
  const setup = _tlsSetup(action, contextFactory, side);
  const secure = (
    socket: Socket,
    onSecure: (secured: Socket) => void,
    onError: (error: Error) => void,
  ): Socket => _startTLS(socket, setup, onSecure, onError);
  // tcp.ts hands it node:net sockets; _Secure names them structurally.
  return secure as unknown as _Secure;
}

// The SSL endpoints are the TCP ones over a view of the reactor whose
// listenTCP/connectTCP are its listenSSL/connectSSL (or the functions
// here), so that checks, defaults and factory wrapping are the same code.
interface SSLMethods {
  listenSSL?(
    port: number,
    factory: Factory<Protocol>,
    contextFactory: ITLSContextFactory,
    opts: ListenTCPOptions,
  ): Deferred<IListeningPort>;
  connectSSL?<P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    contextFactory: ITLSContextFactory,
    opts: ConnectTCPOptions,
  ): Deferred<P>;
}

function overSSL(
  reactor: TCPReactor,
  contextFactory: ITLSContextFactory,
): TCPReactor {
  const r = reactor as TCPReactor & SSLMethods;
  const view = Object.create(reactor) as TCPReactor & {
    listenTCP: unknown;
    connectTCP: unknown;
  };
  view.listenTCP = <P extends Protocol>(
    port: number,
    factory: Factory<P>,
    opts: ListenTCPOptions,
  ): Deferred<IListeningPort> =>
    typeof r.listenSSL === "function"
      ? r.listenSSL(port, factory, contextFactory, opts)
      : listenSSL(reactor, port, factory, contextFactory, opts);
  view.connectTCP = <P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    opts: ConnectTCPOptions,
  ): Deferred<P> =>
    typeof r.connectSSL === "function"
      ? r.connectSSL(host, port, factory, contextFactory, opts)
      : connectSSL(reactor, host, port, factory, contextFactory, opts);
  return view;
}

/**
 * A TLS server endpoint, as Twisted's `SSL4ServerEndpoint`: `listen`
 * calls `listenSSL`.
 *
 * @example Usage
 * ```ts
 * import { CertificateOptions, Factory, Protocol, reactor, SSL4ServerEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const endpoint = new SSL4ServerEndpoint(reactor, 0, new CertificateOptions(), { interface: "127.0.0.1" });
 * // CertificateOptions without a certificate cannot serve.
 * await assert.rejects(endpoint.listen(Factory.forProtocol(Protocol)).asPromise(), TypeError);
 * ```
 */
export class SSL4ServerEndpoint implements IStreamServerEndpoint {
  #endpoint: TCP4ServerEndpoint;

  /** Keeps the arguments; `listen` checks them. */
  constructor(
    reactor: TCPReactor,
    port: number,
    contextFactory: ITLSContextFactory,
    opts: ListenTCPOptions = {},
  ) {
    this.#endpoint = new TCP4ServerEndpoint(
      overSSL(reactor, contextFactory),
      port,
      opts,
    );
  }

  /** Listens with `factory`; the Deferred fires with the listening port. */
  listen(factory: Factory<Protocol>): Deferred<IListeningPort> {
    return this.#endpoint.listen(factory);
  }
}

/**
 * A TLS client endpoint, as Twisted's `SSL4ClientEndpoint`: `connect`
 * calls `connectSSL`, and fires with the protocol once the handshake is
 * done and the server verified.
 *
 * @example Usage
 * ```ts
 * import { connectProtocol, optionsForClientTLS, Protocol, reactor, SSL4ClientEndpoint } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const endpoint = new SSL4ClientEndpoint(reactor, "127.0.0.1", 0, optionsForClientTLS("localhost"));
 * await assert.rejects(connectProtocol(endpoint, new Protocol()).asPromise(), RangeError);
 * ```
 */
export class SSL4ClientEndpoint implements IStreamClientEndpoint {
  #endpoint: TCP4ClientEndpoint;

  /** Keeps the arguments; `connect` checks them. */
  constructor(
    reactor: TCPReactor,
    host: string,
    port: number,
    contextFactory: ITLSContextFactory,
    opts: ConnectTCPOptions = {},
  ) {
    this.#endpoint = new TCP4ClientEndpoint(
      overSSL(reactor, contextFactory),
      host,
      port,
      opts,
    );
  }

  /** Connects with any factory; the Deferred fires with its protocol. */
  connect<P extends Protocol>(factory: Factory<P>): Deferred<P> {
    return this.#endpoint.connect(factory);
  }
}

function failed<T>(error: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}

// The core (reactor methods, startTLS) reaches TLS through this, so that
// it does not import it (see _tls_hook.ts).
_registerTLS({ listenSSL, connectSSL, setup: _tlsSetup, start: _startTLS });
