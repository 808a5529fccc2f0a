/**
 * The option bags of `@twixt/web-client`.
 *
 * @module
 */

import type { IReactorTime } from "@twixt/defer";
import type { HTTPConnectionPool } from "./pool.ts";

/** A request body: text (sent as UTF-8) or bytes. */
export type Body = string | Uint8Array;

/**
 * The options `getPage`, `downloadPage` and `Agent` share.
 *
 * @example Usage
 * ```ts
 * import type { ClientOptions } from "@twixt/web-client";
 *
 * const careful: ClientOptions = { timeout: 30, redirectLimit: 5, maxBytes: 1 << 20 };
 * ```
 */
export interface ClientOptions {
  /**
   * Seconds the whole exchange may take (for an Agent, to the end of the
   * body it reads); 0 or absent means no limit (as in Twisted). Must be a
   * finite number of 0 or more: anything else fails before any I/O.
   */
  timeout?: number | undefined;
  /** Whether to follow redirects. */
  followRedirect?: boolean | undefined;
  /** How many redirects to follow before failing with `InfiniteRedirection`; default 20. */
  redirectLimit?: number | undefined;
  /** The `User-Agent` header to send (else the runtime's own). */
  agent?: string | undefined;
  /** The most body bytes to read; more fails with `BodyTooLarge`. */
  maxBytes?: number | undefined;
  /**
   * The {@linkcode HTTPConnectionPool} the connections come from. Default:
   * for getPage, getPageBytes and downloadPage a persistent pool they
   * share; for an Agent a pool of its own that keeps nothing (as Twisted).
   */
  pool?: HTTPConnectionPool | undefined;
}

/**
 * The options of `getPage`, `getPageBytes` and `downloadPage`.
 *
 * @example Usage
 * ```ts
 * import type { PageOptions } from "@twixt/web-client";
 *
 * const post: PageOptions = {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ poem: "Ozymandias" }),
 *   timeout: 10,
 * };
 * ```
 */
export interface PageOptions extends ClientOptions {
  /** The request method; default `"GET"`. */
  method?: string | undefined;
  /** Request headers. */
  headers?: Record<string, string> | Headers | undefined;
  /** The request body (not with GET or HEAD). */
  body?: Body | undefined;
  /**
   * Seconds the whole request may take, from connecting to the last byte of
   * the body; past it the Deferred fails with `TimeoutError` and the request
   * is aborted. 0 or absent means no limit.
   */
  timeout?: number | undefined;
  /** Whether to follow redirects; default true. */
  followRedirect?: boolean | undefined;
  /** The clock for `timeout` (a `Clock` in tests); default the reactor. */
  reactor?: IReactorTime | undefined;
}

/**
 * The options of an `Agent`, applied to each of its requests. Unlike
 * `getPage`, an Agent does not follow redirects unless told to (Twisted's
 * plain `Agent` never does; `followRedirect: true` makes it a
 * `RedirectAgent` with the fetch standard's rules), and it does not fail on
 * any status: the caller reads `code`.
 *
 * @example Usage
 * ```ts
 * import type { AgentOptions } from "@twixt/web-client";
 *
 * const opts: AgentOptions = { followRedirect: true, timeout: 5, agent: "poetry-client/1.0" };
 * ```
 */
export interface AgentOptions extends ClientOptions {
  /**
   * Seconds from `request()` to the end of the body read by `readBody` or
   * `deliverBody` (one deadline for the exchange: a stalled or dripping
   * body cannot escape it); the step under way fails with `TimeoutError`.
   * 0 or absent means no limit.
   */
  timeout?: number | undefined;
  /** Whether to follow redirects; default false. */
  followRedirect?: boolean | undefined;
  /** The most bytes `readBody` reads; more fails with `BodyTooLarge`. */
  maxBytes?: number | undefined;
}
