/**
 * `HTTPConnectionPool`: Twisted's pool of persistent HTTP connections,
 * shared by the Agents given it.
 *
 * @module
 */

import { Deferred, type IReactorTime, succeed } from "@twixt/defer";
import { clock, count, flag, seconds, show } from "./_options.ts";
import {
  fetchSend,
  type Outgoing,
  type Reply,
  type Send,
  transportName,
} from "./_transport.ts";
import { NodeHttp } from "./_node_http.ts";
import { builtin } from "./_node.ts";

/**
 * Sends a request through `pool`'s transport: how an exchange reaches the
 * network.
 */
export let sendThrough: (
  pool: HTTPConnectionPool,
  url: URL,
  out: Outgoing,
) => Promise<Reply>;

/** Checks a pool's attributes (they may have been changed): throws as the option checks do. */
export let checkPool: (pool: HTTPConnectionPool) => void;

/**
 * A pool of HTTP connections, as Twisted's
 * `twisted.web.client.HTTPConnectionPool`: with `persistent` (the
 * default) a connection is kept after its response for the next request
 * to the same host, port and scheme; `maxPersistentPerHost` (default 2)
 * connections are kept per host, each for `cachedConnectionTimeout`
 * seconds (default 240) of idleness; with `retryAutomatically` (default
 * true) an idempotent request without a body that meets a kept connection
 * the server had closed is sent again, once, on a new connection. Give
 * it to {@linkcode Agent}s with `new Agent(reactor, { pool })`; an Agent
 * without one uses a pool of its own that keeps nothing (as Twisted's),
 * and getPage, getPageBytes and downloadPage share a persistent pool.
 *
 * The attributes may be changed at any time, as in Twisted; they apply to
 * the next request. A kept connection never keeps the process alive, and
 * {@linkcode HTTPConnectionPool.closeCachedConnections} closes them all.
 *
 * On Node the pool holds `node:http` / `node:https` keep-alive agents and
 * every attribute applies as in Twisted. Where the transport is the
 * runtime's `fetch` (Deno, Bun, a browser), fetch keeps its own pool:
 * `persistent: false` still closes every connection after its response,
 * while the limits, the idle timeout and the retry are fetch's own.
 *
 * @example Usage
 * ```ts
 * import { Agent, HTTPConnectionPool, readBody } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("kept"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const pool = new HTTPConnectionPool();
 * pool.maxPersistentPerHost = 4;
 * const agent = new Agent(null, { pool });
 * for (let i = 0; i < 3; i++) {
 *   const response = await agent.request("GET", `http://127.0.0.1:${port}/`);
 *   assert.equal(new TextDecoder().decode(await readBody(response)), "kept");
 * }
 * await pool.closeCachedConnections();
 * server.close();
 * ```
 */
export class HTTPConnectionPool {
  /** Whether connections are kept for later requests. */
  persistent: boolean;
  /** How many idle connections are kept per host (and port and scheme). */
  maxPersistentPerHost = 2;
  /** Seconds an idle connection is kept before it is closed. */
  cachedConnectionTimeout = 240;
  /**
   * Whether an idempotent request (GET, HEAD, OPTIONS, DELETE, TRACE)
   * without a body is sent again, once, on a new connection when the kept
   * connection it went out on turns out to be closed.
   */
  retryAutomatically = true;
  #reactor: IReactorTime | undefined;
  #send: Send | undefined;
  #close: (() => Promise<void>) | undefined;

  /**
   * Makes a pool.
   *
   * @param reactor The reactor; default the global one.
   * @param persistent Whether to keep connections; default true.
   * @throws TypeError for a `reactor` that is not one, or a `persistent`
   * that is not a boolean.
   */
  constructor(reactor?: IReactorTime | null, persistent: boolean = true) {
    this.#reactor = clock("reactor", reactor);
    this.persistent = flag("persistent", persistent) ?? true;
  }

  /** The reactor the pool was made with (undefined: the global one). */
  get reactor(): IReactorTime | undefined {
    return this.#reactor;
  }

  /**
   * Closes every idle connection the pool keeps; connections busy with a
   * request are let finish (and are not kept). Fires when they are closed.
   *
   * @returns A Deferred that fires with `undefined` once the connections
   * are closed.
   * @example Usage
   * ```ts
   * import { HTTPConnectionPool } from "@twixt/web-client";
   *
   * await new HTTPConnectionPool().closeCachedConnections();
   * ```
   */
  closeCachedConnections(): Deferred<void> {
    const close = this.#close;
    if (close === undefined) return succeed(undefined);
    return promised(close());
  }

  // Chosen at the first request, so that a pool made where node:http is
  // not wanted never loads it.
  #transport(): Send {
    const http = builtin<typeof import("node:http")>("node:http");
    if (http === undefined || transportName(true) === "fetch") {
      return fetchSend;
    }
    const node = new NodeHttp(this, http);
    this.#close = () => node.close();
    return node.send;
  }

  static {
    sendThrough = (pool, url, out) => {
      const send = pool.#send ??= pool.#transport();
      return send(url, out);
    };
    checkPool = (pool) => {
      flag("persistent", pool.persistent);
      count("maxPersistentPerHost", pool.maxPersistentPerHost);
      seconds("cachedConnectionTimeout", pool.cachedConnectionTimeout);
      flag("retryAutomatically", pool.retryAutomatically);
    };
  }
}

/** A `pool` option: a pool, or absent. */
export function poolOption(p: unknown): HTTPConnectionPool | undefined {
  if (p === undefined || p === null) return undefined;
  if (!(p instanceof HTTPConnectionPool)) {
    throw new TypeError(
      `Cannot use option pool ${show(p)}: it must be an HTTPConnectionPool`,
    );
  }
  checkPool(p);
  return p;
}

let shared: HTTPConnectionPool | undefined;

/**
 * The pool getPage, getPageBytes and downloadPage share: persistent,
 * keeping up to 256 idle connections per host, made at first use.
 */
export function globalPool(): HTTPConnectionPool {
  if (shared === undefined) {
    shared = new HTTPConnectionPool();
    // Many requests at once from one program are getPage's common use: keep
    // as many idle connections as Node's default agent does (256), not
    // Twisted's 2, or each burst would open its connections again.
    shared.maxPersistentPerHost = 256;
  }
  return shared;
}

function promised(p: Promise<void>): Deferred<void> {
  const d = new Deferred<void>();
  const done = (): void => d.callback(undefined);
  p.then(done, done);
  return d;
}
