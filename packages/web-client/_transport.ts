/**
 * What an exchange asks of a transport: send one request (no redirects
 * followed) and give back its response as a {@linkcode Reply}. Two
 * transports stand behind the one Agent: the runtime's `fetch`, and
 * `node:http` with keep-alive agents (llhttp) where it is faster
 * (`_node_http.ts`).
 *
 * @module
 */

import type { Body } from "./options.ts";
import { builtin } from "./_node.ts";

/** The headers of a reply, as far as an exchange reads them. */
export interface ReplyHeaders {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(each: (value: string, name: string) => void): void;
}

/**
 * A response as an exchange reads it: a fetch `Response` is one as it is;
 * the node:http transport makes its own, with the body read straight from
 * the socket (a `ReadableStream` is made only when the body is streamed).
 */
export interface Reply {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ReplyHeaders;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  readonly type?: string;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Lets go of the body unread, closing its connection (node:http). */
  drop?(): void;
  /** The headers as a `Headers`, for an Agent's Response (node:http). */
  allHeaders?(): Headers;
}

/**
 * The exchange a request belongs to, as a transport sees it: how it learns
 * that the exchange was aborted. node:http aborts its request through
 * `onAbort`; only fetch needs an `AbortSignal`, made at its first use
 * (an AbortController and its listener cost Node more than the rest of an
 * exchange).
 */
export interface Abortable {
  /** Why the exchange was aborted; undefined while it goes on. */
  readonly reason: Error | undefined;
  /** Fires when the exchange is aborted (made at the first read). */
  readonly signal: AbortSignal;
  /**
   * Called once, with the reason, when the exchange is aborted: set by the
   * transport for its request under way, cleared when it is done with it.
   */
  onAbort: ((reason: Error) => void) | undefined;
}

/** One request as a transport sends it. */
export interface Outgoing {
  method: string;
  headers: Headers | undefined;
  body: Body | undefined;
  /** The exchange the request belongs to. */
  exchange: Abortable;
  /** Whether the connection may be kept for another request. */
  persistent: boolean;
}

/**
 * A transport: sends `out` to `url` (without credentials; parsed once, by
 * the exchange, and not changed after).
 */
export type Send = (url: URL, out: Outgoing) => Promise<Reply>;

/** The names of the transports, for {@linkcode transportName}. */
export type TransportName = "fetch" | "node";

/**
 * The runtime's fetch, with redirects left to the exchange. A connection
 * that must not be kept is asked to close (`Connection: close`, which
 * Deno's, Bun's and Node's fetch all honour; a browser drops the header
 * and keeps its own pool).
 */
export const fetchSend: Send = (url, out) => {
  const init: RequestInit = {
    redirect: "manual",
    signal: out.exchange.signal,
  };
  // Each member given costs Deno's RequestInit conversion: GET is the default.
  if (out.method !== "GET") init.method = out.method;
  let headers = out.headers;
  // Bun's fetch labels a string body with nothing: label it as the fetch
  // standard (and the node:http transport) do.
  const label = typeof out.body === "string" &&
    !headers?.has("content-type");
  if (!out.persistent || label) {
    // A copy: the caller's headers serve every step of the exchange.
    headers = new Headers(headers);
    if (!out.persistent) headers.set("connection", "close");
    if (label) headers.set("content-type", "text/plain;charset=UTF-8");
  }
  if (headers !== undefined) init.headers = headers;
  if (out.body !== undefined) init.body = out.body as BodyInit;
  try {
    return fetch(url.href, init);
  } catch (e) {
    return Promise.reject(e);
  }
};

/**
 * The transport a new pool uses: `TWIXT_HTTP_TRANSPORT` (`fetch` or
 * `node`) when set, which is how the test suite runs once per transport;
 * else the fastest this runtime has (see the README's Performance
 * section). A browser, or a runtime without `node:http`, always has fetch.
 */
export function transportName(hasNode: boolean): TransportName {
  const env = (globalThis as {
    process?: { env?: Record<string, string | undefined> };
  }).process?.env;
  const asked = env?.["TWIXT_HTTP_TRANSPORT"];
  if (asked === "fetch" || !hasNode) return "fetch";
  if (asked === "node") return "node";
  return defaultTransport();
}

function defaultTransport(): TransportName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  // Deno's and Bun's node:http clients are slower than their fetch;
  // Node's fetch (undici's fetch layer) is slower than its node:http.
  if (g.Deno !== undefined || g.Bun !== undefined) return "fetch";
  return "node";
}

/**
 * The transport a pool made now would use on this runtime: for tests that
 * check what only one transport does.
 */
export function activeTransport(): TransportName {
  return transportName(builtin("node:http") !== undefined);
}
