/**
 * `Agent`, its `Response`, and `readBody`: Twisted's modern HTTP client,
 * where the response head and the body arrive as separate steps.
 *
 * @module
 */

import {
  type Deferred,
  fail,
  Failure,
  type IReactorTime,
  logError,
} from "@twixt/defer";
import type { IPushProducer } from "@twixt/reactor";
import {
  bodyLength,
  checkAgentOptions,
  deferredOf,
  type Exchange,
  makeSpec,
  request,
} from "./_request.ts";
import { clock, optionsBag, show } from "./_options.ts";
import type { AgentOptions, Body } from "./options.ts";
import { statusPhrase } from "./_status.ts";
import { HTTPConnectionPool, poolOption } from "./pool.ts";
import type { Reply } from "./_transport.ts";
import { ResponseDone } from "./errors.ts";

/**
 * An HTTP client, as Twisted's `twisted.web.client.Agent`:
 * `request(method, uri, headers, body)` fires with a {@linkcode Response}
 * as soon as the status and headers arrive; {@linkcode readBody} then reads
 * the body.
 *
 * @example Usage
 * ```ts
 * import { Agent, readBody } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => {
 *   res.writeHead(201, { "x-kind": "demo" }).end("made");
 * });
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const agent = new Agent();
 * const response = await agent.request("POST", `http://127.0.0.1:${port}/`, {}, "x=1");
 * assert.equal(response.code, 201);
 * assert.equal(response.headers.get("x-kind"), "demo");
 * const body = await readBody(response);
 * assert.equal(new TextDecoder().decode(body), "made");
 * server.close();
 * ```
 */
export class Agent {
  #reactor: IReactorTime | undefined;
  #opts: AgentOptions;

  /**
   * Makes an agent.
   *
   * @param reactor The clock for `timeout`; default the reactor.
   * @param opts Options for every request, and the `pool` its
   * connections come from (default: a pool of its own that keeps no
   * connection, as Twisted's).
   * @throws TypeError or RangeError for a bad option, naming it and its
   * value (as Twisted's `Agent` raises at construction).
   */
  constructor(reactor?: IReactorTime | null, opts: AgentOptions = {}) {
    this.#reactor = clock("reactor", reactor);
    const o = optionsBag<AgentOptions>(opts, "Agent");
    checkAgentOptions(o);
    // As Twisted: without a pool, one of its own that keeps nothing.
    const pool = poolOption(o.pool) ??
      new HTTPConnectionPool(this.#reactor, false);
    this.#opts = { ...o, pool };
  }

  /**
   * Sends a request and fires with the response once its head has arrived.
   *
   * @param method The method, e.g. `"GET"`.
   * @param uri An `http:` or `https:` URL; a relative one is resolved
   * against the page's address where the runtime has one (a browser, or
   * Deno with `--location`), as `fetch` does, and refused elsewhere.
   * @param headers Request headers.
   * @param body The request body (not with GET or HEAD).
   * @returns A Deferred of the {@linkcode Response}. Cancelling it aborts
   * the request.
   * @throws Never; the Deferred fails with `TimeoutError`,
   * `CancelledError`, `InfiniteRedirection` (when following redirects),
   * `ConnectionRefusedError`, `ResponseNeverReceived`,
   * `SchemeNotSupported`, or `TypeError` / `RangeError` for bad input.
   *
   * @example Usage
   * ```ts
   * import { Agent, SchemeNotSupported } from "@twixt/web-client";
   * import assert from "node:assert/strict";
   *
   * const d = new Agent().request("GET", "file:///etc/passwd");
   * await assert.rejects(d.asPromise(), SchemeNotSupported);
   * ```
   */
  request(
    method: string,
    uri: string,
    headers?: Record<string, string> | Headers,
    body?: Body,
  ): Deferred<Response> {
    const opts = this.#opts;
    return request(
      () => makeSpec(uri, method, headers, body, opts, false, this.#reactor),
      async (ex) => new Response(ex, await ex.respond()),
      false,
    );
  }
}

let takeBody: (r: Response) => [Exchange, Reply] | undefined;
let wasLetGo: (r: Response) => boolean;

/**
 * The head of an HTTP response from {@linkcode Agent.request}, as Twisted's
 * `IResponse`: `code`, `phrase`, `headers`, `length`. Read the body with
 * {@linkcode readBody}; a body never read holds its connection open until
 * the server gives up, so read it, or cancel the `readBody` Deferred to
 * close the connection.
 *
 * @example Usage
 * ```ts
 * import { Agent, readBody, type Response } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("four"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const response: Response = await new Agent().request("GET", `http://127.0.0.1:${port}/`);
 * assert.equal(response.phrase, "OK");
 * assert.equal(response.length, 4);
 * await readBody(response);
 * server.close();
 * ```
 */
export class Response {
  /** The status code, e.g. 200. */
  readonly code: number;
  /** The reason phrase, e.g. `"OK"` (the standard one if the server sent none). */
  readonly phrase: string;
  /** The response headers. */
  readonly headers: Headers;
  /**
   * The body's length in bytes from `Content-Length` (0 when there is no
   * body: a HEAD, 204 or 304, as in Twisted), or `undefined` when unknown
   * (Twisted's `UNKNOWN_LENGTH`) or when the body is compressed and will be
   * decoded to another length.
   */
  readonly length: number | undefined;
  /** The URL that answered (after any redirects followed). */
  readonly url: string;
  /**
   * The redirect this response was reached by, as Twisted's
   * `previousResponse`: its `code`, `headers` (its `location`) and `url`,
   * and its own `previousResponse`; `undefined` for the first response
   * (and always without `followRedirect`). Its body was let go when the
   * redirect was followed: `readBody` of it fails.
   */
  readonly previousResponse: Response | undefined;
  #source: [Exchange, Reply] | undefined;
  #letGo: boolean;

  static {
    takeBody = (r) => {
      const source = r.#source;
      r.#source = undefined;
      return source;
    };
    wasLetGo = (r) => r.#letGo;
  }

  /** @internal Made by {@linkcode Agent.request}. */
  constructor(
    ex: Exchange,
    res: Reply,
    // Which of the exchange's redirects this is; the last response by default.
    hop: number = ex.hops?.length ?? 0,
  ) {
    const prior = hop > 0 ? ex.hops![hop - 1] : undefined;
    this.previousResponse = prior && new Response(ex, prior.res, hop - 1);
    this.#letGo = hop < (ex.hops?.length ?? 0);
    this.code = res.status;
    this.phrase = res.statusText || statusPhrase(res.status);
    this.headers = res.allHeaders?.() ?? res.headers as Headers;
    if (this.#letGo) {
      // Its body was let go: not looked at again.
      this.length = bodyLength(res);
      this.url = ex.hops![hop]!.url;
      return;
    }
    // As Twisted: no body (HEAD, 204, 304) is a length of 0, whatever
    // Content-Length announces.
    this.length = res.body === null ? 0 : bodyLength(res);
    this.url = ex.url;
    this.#source = [ex, res];
    // No body to read: the exchange is over, and its timer with it.
    if (res.body === null) ex.finish();
  }

  /**
   * Streams the body to `protocol`, as Twisted's `IResponse.deliverBody`:
   * `makeConnection` with a producer (`pauseProducing` holds the reading,
   * `resumeProducing` goes on, `stopProducing` closes the connection), then
   * `dataReceived` for each chunk as it arrives, then `connectionLost` once:
   * with {@linkcode ResponseDone} when the whole body came, else with what
   * went wrong (`ResponseFailed`, `BodyTooLarge`, `TimeoutError` when the
   * agent's `timeout` runs out, even while paused, `CancelledError` after
   * `stopProducing`, or what `dataReceived` threw). A body can be read
   * once, by this or by {@linkcode readBody}.
   *
   * @param protocol Receives the body; a `Protocol` from `@twixt/reactor`
   * fits.
   * @throws TypeError when `protocol` lacks `makeConnection`,
   * `dataReceived` or `connectionLost` (the body stays unread).
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import { Agent, ResponseDone } from "@twixt/web-client";
   * import { createServer } from "node:http";
   * import assert from "node:assert/strict";
   *
   * const server = createServer((_req, res) => res.end("streamed"));
   * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
   * const { port } = server.address() as { port: number };
   *
   * const response = await new Agent().request("GET", `http://127.0.0.1:${port}/`);
   * const text = await new Promise<string>((resolve, reject) => {
   *   let body = "";
   *   response.deliverBody({
   *     makeConnection() {},
   *     dataReceived(data) { body += new TextDecoder().decode(data); },
   *     connectionLost(reason: Failure) {
   *       if (reason.check(ResponseDone)) resolve(body);
   *       else reject(reason.value);
   *     },
   *   });
   * });
   * assert.equal(text, "streamed");
   * server.close();
   * ```
   */
  deliverBody(protocol: IBodyProtocol): void {
    for (const name of ["makeConnection", "dataReceived", "connectionLost"]) {
      if (
        typeof (protocol as unknown as Record<string, unknown>)?.[name] !==
          "function"
      ) {
        throw new TypeError(
          `Cannot deliver a body to ${
            show(protocol)
          }: it has no ${name} method`,
        );
      }
    }
    const source = takeBody(this);
    if (source === undefined) {
      lose(
        protocol,
        new Error(
          wasLetGo(this)
            ? `Cannot deliver the body of the response from ${this.url}: it was let go to follow its redirect`
            : `Cannot deliver the body of the response from ${this.url} twice`,
        ),
      );
      return;
    }
    const [ex, res] = source;
    if (ex.reason !== undefined) {
      lose(protocol, ex.reason); // timed out before the reading began
      return;
    }
    // While paused, the sink returns this promise, which holds the reading.
    let held: { promise: Promise<void>; release: () => void } | undefined;
    let stopped = false;
    const release = (): void => {
      const h = held;
      held = undefined;
      h?.release();
    };
    const producer: IPushProducer = {
      pauseProducing(): void {
        if (held !== undefined) return;
        let resolve = (): void => {};
        const promise = new Promise<void>((r) => (resolve = r));
        held = { promise, release: resolve };
      },
      resumeProducing: release,
      stopProducing(): void {
        stopped = true;
        ex.abort();
        release();
      },
    };
    try {
      protocol.makeConnection(producer);
    } catch (e) {
      ex.abort();
      lose(protocol, e);
      return;
    }
    const url = this.url;
    // A timeout while paused must not wait for a resume that may never come.
    ex.signal.addEventListener("abort", release, { once: true });
    // Nothing is delivered while paused or once stopped; a pause made in
    // dataReceived holds the next read.
    const deliver = (chunk: Uint8Array): Promise<void> | undefined => {
      if (!stopped && !ex.aborted) protocol.dataReceived(chunk);
      return held?.promise;
    };
    ex.stream(
      res,
      (chunk) =>
        held === undefined
          ? deliver(chunk)
          : held.promise.then(() => deliver(chunk)),
    ).then(
      () => {
        ex.finish();
        lose(protocol, new ResponseDone(url));
      },
      (e) => {
        const reason = ex.reason ?? e;
        ex.abort();
        lose(protocol, reason);
      },
    );
  }
}

/**
 * What {@linkcode Response.deliverBody} delivers a body to, as Twisted's
 * body protocols: a `Protocol` from `@twixt/reactor` fits.
 *
 * @example Usage
 * ```ts
 * import type { IBodyProtocol } from "@twixt/web-client";
 *
 * const sizes: number[] = [];
 * const counter: IBodyProtocol = {
 *   makeConnection() {},
 *   dataReceived(data) { sizes.push(data.byteLength); },
 *   connectionLost() {},
 * };
 * ```
 */
export interface IBodyProtocol {
  /** Receives the producer that paces the body. */
  makeConnection(producer: IPushProducer): void;
  /** Receives each chunk of the body as it arrives. */
  dataReceived(data: Uint8Array): void;
  /** Called once at the end: `ResponseDone`, or what went wrong. */
  connectionLost(reason: Failure): void;
}

// Ends a body protocol; an error it throws there has nowhere to go but the
// log.
function lose(protocol: IBodyProtocol, reason: unknown): void {
  try {
    protocol.connectionLost(
      reason instanceof Failure ? reason : new Failure(reason),
    );
  } catch (e) {
    logError(new Failure(e));
  }
}

/**
 * Reads the whole body of a {@linkcode Response}, as Twisted's `readBody`.
 *
 * @param response A response from {@linkcode Agent.request}.
 * @returns A Deferred of the body bytes. Cancelling it closes the
 * connection at once.
 * @throws Never; the Deferred fails with `ResponseFailed` when the body is
 * cut off, `BodyTooLarge` past the agent's `maxBytes`, `TimeoutError` when
 * the agent's `timeout` (counted from the request) runs out,
 * `CancelledError`, `TypeError` for something that is not a `Response`,
 * and `Error` when the body was already read.
 *
 * @example Usage
 * ```ts
 * import { Agent, readBody } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("body"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const text = await new Agent()
 *   .request("GET", `http://127.0.0.1:${port}/`)
 *   .addCallback(readBody)
 *   .addCallback((bytes) => new TextDecoder().decode(bytes));
 * assert.equal(text, "body");
 * server.close();
 * ```
 */
export function readBody(response: Response): Deferred<Uint8Array> {
  if (!(response instanceof Response)) {
    return fail(
      new TypeError(
        "Cannot read the body of something that is not an Agent's Response",
      ),
    );
  }
  const source = takeBody(response);
  if (source === undefined) {
    return fail(
      new Error(
        wasLetGo(response)
          ? `Cannot read the body of the response from ${response.url}: it was let go to follow its redirect`
          : `Cannot read the body of the response from ${response.url} twice`,
      ),
    );
  }
  const [ex, res] = source;
  if (ex.reason !== undefined) return fail(ex.reason); // timed out already
  return deferredOf(ex, ex.bytes(res), true);
}
