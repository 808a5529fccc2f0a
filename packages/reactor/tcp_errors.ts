/**
 * The errors of Twixt's TCP layer, as in `twisted.internet.error`.
 *
 * Connect failures share the base {@linkcode ConnectError}; the reasons
 * given to `connectionLost` are {@linkcode ConnectionDone} (clean close) and
 * {@linkcode ConnectionLost} (unclean close). A connect that runs out of time
 * fails with `TimeoutError` from `@twixt/defer`, the one timeout error of
 * all Twixt, and a cancelled connect with
 * {@linkcode ConnectingCancelledError}, which is a `CancelledError`.
 *
 * @module
 */

import { CancelledError } from "@twixt/defer";

/**
 * The reason a listen fails: the port is in use, the interface does not
 * exist on this machine, or the port number is invalid.
 *
 * @example Usage
 * ```ts
 * import { CannotListenError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new CannotListenError("127.0.0.1", 80, "permission denied");
 * assert.equal(e.port, 80);
 * assert.equal(e.message, "Cannot listen on 127.0.0.1:80: permission denied");
 * ```
 */
export class CannotListenError extends Error {
  /** The interface that was asked for. */
  readonly interface: string;
  /** The port that was asked for. */
  readonly port: number;
  /** Creates the error; `why` says what went wrong. */
  constructor(
    iface: string,
    port: number,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot listen on ${iface}:${port}: ${why}`, options);
    this.name = "CannotListenError";
    this.interface = iface;
    this.port = port;
  }
}

/**
 * The base of the errors a connect fails with.
 *
 * @example Usage
 * ```ts
 * import { ConnectError, ConnectionRefusedError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new ConnectionRefusedError("127.0.0.1", 1) instanceof ConnectError);
 * ```
 */
export class ConnectError extends Error {
  /** Creates the error. */
  constructor(
    message = "An error occurred while connecting",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * The reason a connect fails when nothing listens on the port (the other
 * side answered with a reset).
 *
 * @example Usage
 * ```ts
 * import { ConnectionRefusedError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new ConnectionRefusedError("127.0.0.1", 9);
 * assert.equal(e.message, "Connection to 127.0.0.1:9 was refused by the other side");
 * ```
 */
export class ConnectionRefusedError extends ConnectError {
  /** Creates the error for a connect to `host`:`port`. */
  constructor(host?: string, port?: number, options?: ErrorOptions) {
    super(
      host === undefined
        ? "Connection was refused by the other side"
        : `Connection to ${host}:${port} was refused by the other side`,
      options,
    );
    this.name = "ConnectionRefusedError";
  }
}

/**
 * The reason a connect fails when the host name cannot be resolved.
 *
 * @example Usage
 * ```ts
 * import { DNSLookupError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new DNSLookupError("nowhere.invalid").message, "Cannot resolve host nowhere.invalid");
 * ```
 */
export class DNSLookupError extends ConnectError {
  /** Creates the error for `host`. */
  constructor(host: string, options?: ErrorOptions) {
    super(`Cannot resolve host ${host}`, options);
    this.name = "DNSLookupError";
  }
}

/**
 * The reason a connect fails when it was cancelled (its Deferred cancelled,
 * or `connector.stopConnecting()` called). It is a `CancelledError`, so
 * code that traps cancellation in general catches it too.
 *
 * @example Usage
 * ```ts
 * import { CancelledError } from "@twixt/defer";
 * import { ConnectingCancelledError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new ConnectingCancelledError("127.0.0.1", 80) instanceof CancelledError);
 * ```
 */
export class ConnectingCancelledError extends CancelledError {
  /** Creates the error for a connect to `host`:`port`. */
  constructor(host: string, port: number, options?: ErrorOptions) {
    super(`Connecting to ${host}:${port} was cancelled`, options);
    this.name = "ConnectingCancelledError";
  }
}

/**
 * The reason an endpoint's connect fails when the factory's
 * `buildProtocol` returned `null`.
 *
 * @example Usage
 * ```ts
 * import { NoProtocol } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NoProtocol().message, "Factory built no protocol for the connection");
 * ```
 */
export class NoProtocol extends ConnectError {
  /** Creates the error. */
  constructor(message = "Factory built no protocol for the connection") {
    super(message);
    this.name = "NoProtocol";
  }
}

/**
 * The reason given to `connectionLost` when the connection was closed
 * cleanly: by `loseConnection()` on either side.
 *
 * @example Usage
 * ```ts
 * import { Failure } from "@twixt/defer";
 * import { ConnectionDone, Protocol } from "@twixt/reactor";
 *
 * class Quiet extends Protocol {
 *   override connectionLost(reason: Failure): void {
 *     if (!reason.check(ConnectionDone)) console.error(reason.getErrorMessage());
 *   }
 * }
 * new Quiet().connectionLost(new Failure(new ConnectionDone()));
 * ```
 */
export class ConnectionDone extends Error {
  /** Creates the error. */
  constructor(
    message = "Connection was closed cleanly",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionDone";
  }
}

/**
 * The reason given to `connectionLost` (and `clientConnectionLost`) when
 * the connection ended uncleanly: reset by the other side, a network error,
 * or the reactor shutting down.
 *
 * @example Usage
 * ```ts
 * import { ConnectionLost } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   new ConnectionLost().message,
 *   "Connection to the other side was lost in a non-clean fashion",
 * );
 * ```
 */
export class ConnectionLost extends Error {
  /** Creates the error. */
  constructor(
    message = "Connection to the other side was lost in a non-clean fashion",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}

/**
 * The reason given to `connectionLost` after `abortConnection()`: this side
 * closed the connection without flushing. A kind of
 * {@linkcode ConnectionLost}.
 *
 * @example Usage
 * ```ts
 * import { ConnectionAborted, ConnectionLost } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new ConnectionAborted() instanceof ConnectionLost);
 * ```
 */
export class ConnectionAborted extends ConnectionLost {
  /** Creates the error. */
  constructor(
    message = "Connection was aborted locally",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionAborted";
  }
}
