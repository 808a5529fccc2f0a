/**
 * The addresses of TCP endpoints, as in `twisted.internet.address`.
 *
 * @module
 */

/**
 * The address of one end of an IPv4 TCP connection or listening port, as
 * `transport.getPeer()`, `transport.getHost()` and `port.getHost()` return
 * it, and as `Factory.buildProtocol(addr)` receives it.
 *
 * @example Usage
 * ```ts
 * import { IPv4Address } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const a = new IPv4Address("TCP", "127.0.0.1", 8080);
 * assert.equal(a.port, 8080);
 * assert.equal(String(a), "IPv4Address(type='TCP', host='127.0.0.1', port=8080)");
 * ```
 */
export class IPv4Address {
  /** The transport: always `"TCP"` here. */
  readonly type: "TCP";
  /** The IP address, dotted quad. */
  readonly host: string;
  /** The port number. */
  readonly port: number;
  /** Creates the address. */
  constructor(type: "TCP", host: string, port: number) {
    this.type = type;
    this.host = host;
    this.port = port;
  }
  /** Twisted's repr: `IPv4Address(type='TCP', host='1.2.3.4', port=80)`. */
  toString(): string {
    return `IPv4Address(type='${this.type}', host='${this.host}', port=${this.port})`;
  }
}

/**
 * The address of one end of an IPv6 TCP connection (when a port listens on
 * an IPv6 interface such as `"::1"`).
 *
 * @example Usage
 * ```ts
 * import { IPv6Address } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new IPv6Address("TCP", "::1", 80).host, "::1");
 * ```
 */
export class IPv6Address {
  /** The transport: always `"TCP"` here. */
  readonly type: "TCP";
  /** The IPv6 address. */
  readonly host: string;
  /** The port number. */
  readonly port: number;
  /** Creates the address. */
  constructor(type: "TCP", host: string, port: number) {
    this.type = type;
    this.host = host;
    this.port = port;
  }
  /** Twisted's repr: `IPv6Address(type='TCP', host='::1', port=80)`. */
  toString(): string {
    return `IPv6Address(type='${this.type}', host='${this.host}', port=${this.port})`;
  }
}

/**
 * Either TCP address.
 *
 * @example Usage
 * ```ts
 * import { IPv4Address, type TCPAddress } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * function show(addr: TCPAddress): string {
 *   return `${addr.host}:${addr.port}`;
 * }
 * assert.equal(show(new IPv4Address("TCP", "127.0.0.1", 8000)), "127.0.0.1:8000");
 * ```
 */
export type TCPAddress = IPv4Address | IPv6Address;

/** @internal The address object for a `node:net` address/port pair. */
export function _makeAddress(
  host: string | undefined,
  port: number | undefined,
): TCPAddress {
  const h = host ?? "0.0.0.0";
  // Sockets on dual-stack ports report IPv4 peers as "::ffff:1.2.3.4".
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(h);
  if (mapped) return new IPv4Address("TCP", mapped[1]!, port ?? 0);
  return h.includes(":")
    ? new IPv6Address("TCP", h, port ?? 0)
    : new IPv4Address("TCP", h, port ?? 0);
}
