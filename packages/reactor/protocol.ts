/**
 * Protocols and factories, as in `twisted.internet.protocol`.
 *
 * A {@linkcode Protocol} handles one connection: the transport calls
 * `makeConnection` (which calls `connectionMade`), then `dataReceived` for
 * each chunk that arrives, then `connectionLost` once. A
 * {@linkcode Factory} makes one protocol per connection and holds what they
 * share; a {@linkcode ClientFactory} also hears about connects that failed
 * and connections that were lost.
 *
 * @module
 */

import type { Failure } from "@twixt/defer";
import type { TCPAddress } from "./tcp_address.ts";
import type { IConnector, ITransport } from "./tcp_interfaces.ts";

/**
 * The handler of one connection. Subclass it and override the event
 * methods; write to the other side with `this.transport.write(...)`.
 *
 * Event methods may throw: the transport logs the error (through
 * `logError` of `@twixt/defer`) and drops the connection, and a server
 * keeps serving its other connections.
 *
 * @example Usage
 * ```ts
 * import { Protocol, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const transport = new StringTransport();
 * const echo = new Echo();
 * echo.makeConnection(transport);
 * echo.dataReceived(new TextEncoder().encode("hello"));
 * assert.equal(transport.value(), "hello");
 * ```
 */
export class Protocol {
  /**
   * The connection's transport, set by {@linkcode Protocol.makeConnection}
   * (undefined before it is called).
   */
  transport!: ITransport;
  /** The factory that built this protocol, if one did. */
  factory: Factory<Protocol> | undefined = undefined;
  /** Whether {@linkcode Protocol.makeConnection} has been called. */
  connected = false;

  /**
   * Attaches the transport and calls {@linkcode Protocol.connectionMade}.
   * Transports call this; protocols rarely override it.
   */
  makeConnection(transport: ITransport): void {
    this.connected = true;
    this.transport = transport;
    this.connectionMade();
  }

  /** Called once the connection is made; override to greet or set up. */
  connectionMade(): void {}

  /**
   * Called with each chunk of bytes as it arrives. Chunk boundaries are
   * arbitrary: a message may arrive in pieces, or several in one chunk.
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * Called once when the connection ends: with `ConnectionDone` when it was
   * closed cleanly, `ConnectionLost` (or the error a callback threw) when
   * not.
   */
  connectionLost(_reason: Failure): void {}
}

/**
 * A class of protocols that a factory can build.
 *
 * @example Usage
 * ```ts
 * import { Factory, Protocol, type ProtocolClass } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Quiet extends Protocol {}
 * const cls: ProtocolClass<Quiet> = Quiet;
 * assert.equal(Factory.forProtocol(cls).protocol, Quiet);
 * ```
 */
export type ProtocolClass<P extends Protocol = Protocol> = new () => P;

/**
 * Makes a protocol for each connection, and holds what they share (a
 * protocol reaches it as `this.factory`). Set `protocol` (or use
 * {@linkcode Factory.forProtocol}) to build instances of a class, or
 * override {@linkcode Factory.buildProtocol}.
 *
 * `doStart`/`doStop` count the ports and connectors using the factory and
 * call `startFactory` when the first starts and `stopFactory` when the last
 * stops, as in Twisted.
 *
 * @typeParam P The protocol class it builds.
 * @example Usage
 * ```ts
 * import { Factory, IPv4Address, Protocol } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Greeter extends Protocol {}
 * const factory = Factory.forProtocol(Greeter);
 * const p = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 5000));
 * assert.ok(p instanceof Greeter);
 * assert.equal(p?.factory, factory);
 * ```
 */
export class Factory<P extends Protocol = Protocol> {
  /** The protocol class that {@linkcode Factory.buildProtocol} instantiates. */
  protocol: ProtocolClass<P> | undefined = undefined;
  /** How many ports or connectors are using this factory. */
  numPorts = 0;

  /**
   * Makes a factory of this class (called with `args`) whose `protocol` is
   * `protocol`; its type says it builds that class, so that `connectTCP`
   * and endpoints give a Deferred of it.
   */
  static forProtocol<
    F extends Factory<any>,
    P extends Protocol,
    A extends unknown[],
  >(
    this: new (...args: A) => F,
    protocol: ProtocolClass<P>,
    ...args: A
  ): F & Factory<P> {
    const factory = new this(...args);
    factory.protocol = protocol;
    return factory as F & Factory<P>;
  }

  /** Called by a port or connector that starts using this factory. */
  doStart(): void {
    if (this.numPorts === 0) this.startFactory();
    this.numPorts++;
  }

  /** Called by a port or connector that stops using this factory. */
  doStop(): void {
    if (this.numPorts === 0) return;
    this.numPorts--;
    if (this.numPorts === 0) this.stopFactory();
  }

  /** Called before the first port or connector starts; override to set up. */
  startFactory(): void {}

  /** Called after the last port or connector stops; override to clean up. */
  stopFactory(): void {}

  /**
   * Makes the protocol for a new connection from (or to) `addr`. Returning
   * `null` refuses the connection: it is closed at once.
   *
   * @throws {TypeError} When `protocol` is not set.
   */
  buildProtocol(_addr: TCPAddress): P | null {
    if (this.protocol === undefined) {
      throw new TypeError(
        "Cannot build a protocol: factory.protocol is not set",
      );
    }
    const p = new this.protocol();
    p.factory = this as Factory<Protocol>;
    return p;
  }
}

/**
 * A factory for client connections: it also hears when a connect fails
 * and when a connection is lost, with the connector to retry through.
 *
 * @typeParam P The protocol class it builds.
 * @example Usage
 * ```ts
 * import type { Failure } from "@twixt/defer";
 * import { ClientFactory, type IConnector, Protocol } from "@twixt/reactor";
 *
 * class Retrying extends ClientFactory {
 *   tries = 0;
 *   override clientConnectionFailed(connector: IConnector, _reason: Failure): void {
 *     if (++this.tries < 3) connector.connect();
 *   }
 * }
 * const factory = Retrying.forProtocol(Protocol);
 * ```
 */
export class ClientFactory<P extends Protocol = Protocol> extends Factory<P> {
  /** Called when a connect attempt starts. */
  startedConnecting(_connector: IConnector): void {}

  /**
   * Called when a connect attempt fails (`ConnectionRefusedError`,
   * `TimeoutError`, `ConnectingCancelledError`, ...). Call
   * `connector.connect()` to try again.
   */
  clientConnectionFailed(_connector: IConnector, _reason: Failure): void {}

  /**
   * Called after an established connection was lost, once the protocol's
   * `connectionLost` has run. Call `connector.connect()` to reconnect.
   */
  clientConnectionLost(_connector: IConnector, _reason: Failure): void {}
}
