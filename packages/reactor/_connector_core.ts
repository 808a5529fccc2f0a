/**
 * What every client connector does around its attempts, as Twisted's
 * `BaseConnector` (twisted/internet/base.py): start the factory once, arm
 * the connect timeout, tell the factory `startedConnecting`, and when an
 * attempt fails or a connection is lost, tell the factory and, unless it
 * called `connect()` again from there, stop it and settle the Deferred of
 * `connectTCP`. The TCP connector and the in-memory one
 * (`@twixt/reactor/testing`) both keep theirs here; each makes (or
 * pretends) its own connection.
 *
 * @module
 */

import {
  Deferred,
  Failure,
  type IDelayedCall,
  logError,
  TimeoutError,
} from "@twixt/defer";
import type { ClientFactory, Protocol } from "./protocol.ts";
import type { IConnector } from "./tcp_interfaces.ts";

/** @internal A connector, with the state Twisted's connectors show. */
export interface _StatefulConnector extends IConnector {
  state: "disconnected" | "connecting" | "connected";
}

/** @internal What the core needs of its connector's reactor and owner. */
export interface _ConnectorHooks {
  /** Schedules the connect timeout. */
  callLater(delay: number, fn: () => void): IDelayedCall;
  /** Counts the connector open (for shutdown, or the clean-reactor check). */
  track(): void;
  /** Counts it closed. */
  untrack(): void;
}

/** @internal One connector's attempts and its factory's lifetime. */
export class _ConnectorCore<P extends Protocol> {
  #connector: _StatefulConnector;
  #factory: ClientFactory<P>;
  #hooks: _ConnectorHooks;
  #host: string;
  #port: number;
  #timeout: number;
  #factoryStarted = false;
  #timer: IDelayedCall | undefined = undefined;
  // Fires with the first protocol connected, or fails when an attempt
  // fails and the factory does not retry.
  #deferred: Deferred<P> | undefined = undefined;

  constructor(
    connector: _StatefulConnector,
    factory: ClientFactory<P>,
    host: string,
    port: number,
    timeout: number,
    hooks: _ConnectorHooks,
  ) {
    this.#connector = connector;
    this.#factory = factory;
    this.#host = host;
    this.#port = port;
    this.#timeout = timeout;
    this.#hooks = hooks;
  }

  /** Makes the Deferred `connectTCP` returns; cancelling it calls `cancel`. */
  deferred(cancel: () => void): Deferred<P> {
    this.#deferred = new Deferred<P>(cancel);
    return this.#deferred;
  }

  /** Takes the Deferred, to fire it with the connected protocol. */
  takeDeferred(): Deferred<P> | undefined {
    const d = this.#deferred;
    this.#deferred = undefined;
    return d;
  }

  /**
   * Starts an attempt: the factory is started (once), the timeout armed
   * (it calls `timedOut` with a `TimeoutError`), and the factory hears
   * `startedConnecting`.
   *
   * @throws {Error} When the connector is already connecting or connected.
   */
  begin(timedOut: (error: TimeoutError) => void): void {
    const c = this.#connector;
    if (c.state !== "disconnected") {
      throw new Error(`Cannot connect: the connector is ${c.state}`);
    }
    c.state = "connecting";
    if (!this.#factoryStarted) {
      this.#factory.doStart();
      this.#factoryStarted = true;
    }
    this.#hooks.track();
    const t = this.#timeout;
    this.#timer = this.#hooks.callLater(t, () => {
      this.#timer = undefined;
      timedOut(
        new TimeoutError(
          `Connecting to ${this.#host}:${this.#port} timed out after ${t} seconds`,
          t,
        ),
      );
    });
    this.#tell(() => this.#factory.startedConnecting(c));
  }

  /** Cancels the connect timeout: the attempt succeeded or ended. */
  cancelTimeout(): void {
    if (this.#timer?.active()) this.#timer.cancel();
    this.#timer = undefined;
  }

  /**
   * The attempt failed: the connector is disconnected, and the factory
   * hears `clientConnectionFailed`; unless it retried from there, it is
   * stopped and the Deferred fails with `reason`.
   */
  failed(reason: Failure): void {
    this.end();
    this.#tell(() =>
      this.#factory.clientConnectionFailed(this.#connector, reason)
    );
    if (this.#connector.state === "disconnected") {
      this.stopFactory();
      this.takeDeferred()?.errback(reason);
    }
  }

  /**
   * The connection was lost: the factory hears `clientConnectionLost`,
   * and unless it reconnected from there, it is stopped.
   */
  lost(reason: Failure): void {
    this.end();
    this.#tell(() =>
      this.#factory.clientConnectionLost(this.#connector, reason)
    );
    this.stopFactory();
  }

  /** Stops the factory, if started and the connector is not retrying. */
  stopFactory(): void {
    if (this.#connector.state === "disconnected" && this.#factoryStarted) {
      this.#factoryStarted = false;
      this.#factory.doStop();
    }
  }

  /** Ends the attempt or connection: disconnected, no timeout, untracked. */
  end(): void {
    this.cancelTimeout();
    this.#connector.state = "disconnected";
    this.#hooks.untrack();
  }

  // A factory callback that throws is logged: the connector goes on.
  #tell(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      logError(new Failure(e));
    }
  }
}
