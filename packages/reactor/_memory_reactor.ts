/**
 * A reactor without sockets, as Twisted's `twisted.internet.testing`
 * `MemoryReactor` and `MemoryReactorClock`: it records what is asked of it
 * (`listenTCP`, `connectTCP`, system event triggers) so a test can pick
 * the factories up and drive them, completing or failing each connection
 * attempt by hand.
 *
 * @module
 */

import { Deferred, Failure, type IReactorTime, logError } from "@twixt/defer";
import { Clock } from "./clock.ts";
import type { DelayedCall } from "./delayed_call.ts";
import { ReactorAlreadyRunning, ReactorNotRunning } from "./errors.ts";
import type { ClientFactory, Factory, Protocol } from "./protocol.ts";
import {
  _callWhenRunning,
  type IReactorCore,
  Reactor,
  type SystemEventPhase,
  type SystemEventTrigger,
} from "./reactor.ts";
import type { ConnectTCPOptions, ListenTCPOptions } from "./tcp.ts";
import { _makeAddress, IPv6Address, type TCPAddress } from "./tcp_address.ts";
import {
  CannotListenError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  NoProtocol,
} from "./tcp_errors.ts";
import type { IConnector, IListeningPort } from "./tcp_interfaces.ts";
import { _checkConnect, _checkListen } from "./_tcp_options.ts";
import {
  type ConnectedOptions,
  type ConnectedPair,
  connectedServerAndClient,
  type ProtocolSource,
} from "./_iosim.ts";
import { _creationOf, type _Leftover, _noteCreation } from "./_leaks.ts";
import { _ConnectorCore } from "./_connector_core.ts";

// The port numbers a memory port asked for port 0 gets, as the kernel
// would pick from its ephemeral range.
const FIRST_EPHEMERAL = 49152;

/**
 * A `listenTCP` call a {@linkcode MemoryReactor} recorded: the port asked
 * for, the factory, the backlog and the interface, as in Twisted.
 *
 * @example Usage
 * ```ts
 * import { Factory, Protocol } from "@twixt/reactor";
 * import { MemoryReactor, type TCPServerRecord } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactor();
 * reactor.listenTCP(8080, Factory.forProtocol(Protocol));
 * const [port, , backlog, iface]: TCPServerRecord = reactor.tcpServers[0]!;
 * assert.deepEqual([port, backlog, iface], [8080, 50, "0.0.0.0"]);
 * ```
 */
export type TCPServerRecord = [
  port: number,
  factory: Factory<Protocol>,
  backlog: number,
  iface: string,
];

/**
 * A `connectTCP` call a {@linkcode MemoryReactor} recorded: host, port,
 * factory, timeout and local address, as in Twisted.
 *
 * @example Usage
 * ```ts
 * import { ClientFactory, Protocol } from "@twixt/reactor";
 * import { MemoryReactor, type TCPClientRecord } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactor();
 * reactor.connectTCP("example.org", 25, ClientFactory.forProtocol(Protocol)).addErrback(() => {});
 * const [host, port, , timeout]: TCPClientRecord = reactor.tcpClients[0]!;
 * assert.deepEqual([host, port, timeout], ["example.org", 25, 30]);
 * reactor.connectors[0]!.connectionFailed();
 * ```
 */
export type TCPClientRecord = [
  host: string,
  port: number,
  factory: ClientFactory<Protocol>,
  timeout: number,
  bindAddress: { host: string; port?: number } | undefined,
];

const clocks = new WeakMap<MemoryReactor, Clock>();

/**
 * A reactor that does no I/O: `listenTCP` and `connectTCP` record their
 * calls in {@linkcode MemoryReactor.tcpServers} and
 * {@linkcode MemoryReactor.tcpClients}, a listen succeeds at once with a
 * {@linkcode MemoryPort}, and a connect waits, as a
 * {@linkcode MemoryConnector} in {@linkcode MemoryReactor.connectors},
 * until the test calls its `succeed` (joining it to a server in memory) or
 * `connectionFailed`. Its time stands still: calls scheduled with
 * `callLater` are listed but never run (use {@linkcode MemoryReactorClock}
 * to move time). The core is a recording fake, as Twisted's: `run()`
 * fires the startup triggers and `stop()` the shutdown ones (closing the
 * memory ports and connections), synchronously.
 *
 * Endpoints (`TCP4ServerEndpoint`, `TCP4ClientEndpoint`, the TCP6 ones)
 * and anything typed `IReactor` work on it.
 *
 * @example Usage
 * ```ts
 * import { Factory, LineReceiver, TCP4ClientEndpoint, TCP4ServerEndpoint } from "@twixt/reactor";
 * import { MemoryReactor } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * class Hello extends LineReceiver {
 *   override connectionMade(): void { this.sendLine("hello"); }
 * }
 * class Heard extends LineReceiver {
 *   lines: string[] = [];
 *   override lineReceived(line: string): void { this.lines.push(line); }
 * }
 * const reactor = new MemoryReactor();
 * await new TCP4ServerEndpoint(reactor, 7000).listen(Factory.forProtocol(Hello));
 * const d = new TCP4ClientEndpoint(reactor, "127.0.0.1", 7000).connect(Factory.forProtocol(Heard));
 * assert.equal(reactor.tcpClients[0]![1], 7000);
 * reactor.connectors[0]!.succeed(); // to the port listening on 7000
 * const client = await d;
 * assert.deepEqual(client.lines, ["hello"]);
 * ```
 */
export class MemoryReactor implements IReactorTime, IReactorCore {
  /** Every `listenTCP` call, in order. */
  readonly tcpServers: TCPServerRecord[] = [];
  /** Every `connectTCP` call, in order. */
  readonly tcpClients: TCPClientRecord[] = [];
  /** The connector of each `connectTCP` call, in order. */
  readonly connectors: MemoryConnector[] = [];
  /** The port of each `listenTCP` call that succeeded, in order. */
  readonly ports: MemoryPort[] = [];
  /** Whether `run()` was called. */
  hasRun = false;
  /** Whether `stop()` was called. */
  hasStopped = false;
  /** Whether `crash()` was called. */
  hasCrashed = false;
  #running = false;
  #stopped: (() => void) | undefined = undefined;
  // The system event triggers, kept and fired as the real reactor does.
  #core = new Reactor();
  #nextPort = FIRST_EPHEMERAL;
  /** @internal What is open: ports listening, attempts and connections. */
  readonly _open: Set<{ _leftover(): _Leftover }> = new Set();

  /** Creates a reactor with nothing recorded, its time at 0. */
  constructor() {
    clocks.set(this, new Clock());
  }

  /** Whether the reactor is running (between `run()` and `stop()`). */
  get running(): boolean {
    return this.#running;
  }

  /** The reactor's time, in seconds; it starts at 0. */
  seconds(): number {
    return clocks.get(this)!.seconds();
  }

  /**
   * Schedules `fn(...args)` `delay` seconds from now, on the reactor's
   * clock.
   *
   * @throws {RangeError} if `delay` is negative, NaN or infinite.
   * @throws {TypeError} if `fn` is not a function.
   */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): DelayedCall {
    return clocks.get(this)!.callLater(delay, fn, ...args);
  }

  /** The calls scheduled and not yet run or cancelled, earliest first. */
  getDelayedCalls(): DelayedCall[] {
    return clocks.get(this)!.getDelayedCalls();
  }

  /**
   * Runs the reactor, as Twisted's fake: `running` turns true, then the
   * startup triggers fire (with the `callWhenRunning` calls).
   *
   * @returns A promise that resolves on `stop()` or `crash()`.
   * @throws {ReactorAlreadyRunning} if it is running.
   */
  run(): Promise<void> {
    if (this.#running) throw new ReactorAlreadyRunning();
    this.hasRun = true;
    this.#running = true;
    const done = new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
    this.#core.fireSystemEvent("startup");
    return done;
  }

  /**
   * Stops the reactor: `running` turns false, and the shutdown triggers
   * fire; in their "during" phase, as the real reactor does, the memory
   * ports stop listening and the memory connections are aborted.
   *
   * @throws {ReactorNotRunning} if it is not running.
   */
  stop(): void {
    if (!this.#running) throw new ReactorNotRunning();
    this.hasStopped = true;
    this.#running = false;
    this.#core.addSystemEventTrigger("during", "shutdown", () => {
      for (const item of [...this._open]) void item._leftover().close();
    });
    this.#core.fireSystemEvent("shutdown");
    this.#finish();
  }

  /** Stops the reactor at once, without the shutdown triggers. */
  crash(): void {
    if (!this.#running) return;
    this.hasCrashed = true;
    this.#running = false;
    this.#finish();
  }

  /** Calls `fn(...args)` now if running, else once `run()` is called. */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger | undefined {
    return _callWhenRunning(this, fn, args);
  }

  /**
   * Registers `fn(...args)` for `phase` of `event`, as
   * `Reactor.addSystemEventTrigger`.
   *
   * @throws {TypeError} if `phase` is not before, during or after, or
   * `fn` is not a function.
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    event: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger {
    return this.#core.addSystemEventTrigger(phase, event, fn, ...args);
  }

  /**
   * Unregisters a trigger.
   *
   * @throws {TypeError} if it is not registered.
   */
  removeSystemEventTrigger(id: SystemEventTrigger): void {
    this.#core.removeSystemEventTrigger(id);
  }

  /**
   * Runs the triggers of `event` phase by phase, as
   * `Reactor.fireSystemEvent` (waiting between phases for the Deferreds
   * and promises triggers return).
   */
  fireSystemEvent(event: string): void {
    this.#core.fireSystemEvent(event);
  }

  /**
   * Records the call and "listens": the Deferred fires at once with a
   * {@linkcode MemoryPort} (port 0 gets a number from 49152 up), or fails
   * with `CannotListenError` for a port another memory port of this
   * reactor listens on. Bad arguments fail it with the `TypeError` or
   * `RangeError` the real `listenTCP` gives, recording nothing. The
   * recorded backlog is the one given, or 50 (Twisted's) when none is.
   */
  listenTCP<P extends Protocol>(
    port: number,
    factory: Factory<P>,
    opts: ListenTCPOptions = {},
  ): Deferred<IListeningPort> {
    const bad = _checkListen(port, factory, opts);
    if (bad !== undefined) return failed(bad);
    const iface = opts.interface || "0.0.0.0";
    this.tcpServers.push([
      port,
      factory as Factory<Protocol>,
      opts.backlog ?? 50,
      iface,
    ]);
    const d = new Deferred<IListeningPort>();
    const number = port === 0 ? this.#nextPort++ : port;
    const p = new MemoryPort(this, _makeAddress(iface, number), factory);
    _noteCreation(p);
    p.startListening().addCallbacks(() => {
      this.ports.push(p);
      d.callback(p);
    }, (f) => d.errback(f));
    return d;
  }

  /**
   * Records the call and starts a {@linkcode MemoryConnector}: the factory
   * is started and hears `startedConnecting`; the Deferred fires with the
   * protocol once the test calls the connector's `succeed`, or fails once
   * it calls `connectionFailed`, or after `timeout` seconds of the
   * reactor's clock (`TimeoutError`), or when cancelled
   * (`ConnectingCancelledError`). Bad arguments (a timeout, host, port or
   * factory that is not one) fail it with the `TypeError` or `RangeError`
   * the real `connectTCP` gives, recording nothing.
   */
  connectTCP<P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    opts: ConnectTCPOptions = {},
  ): Deferred<P> {
    const bad = _checkConnect(host, port, factory, opts);
    if (bad !== undefined) return failed(bad);
    const timeout = opts.timeout ?? 30;
    this.tcpClients.push([
      host,
      port,
      factory as ClientFactory<Protocol>,
      timeout,
      opts.bindAddress,
    ]);
    const connector = new MemoryConnector<P>(
      this,
      host,
      port,
      factory,
      timeout,
    );
    _noteCreation(connector);
    this.connectors.push(connector as MemoryConnector<Protocol>);
    const d = connector._deferred();
    connector.connect();
    return d;
  }

  /** @internal The memory port listening on `port`, if any. */
  _portOn(port: number): MemoryPort | undefined {
    return this.ports.find((p) => p.listening && p.getHost().port === port);
  }

  #finish(): void {
    const stopped = this.#stopped;
    this.#stopped = undefined;
    stopped?.();
  }
}

// As the real listenTCP and connectTCP (with the same checks): bad input
// fails the Deferred instead of throwing.
function failed<T>(error: Error): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}

/**
 * A {@linkcode MemoryReactor} whose time moves when told to, as Twisted's
 * `MemoryReactorClock`: `advance` and `pump` run the calls that fall due,
 * connect timeouts among them.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "@twixt/defer";
 * import { ClientFactory, Protocol } from "@twixt/reactor";
 * import { MemoryReactorClock } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactorClock();
 * const d = reactor.connectTCP("example.org", 80, ClientFactory.forProtocol(Protocol), { timeout: 5 });
 * let failure: unknown;
 * d.addErrback((f) => { failure = f.value; });
 * reactor.advance(5);
 * assert.ok(failure instanceof TimeoutError);
 * ```
 */
export class MemoryReactorClock extends MemoryReactor {
  /** The current time, in seconds (as `Clock.rightNow`). */
  get rightNow(): number {
    return clocks.get(this)!.rightNow;
  }

  /** The pending calls, earliest first (as `Clock.calls`). */
  get calls(): DelayedCall[] {
    return clocks.get(this)!.calls;
  }

  /**
   * Moves time forward by `amount` seconds, running the calls due, as
   * `Clock.advance`.
   *
   * @throws {RangeError} if `amount` is negative, NaN or infinite.
   */
  advance(amount: number): void {
    clocks.get(this)!.advance(amount);
  }

  /** Advances by each of `timings` in turn, as `Clock.pump`. */
  pump(timings: Iterable<number>): void {
    clocks.get(this)!.pump(timings);
  }
}

/**
 * A port a {@linkcode MemoryReactor} "listens" on: it accepts nothing by
 * itself; a connector's `succeed()` builds a server protocol from its
 * factory.
 *
 * @example Usage
 * ```ts
 * import { Factory, Protocol } from "@twixt/reactor";
 * import { MemoryPort, MemoryReactor } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactor();
 * const port = await reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
 * assert.ok(port instanceof MemoryPort);
 * assert.equal(port.getHost().port, 49152);
 * await port.stopListening();
 * assert.equal(port.listening, false);
 * ```
 */
export class MemoryPort implements IListeningPort {
  #reactor: MemoryReactor;
  #host: TCPAddress;
  /** The factory that builds the server protocols. */
  readonly factory: Factory<Protocol>;
  /** Whether it listens. */
  listening = false;

  /** @internal Made by {@linkcode MemoryReactor.listenTCP}. */
  constructor(
    reactor: MemoryReactor,
    host: TCPAddress,
    factory: Factory<Protocol>,
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.factory = factory;
  }

  /** @internal What the clean-reactor check reports and closes. */
  _leftover(): _Leftover {
    return {
      kind: "listening port",
      description: String(this),
      created: _creationOf(this),
      close: () => this.stopListening().asPromise(),
    };
  }

  /** The address it listens on. */
  getHost(): TCPAddress {
    return this.#host;
  }

  /**
   * Listens (again); fails with `CannotListenError` if another memory port
   * of the reactor listens on the same port number.
   */
  startListening(): Deferred<void> {
    const d = new Deferred<void>();
    const { host, port } = this.#host;
    if (this.listening) {
      d.errback(
        new CannotListenError(host, port, "the port is already listening"),
      );
      return d;
    }
    if (this.#reactor._portOn(port) !== undefined) {
      d.errback(new CannotListenError(host, port, "address already in use"));
      return d;
    }
    this.listening = true;
    this.#reactor._open.add(this);
    this.factory.doStart();
    d.callback(undefined);
    return d;
  }

  /** Stops listening (connections stay open); fires at once. */
  stopListening(): Deferred<void> {
    const d = new Deferred<void>();
    if (this.listening) {
      this.listening = false;
      this.#reactor._open.delete(this);
      this.factory.doStop();
    }
    d.callback(undefined);
    return d;
  }

  /** A description for debugging. */
  toString(): string {
    return `<${this.factory.constructor.name} on ${this.#host.port} (memory)>`;
  }
}

/**
 * A connection attempt a {@linkcode MemoryReactor} recorded: the test
 * decides how it ends, with {@linkcode MemoryConnector.succeed} (joining
 * it in memory to a server) or {@linkcode MemoryConnector.connectionFailed}.
 *
 * @typeParam P The client protocol.
 * @example Usage
 * ```ts
 * import { ClientFactory, ConnectionRefusedError, Protocol } from "@twixt/reactor";
 * import { MemoryReactor } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactor();
 * const d = reactor.connectTCP("127.0.0.1", 25, ClientFactory.forProtocol(Protocol));
 * reactor.connectors[0]!.connectionFailed();
 * await assert.rejects(d.asPromise(), ConnectionRefusedError);
 * ```
 */
export class MemoryConnector<P extends Protocol = Protocol>
  implements IConnector {
  #reactor: MemoryReactor;
  #host: string;
  #port: number;
  #factory: ClientFactory<P>;
  #core: _ConnectorCore<P>;
  #pair: ConnectedPair<Protocol, P> | undefined = undefined;
  /** `"disconnected"`, `"connecting"` or `"connected"`, as a real connector. */
  state: "disconnected" | "connecting" | "connected" = "disconnected";
  /** Whether `stopConnecting` was called, as in Twisted's fake connector. */
  stoppedConnecting = false;

  /** @internal Made by {@linkcode MemoryReactor.connectTCP}. */
  constructor(
    reactor: MemoryReactor,
    host: string,
    port: number,
    factory: ClientFactory<P>,
    timeout: number,
  ) {
    this.#reactor = reactor;
    this.#host = host;
    this.#port = port;
    this.#factory = factory;
    this.#core = new _ConnectorCore(this, factory, host, port, timeout, {
      callLater: (delay, fn) => reactor.callLater(delay, fn),
      track: () => reactor._open.add(this),
      untrack: () => reactor._open.delete(this),
    });
  }

  /** @internal What the clean-reactor check reports and closes. */
  _leftover(): _Leftover {
    return {
      kind: this.state === "connecting" ? "connection attempt" : "connection",
      description: String(this),
      created: _creationOf(this),
      close: () => {
        if (this.state === "connecting") this.stopConnecting();
        else this.#pair?.pump.clientTransport.abortConnection();
        this.#pair?.pump.flush();
        return Promise.resolve();
      },
    };
  }

  /** @internal The Deferred `connectTCP` returns. */
  _deferred(): Deferred<P> {
    return this.#core.deferred(() => {
      if (this.state === "connecting") {
        this.connectionFailed(
          new ConnectingCancelledError(this.#host, this.#port),
        );
      }
    });
  }

  /** Where it connects to. */
  getDestination(): TCPAddress {
    return _makeAddress(this.#host, this.#port);
  }

  /**
   * Starts an attempt (again): the factory hears `startedConnecting`, and
   * the connect timeout is scheduled on the reactor's clock.
   *
   * @throws {Error} When already connecting or connected.
   */
  connect(): void {
    this.#core.begin((error) => this.connectionFailed(error));
  }

  /**
   * Fails the attempt with `reason` (`ConnectionRefusedError` by default):
   * the factory hears `clientConnectionFailed`, and unless it calls
   * `connect()` again, `connectTCP`'s Deferred fails with the same reason.
   *
   * @throws {Error} When not connecting.
   */
  connectionFailed(reason?: Failure | Error): void {
    if (this.state !== "connecting") {
      throw new Error(
        `Cannot fail the connection: the connector is ${this.state}`,
      );
    }
    const failure = reason instanceof Failure ? reason : new Failure(
      reason ?? new ConnectionRefusedError(this.#host, this.#port),
    );
    this.#core.failed(failure);
  }

  /**
   * Completes the attempt, joined in memory to `server` (a factory, a
   * protocol or a function returning one; by default the factory of the
   * memory port of this reactor listening on the port connected to). The
   * client protocol comes from the connector's factory; `connectTCP`'s
   * Deferred fires with it, after its `connectionMade`. When the
   * connection is later lost, the factory hears `clientConnectionLost`.
   *
   * @param server The server side.
   * @param opts As for `connectedServerAndClient` (greets by default).
   * @returns The two protocols and the pump between them.
   * @throws {Error} When not connecting, or no port listens there.
   */
  succeed<S extends Protocol = Protocol>(
    server?: ProtocolSource<S>,
    opts: ConnectedOptions = {},
  ): ConnectedPair<S, P> {
    if (this.state !== "connecting") {
      throw new Error(
        `Cannot complete the connection: the connector is ${this.state}`,
      );
    }
    const source = server ?? this.#reactor._portOn(this.#port)?.factory;
    if (source === undefined) {
      throw new Error(
        `Cannot complete the connection: no memory port listens on ${this.#port}`,
      );
    }
    const peer = this.getDestination();
    const serverAddress = opts.serverAddress ?? peer;
    // The client's side of the connection: an ephemeral port of its own.
    const clientAddress = opts.clientAddress ??
      _makeAddress(
        peer instanceof IPv6Address ? "::1" : "127.0.0.1",
        FIRST_EPHEMERAL + 10000 + this.#reactor.connectors.indexOf(this),
      );
    // The client protocol is built before the pair is joined, so that a
    // factory that builds none fails the attempt as over TCP.
    let client: P | null;
    try {
      client = this.#factory.buildProtocol(serverAddress);
    } catch (e) {
      logError(new Failure(e));
      client = null;
    }
    this.#core.end();
    const d = this.#core.takeDeferred();
    if (client === null || client === undefined) {
      this.#core.stopFactory();
      d?.errback(new NoProtocol());
      throw new Error(
        "Cannot complete the connection: the factory built no protocol",
      );
    }
    this.state = "connected";
    const pair = connectedServerAndClient(
      source as ProtocolSource<S>,
      client,
      { ...opts, serverAddress, clientAddress, greet: false },
    );
    this.#pair = pair as ConnectedPair<Protocol, P>;
    this.#reactor._open.add(this);
    pair.pump.clientTransport._whenLost((reason) => {
      this.#pair = undefined;
      this.#core.lost(reason);
    });
    d?.callback(pair.client);
    if (opts.greet ?? true) pair.pump.flush();
    return pair;
  }

  /** Sets `stoppedConnecting` and fails the attempt with `ConnectingCancelledError`. */
  stopConnecting(): void {
    this.stoppedConnecting = true;
    if (this.state === "connecting") {
      this.connectionFailed(
        new ConnectingCancelledError(this.#host, this.#port),
      );
    }
  }

  /** Closes the connection cleanly, or stops connecting. */
  disconnect(): void {
    if (this.state === "connecting") this.stopConnecting();
    else this.#pair?.client.transport.loseConnection();
  }

  /** A description for debugging. */
  toString(): string {
    return `<MemoryConnector to ${this.#host}:${this.#port} (${this.state})>`;
  }
}
