/**
 * TCP endpoints, as in `twisted.internet.endpoints`: where to listen or
 * connect, as a value, separate from what to run there.
 *
 * @module
 */

import type { Deferred } from "@twixt/defer";
import type { TCPAddress } from "./tcp_address.ts";
import type { IListeningPort, TCPReactor } from "./tcp_interfaces.ts";
import { ClientFactory, type Factory, type Protocol } from "./protocol.ts";
import {
  connectTCP,
  type ConnectTCPOptions,
  listenTCP,
  type ListenTCPOptions,
} from "./tcp.ts";

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
 * A TCP port on this machine to listen on.
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
  #reactor: TCPReactor;
  #port: number;
  #opts: ListenTCPOptions;

  /** Describes port `port` (0 for any) on `opts.interface` (all IPv4 interfaces by default). */
  constructor(reactor: TCPReactor, port: number, opts: ListenTCPOptions = {}) {
    this.#reactor = reactor;
    this.#port = port;
    this.#opts = opts;
  }

  /**
   * Listens with `factory`; fails with `CannotListenError` as
   * `listenTCP` does.
   */
  listen(factory: Factory<Protocol>): Deferred<IListeningPort> {
    return listenTCP(this.#reactor, this.#port, factory, this.#opts);
  }
}

/**
 * A TCP host and port to connect to.
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
  #reactor: TCPReactor;
  #host: string;
  #port: number;
  #opts: ConnectTCPOptions;

  /** Describes `host`:`port`, with a connect timeout (30 s by default) and local address. */
  constructor(
    reactor: TCPReactor,
    host: string,
    port: number,
    opts: ConnectTCPOptions = {},
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#opts = opts;
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
    return connectTCP(
      this.#reactor,
      this.#host,
      this.#port,
      new WrappingFactory(factory),
      this.#opts,
    );
  }
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
  return endpoint.connect(new SingleProtocolFactory(protocol));
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
