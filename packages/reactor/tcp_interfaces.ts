/**
 * The interfaces of Twixt's TCP layer, as in `twisted.internet.interfaces`:
 * transports, producers and consumers, listening ports, connectors, and what
 * the TCP functions need from a reactor.
 *
 * @module
 */

import type { Deferred, IReactorTime } from "@twixt/defer";
import type { TCPAddress } from "./tcp_address.ts";

/**
 * What `listenTCP`, `connectTCP` and the endpoints need from a reactor:
 * its clock (for connect timeouts) and its system event triggers (to close
 * ports and connections when it shuts down). The global `reactor` has both.
 * The triggers are optional so that a test may pass a `Clock` from
 * `@twixt/reactor/task` and drive connect timeouts deterministically;
 * nothing is then closed for it at shutdown.
 *
 * @example Usage
 * ```ts
 * import { Factory, listenTCP, Protocol, reactor, type TCPReactor } from "@twixt/reactor";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const reactors: TCPReactor[] = [reactor, new Clock()];
 * for (const r of reactors) {
 *   const port = await listenTCP(r, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 *   assert.ok(port.getHost().port > 0);
 *   await port.stopListening();
 * }
 * ```
 */
export interface TCPReactor extends IReactorTime {
  /** Registers `fn` to run at `phase` of `event`; returns an id for removal. */
  addSystemEventTrigger?(
    phase: "before" | "during" | "after",
    event: string,
    // deno-lint-ignore no-explicit-any
    fn: (...args: any[]) => unknown,
    ...args: unknown[]
  ): unknown;
  /** Removes a trigger added with {@linkcode TCPReactor.addSystemEventTrigger}. */
  removeSystemEventTrigger?(id: unknown): void;
}

/**
 * Something that can be paused and resumed, and told to stop: a transport
 * (pausing stops reading from the socket) or a data source feeding one.
 *
 * @example Usage
 * ```ts
 * import { type IPushProducer, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Ticker implements IPushProducer {
 *   running = true;
 *   pauseProducing(): void { this.running = false; }
 *   resumeProducing(): void { this.running = true; }
 *   stopProducing(): void { this.running = false; }
 * }
 * const transport = new StringTransport();
 * const ticker = new Ticker();
 * transport.registerProducer(ticker, true);
 * ticker.pauseProducing();
 * assert.equal(ticker.running, false);
 * transport.unregisterProducer();
 * ```
 */
export interface IPushProducer {
  /** Stops producing data until {@linkcode IPushProducer.resumeProducing}. */
  pauseProducing(): void;
  /** Starts producing data again. */
  resumeProducing(): void;
  /** Stops producing data for good. */
  stopProducing(): void;
}

/**
 * A producer that writes one chunk each time its consumer calls
 * `resumeProducing` (a "pull" producer, registered with `streaming` false).
 *
 * @example Usage
 * ```ts
 * import { type IPullProducer, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const transport = new StringTransport();
 * const lines = ["one\n", "two\n"];
 * const producer: IPullProducer = {
 *   resumeProducing() {
 *     const line = lines.shift();
 *     if (line === undefined) transport.unregisterProducer();
 *     else transport.write(line);
 *   },
 *   stopProducing() {},
 * };
 * transport.registerProducer(producer, false);
 * while (transport.producer !== undefined) producer.resumeProducing();
 * assert.equal(transport.value(), "one\ntwo\n");
 * ```
 */
export interface IPullProducer {
  /** Writes the next chunk to the consumer. */
  resumeProducing(): void;
  /** Stops producing data for good. */
  stopProducing(): void;
}

/**
 * Either kind of producer.
 *
 * @example Usage
 * ```ts
 * import type { IProducer } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * function isStreaming(p: IProducer): boolean {
 *   return "pauseProducing" in p;
 * }
 * assert.equal(isStreaming({ resumeProducing() {}, stopProducing() {} }), false);
 * ```
 */
export type IProducer = IPushProducer | IPullProducer;

/**
 * Something that data is written to, and that can throttle a producer
 * registered with it.
 *
 * @example Usage
 * ```ts
 * import { type IConsumer, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * function sendAll(consumer: IConsumer, chunks: string[]): void {
 *   for (const chunk of chunks) consumer.write(chunk);
 * }
 * const transport = new StringTransport();
 * sendAll(transport, ["a", "b"]);
 * assert.equal(transport.value(), "ab");
 * ```
 */
export interface IConsumer {
  /**
   * Attaches `producer`. A streaming (push) producer is paused while the
   * consumer's buffer is full and resumed when it drains; a pull producer
   * is asked for each next chunk once the buffer has drained.
   */
  registerProducer(producer: IProducer, streaming: boolean): void;
  /** Detaches the producer. */
  unregisterProducer(): void;
  /** Writes data. */
  write(data: Uint8Array | string): void;
}

/**
 * One side of a connection, as a protocol sees it.
 *
 * @example Usage
 * ```ts
 * import { type ITransport, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * function goodbye(transport: ITransport): void {
 *   transport.write("bye\r\n");
 *   transport.loseConnection();
 * }
 * const transport = new StringTransport();
 * goodbye(transport);
 * assert.equal(transport.value(), "bye\r\n");
 * assert.equal(transport.disconnecting, true);
 * ```
 */
export interface ITransport extends IConsumer, IPushProducer {
  /** True between the connection being made and being lost. */
  readonly connected: boolean;
  /** True once `loseConnection` was called and the close is in progress. */
  readonly disconnecting: boolean;
  /** Sends `data`; strings are encoded as UTF-8. Never blocks. */
  write(data: Uint8Array | string): void;
  /** Sends each item of `data` in order. */
  writeSequence(data: Iterable<Uint8Array | string>): void;
  /** Closes the connection after all pending writes have been sent. */
  loseConnection(): void;
  /** Closes the connection at once, dropping pending writes. */
  abortConnection(): void;
  /** The address of the other side. */
  getPeer(): TCPAddress;
  /** The address of this side. */
  getHost(): TCPAddress;
}

/**
 * A listening TCP port, as `listenTCP` gives it.
 *
 * @example Usage
 * ```ts
 * import { Factory, type IListeningPort, listenTCP, Protocol, reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const port: IListeningPort = await listenTCP(reactor, 0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * assert.equal(port.getHost().host, "127.0.0.1");
 * await port.stopListening();
 * ```
 */
export interface IListeningPort {
  /** The address the port listens on (with the real port number when 0 was asked for). */
  getHost(): TCPAddress;
  /**
   * Stops accepting connections (open ones stay open); the Deferred fires
   * when the port is closed.
   */
  stopListening(): Deferred<void>;
  /** Starts listening again after `stopListening`. */
  startListening(): Deferred<void>;
}

/**
 * A client connection attempt, as the factory's callbacks receive it.
 *
 * @example Usage
 * ```ts
 * import type { Failure } from "@twixt/defer";
 * import { ClientFactory, type IConnector } from "@twixt/reactor";
 *
 * class Reconnecting extends ClientFactory {
 *   override clientConnectionLost(connector: IConnector, _reason: Failure): void {
 *     connector.connect();
 *   }
 * }
 * new Reconnecting();
 * ```
 */
export interface IConnector {
  /** Where it connects to. */
  getDestination(): TCPAddress;
  /** Connects (again): lets a factory retry after a failure or loss. */
  connect(): void;
  /** Closes the connection, or stops connecting. */
  disconnect(): void;
  /** Stops an attempt that has not connected yet. */
  stopConnecting(): void;
}
