/**
 * The one HTTP exchange behind every entry point of `@twixt/web-client`:
 * fetch with redirects followed here (so the method rules, the limit,
 * `PageRedirect` and the scheme check are exact), one AbortController for
 * the whole exchange (cancel and timeout abort it), and a body reader that
 * streams so `maxBytes` can stop early and `downloadPage` can write as the
 * bytes arrive.
 *
 * @module
 */

import {
  CancelledError,
  Deferred,
  fail,
  type IDelayedCall,
  type IReactorTime,
  TimeoutError,
} from "@twixt/defer";
import { ConnectionRefusedError, reactor } from "@twixt/reactor";
import {
  BodyTooLarge,
  HTTPError,
  InfiniteRedirection,
  PageRedirect,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "./errors.ts";
import type { Body, ClientOptions } from "./options.ts";
import { decode } from "./_charset.ts";
import type { Abortable, Reply } from "./_transport.ts";
import {
  globalPool,
  type HTTPConnectionPool,
  poolOption,
  sendThrough,
} from "./pool.ts";
import { redact, type Target, target } from "./_credentials.ts";
import { againstPage } from "./_node.ts";
import {
  clock,
  count,
  flag,
  headerList,
  headerText,
  seconds,
  show,
} from "./_options.ts";

/** A checked request, ready to send. */
export interface Spec {
  /** The URL fetched: without credentials (parsed once, never changed). */
  url: URL;
  /** The URL as messages show it: its password, if any, as `***`. */
  shown: string;
  method: string;
  headers: Headers | undefined;
  body: Body | undefined;
  followRedirect: boolean;
  redirectLimit: number;
  maxBytes: number | undefined;
  /** Seconds for the whole exchange; 0 for no limit. */
  timeout: number;
  /** The clock of `timeout`; undefined for the reactor. */
  clock: IReactorTime | undefined;
  /** The pool the connections come from. */
  pool: HTTPConnectionPool;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);
// Headers that describe the body, dropped when a redirect turns the request into a GET.
const BODY_HEADERS = [
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
  "content-length",
];
// Credentials not sent on to another origin (Twisted's RedirectAgent list).
const SENSITIVE_HEADERS = [
  "authorization",
  "cookie",
  "cookie2",
  "proxy-authorization",
  "www-authenticate",
];
// A control character in a URL: the URL parser would drop CR, LF and tab
// silently, so a caller's "http://h/a\r\nX-Evil: 1" is refused instead.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
const noop = (): void => {};

/**
 * Checks a request and every option, and fills in defaults, before any
 * I/O. Throws TypeError (a value of the wrong type), RangeError (out of
 * range) or {@linkcode SchemeNotSupported}, naming the option and its
 * value; callers turn that into a failed Deferred.
 */
export function makeSpec(
  url: unknown,
  method: unknown,
  headers: unknown,
  body: unknown,
  opts: ClientOptions & { reactor?: unknown; pool?: unknown },
  followByDefault: boolean,
  agentClock?: IReactorTime,
): Spec {
  // null from JavaScript (Twisted's None) means none, as undefined does.
  body ??= undefined;
  const to = checkURL(url);
  const given = method ?? "GET";
  if (typeof given !== "string" || !TOKEN.test(given)) {
    throw new TypeError(
      `Cannot send a request with method ${show(method)}`,
    );
  }
  let m: string = given;
  if (NORMALIZED.has(m.toUpperCase())) m = m.toUpperCase();
  if (FORBIDDEN.has(m.toUpperCase())) {
    throw new TypeError(`Cannot send a ${m} request with fetch`);
  }
  let h = headerList(headers);
  const agent = headerText("agent", opts.agent);
  if (agent !== undefined) (h ??= new Headers()).set("user-agent", agent);
  if (to.authorization !== undefined && !h?.has("authorization")) {
    (h ??= new Headers()).set("authorization", to.authorization);
  }
  if (body !== undefined) {
    if (typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot send a body of ${show(body)}: not a string or a Uint8Array`,
      );
    }
    if (m === "GET" || m === "HEAD") {
      throw new TypeError(`Cannot send a body with a ${m} request`);
    }
  }
  return {
    url: to.url,
    shown: to.shown,
    method: m,
    headers: h,
    body: body as Body | undefined,
    followRedirect: flag("followRedirect", opts.followRedirect) ??
      followByDefault,
    redirectLimit: count("redirectLimit", opts.redirectLimit) ?? 20,
    maxBytes: count("maxBytes", opts.maxBytes),
    timeout: seconds("timeout", opts.timeout),
    clock: clock("reactor", opts.reactor) ?? agentClock,
    pool: poolOption(opts.pool) ?? globalPool(),
  };
}

/**
 * Checks the options an `Agent` keeps for all its requests (throws as
 * {@linkcode makeSpec}).
 */
export function checkAgentOptions(opts: ClientOptions): void {
  seconds("timeout", opts.timeout);
  flag("followRedirect", opts.followRedirect);
  count("redirectLimit", opts.redirectLimit);
  count("maxBytes", opts.maxBytes);
  headerText("agent", opts.agent);
}

/** Whether `text` is a relative URL: one that parses against a base. */
function isRelative(text: string): boolean {
  try {
    new URL(text, "http://base.invalid/");
    return true;
  } catch {
    return false;
  }
}

function checkURL(url: unknown): Target {
  if (typeof url !== "string") {
    if (url instanceof URL) url = url.href; // a URL object is a URL too
    else throw new TypeError(`Cannot parse URL ${show(url)}: not a string`);
  }
  // As fetch: relative to the page's address where there is one.
  const text = againstPage(url as string);
  if (CONTROL.test(text)) {
    throw new TypeError(
      `Cannot parse URL ${
        redact(JSON.stringify(text))
      }: it contains a control character (CR, LF, tab...)`,
    );
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // A URL with no scheme: Twisted's Agent refuses it so (text that is
    // empty or holds a space is no URL at all, there as here).
    if (text !== "" && !/\s/.test(text) && isRelative(text)) {
      throw new SchemeNotSupported(redact(JSON.stringify(text)));
    }
    // No cause: the parser's message shows the URL with its password.
    throw new TypeError(`Cannot parse URL ${redact(JSON.stringify(text))}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new SchemeNotSupported(target(u).shown);
  }
  return target(u);
}

/**
 * Runs `work` on a new exchange for `spec` and returns a Deferred of its
 * result. Cancelling the Deferred (or its timeout running out) aborts the
 * exchange: the connection is closed and the body reader cancelled.
 */
export function startExchange<T>(
  spec: Spec,
  work: (ex: Exchange) => Promise<T>,
  last = true,
): Deferred<T> {
  const ex = new Exchange(spec);
  return deferredOf(ex, work(ex), last);
}

/**
 * A Deferred of `work`, a step of `ex`: cancelling it aborts the exchange,
 * and the exchange is aborted when the work fails, so nothing is left open.
 * When `last`, the exchange ends with the work (its timer is cancelled);
 * an exchange that timed out or was aborted fails the step with that reason.
 */
export function deferredOf<T>(
  ex: Exchange,
  work: Promise<T>,
  last: boolean,
): Deferred<T> {
  const d = new Deferred<T>(() => ex.abort());
  ex.live = d as Deferred<unknown>;
  work.then(
    (v) => {
      if (last) ex.finish();
      if (!d.called) d.callback(v);
    },
    (e) => {
      const reason = ex.reason ?? e;
      ex.abort();
      if (!d.called) d.errback(reason);
    },
  );
  return d;
}

/**
 * Calls `makeSpec` and `startExchange`, turning bad input into a failed
 * Deferred: no entry point ever throws, and nothing is sent on bad input.
 */
export function request<T>(
  input: () => Spec,
  work: (ex: Exchange) => Promise<T>,
  last = true,
): Deferred<T> {
  let spec: Spec;
  try {
    spec = input();
  } catch (e) {
    return fail(e);
  }
  return startExchange(spec, work, last);
}

/**
 * One request and its redirects, sharing one abort (an AbortController
 * only where fetch asks for its signal), and the timer of `timeout`, which
 * runs from the request to the end of the body (or to the last step the
 * caller takes: see {@linkcode deferredOf}).
 */
export class Exchange implements Abortable {
  /** The request as checked. */
  readonly spec: Spec;
  /** The URL of the response being handled, as shown (password as `***`). */
  url: string;
  /** The Deferred of the step under way, failed at once by the timeout. */
  live: Deferred<unknown> | undefined;
  /**
   * The redirects followed, oldest first, with the URL each answered for
   * (as shown): the Agent's `Response.previousResponse` chain.
   */
  hops: { res: Reply; url: string }[] | undefined;
  /** Told of an abort by the transport's request under way (see {@linkcode Abortable}). */
  onAbort: ((reason: Error) => void) | undefined;
  #url: URL;
  #controller: AbortController | undefined;
  #reason: Error | undefined;
  #timer: IDelayedCall | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #response: Reply | undefined;

  /** Makes an exchange and starts its timeout; nothing is sent until {@linkcode Exchange.respond}. */
  constructor(spec: Spec) {
    this.spec = spec;
    this.url = spec.shown;
    this.#url = spec.url;
    if (spec.timeout > 0) {
      this.#timer = (spec.clock ?? reactor).callLater(
        spec.timeout,
        this.#timedOut,
      );
    }
  }

  /** Whether {@linkcode Exchange.abort} has been called. */
  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** Fires when the exchange is aborted (made at the first read). */
  get signal(): AbortSignal {
    let c = this.#controller;
    if (c === undefined) {
      c = this.#controller = new AbortController();
      if (this.#reason !== undefined) c.abort(this.#reason);
    }
    return c.signal;
  }

  /** Why the exchange was aborted (`CancelledError`, `TimeoutError`), if it was. */
  get reason(): Error | undefined {
    return this.#reason;
  }

  /**
   * Stops the exchange: aborts the request, cancels any body reader, and
   * stops the timer.
   */
  abort(reason: Error = new CancelledError("Request was cancelled")): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.finish();
    const onAbort = this.onAbort;
    this.onAbort = undefined;
    onAbort?.(reason);
    this.#controller?.abort(reason);
    this.#reader?.cancel().catch(noop);
    // A body nobody began to read: Deno's fetch does not always close its
    // connection on the abort alone, and a stalled server would then hold
    // it (and the process) open.
    const res = this.#response;
    if (res !== undefined && this.#reader === undefined) discard(res);
  }

  /** Ends the exchange's timer: the caller has all it asked for. */
  finish(): void {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer !== undefined && timer.active()) timer.cancel();
  }

  // The deadline: whatever step is under way fails now, whether or not the
  // runtime's fetch or stream notices the abort.
  #timedOut = (): void => {
    this.#timer = undefined;
    const t = this.spec.timeout;
    const e = new TimeoutError(
      `Request to ${this.spec.shown} timed out after ${t} seconds`,
      t,
    );
    const d = this.live;
    this.abort(e);
    if (d !== undefined && !d.called) d.errback(e);
  };

  /**
   * Sends the request and follows redirects as the fetch standard does: a
   * 303 (unless the request was a HEAD), and a 301 or 302 after a POST,
   * become a GET without a body; 307 and 308 keep method and body.
   * Credentials are not sent on to another origin. Resolves with the first
   * response that is not followed.
   */
  respond(): Promise<Reply> {
    const { method, headers, body } = this.spec;
    return this.#follow({ method, headers, body, redirects: 0, page: false });
  }

  /**
   * {@linkcode Exchange.respond}, then fails as Twisted's getPage does on
   * a status it does not want: `HTTPError` for 400 and above,
   * `PageRedirect` for a 3xx that was not followed.
   */
  page(): Promise<Reply> {
    const { method, headers, body } = this.spec;
    return this.#follow({ method, headers, body, redirects: 0, page: true });
  }

  // One step from fetch's answer to the response wanted (or the next
  // redirect): this is the hot path of every request.
  #follow(step: Step): Promise<Reply> {
    return this.#send(step).then((res) => {
      this.#response = res;
      const status = res.status;
      const bad = malformed(res);
      if (bad !== undefined) {
        discard(res);
        throw new ResponseNeverReceived(this.url, new TypeError(bad));
      }
      if (this.spec.followRedirect && REDIRECTS.has(status)) {
        const location = res.headers.get("location");
        if (location !== null) return this.#redirect(res, location, step);
      }
      return step.page && status >= 300 ? this.#unwanted(res) : res;
    }, this.#sendFailed);
  }

  async #redirect(
    res: Reply,
    location: string,
    step: Step,
  ): Promise<Reply> {
    const status = res.status;
    const limit = this.spec.redirectLimit;
    const next = this.#resolve(location, res);
    if (step.redirects >= limit) {
      throw new InfiniteRedirection(
        status,
        target(next).shown,
        limit,
        res.statusText,
        await this.errorBody(res),
        this.url,
      );
    }
    discard(res);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new SchemeNotSupported(target(next).shown, "follow a redirect to");
    }
    const to = target(next);
    let { method, headers, body } = step;
    const toGet = (status === 303 && method !== "GET" && method !== "HEAD") ||
      ((status === 301 || status === 302) && method === "POST");
    const crossOrigin = this.#url.origin !== next.origin;
    if (headers !== undefined && (toGet || crossOrigin)) {
      headers = new Headers(headers);
      const drop = [
        ...(toGet ? BODY_HEADERS : []),
        ...(crossOrigin ? SENSITIVE_HEADERS : []),
      ];
      for (const name of drop) headers.delete(name);
    }
    if (toGet) {
      method = "GET";
      body = undefined;
    }
    // Credentials in the Location itself are for its target, as in a
    // caller's URL.
    if (to.authorization !== undefined) {
      headers = new Headers(headers);
      headers.set("authorization", to.authorization);
    }
    (this.hops ??= []).push({ res, url: this.url });
    this.url = to.shown;
    this.#url = to.url;
    return this.#follow({
      method,
      headers,
      body,
      redirects: step.redirects + 1,
      page: step.page,
    });
  }

  async #unwanted(res: Reply): Promise<never> {
    const status = res.status;
    if (status >= 400) {
      throw new HTTPError(
        status,
        res.statusText,
        await this.errorBody(res),
        this.url,
      );
    }
    const location = res.headers.get("location");
    throw new PageRedirect(
      status,
      location === null ? "" : target(this.#resolve(location, res)).shown,
      res.statusText,
      await this.errorBody(res),
      this.url,
    );
  }

  /**
   * Reads the body chunk by chunk into `sink`, awaiting it (so a slow sink
   * slows the reading). Fails with `BodyTooLarge` past `maxBytes` (before
   * reading when `Content-Length` already says so) and with
   * `ResponseFailed` if the body is cut off.
   */
  async stream(
    res: Reply,
    sink: (chunk: Uint8Array) => unknown,
  ): Promise<void> {
    const max = this.spec.maxBytes;
    if (max !== undefined) {
      const length = bodyLength(res);
      if (length !== undefined && length > max) {
        discard(res);
        throw new BodyTooLarge(this.url, max, length);
      }
    }
    await this.#read(res, (chunk, total) => {
      if (max !== undefined && total > max) {
        throw new BodyTooLarge(this.url, max);
      }
      return sink(chunk);
    });
  }

  /** The whole body, with the limits and errors of {@linkcode Exchange.stream}. */
  bytes(res: Reply): Promise<Uint8Array> {
    if (this.#readsWhole(res)) {
      return res.arrayBuffer().then((b) => new Uint8Array(b), this.#bodyFailed);
    }
    const chunks: Uint8Array[] = [];
    return this.stream(res, (c) => chunks.push(c)).then(() => concat(chunks));
  }

  /** The whole body as text, decoded by `decoder` (see {@linkcode Exchange.bytes}). */
  text(res: Reply, decoder: TextDecoder): Promise<string> {
    if (decoder.encoding === "utf-8" && this.#readsWhole(res)) {
      return res.text().then(undefined, this.#bodyFailed);
    }
    return this.bytes(res).then((b) => decode(decoder, b));
  }

  // With no limit, or a length known to be within it, the runtime reads
  // the body in one go (arrayBuffer, text), faster than a chunk loop in
  // JavaScript; abort still stops it. Otherwise chunks are counted.
  #readsWhole(res: Reply): boolean {
    const max = this.spec.maxBytes;
    if (max === undefined) return true;
    const length = bodyLength(res);
    return length !== undefined && length <= max;
  }

  #bodyFailed = (e: unknown): never => {
    if (this.#reason !== undefined) throw this.#reason;
    throw new ResponseFailed(this.url, e);
  };

  /**
   * The body of a response that is itself the error, read up to `maxBytes`
   * and cut there without failing: the status is the news.
   */
  async errorBody(res: Reply): Promise<Uint8Array> {
    const max = this.spec.maxBytes ?? Infinity;
    const chunks: Uint8Array[] = [];
    await this.#read(res, (chunk, total) => {
      if (total < max) {
        chunks.push(chunk);
        return undefined;
      }
      chunks.push(chunk.subarray(0, chunk.byteLength - (total - max)));
      return STOP;
    });
    return concat(chunks);
  }

  #send({ method, headers, body }: Step): Promise<Reply> {
    const pool = this.spec.pool;
    return sendThrough(pool, this.#url, {
      method,
      headers,
      body,
      exchange: this,
      persistent: pool.persistent,
    });
  }

  // fetch failed: no response at all.
  #sendFailed = (e: unknown): never => {
    if (this.#reason !== undefined) throw this.#reason;
    if (isRefused(e)) {
      const u = this.#url;
      const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
      throw new ConnectionRefusedError(u.hostname, port, { cause: e });
    }
    throw new ResponseNeverReceived(this.url, e);
  };

  // Calls `each` with every chunk and the running total; `each` returning
  // STOP ends the reading early (the rest is cancelled), and throwing fails
  // it. A reader that did not reach the end is always cancelled.
  async #read(
    res: Reply,
    each: (chunk: Uint8Array, total: number) => unknown,
  ): Promise<void> {
    const body = res.body;
    if (body === null) return;
    const reader = body.getReader();
    this.#reader = reader;
    let total = 0;
    let finished = false;
    try {
      for (;;) {
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (e) {
          return this.#bodyFailed(e);
        }
        // A cancelled reader ends as if the body were complete: it is not.
        if (this.#reason !== undefined) throw this.#reason;
        if (step.done) {
          finished = true;
          return;
        }
        total += step.value.byteLength;
        const r = each(step.value, total);
        if (r === STOP) return;
        if (isPromiseLike(r)) await r;
      }
    } finally {
      this.#reader = undefined;
      if (!finished) reader.cancel().catch(noop);
    }
  }

  #resolve(location: string, res: Reply): URL {
    try {
      return new URL(location, this.#url);
    } catch {
      discard(res);
      // No cause: the parser's message shows the Location as it came.
      throw new ResponseFailed(
        this.url,
        new TypeError(
          `Location ${redact(JSON.stringify(location))} is not a URL`,
        ),
        `follow the redirect (${res.status})`,
      );
    }
  }
}

const STOP: unique symbol = Symbol("stop");

/** One request of an exchange: the first, or one made to follow a redirect. */
interface Step {
  method: string;
  headers: Headers | undefined;
  body: Body | undefined;
  /** Redirects followed before this request. */
  redirects: number;
  /** Whether to fail on an unwanted status, as getPage does. */
  page: boolean;
}

// Node's fetch (undici) refuses a head larger than this; Deno's and Bun's
// take more. Refused on every runtime, so a server cannot make one client
// hold more than another.
const MAX_HEAD = 16 * 1024;

/**
 * Why a response the runtime's fetch accepted is refused all the same, so
 * that every runtime refuses what one of them does: a status outside
 * 200–599 (Bun's fetch takes "099"), both `Transfer-Encoding` and
 * `Content-Length` (Node's refuses it: a sign of response smuggling), or a
 * head larger than 16 KiB (Node's limit). Undefined for a good response.
 */
export function malformed(res: Reply): string | undefined {
  // A browser's manual redirect: status 0 by design, not a bad status.
  if (res.type === "opaqueredirect") return undefined;
  const status = res.status;
  if (status < 200 || status > 599) {
    return `Response status ${status} is not a valid HTTP status`;
  }
  // One pass over the headers for both checks (the first walk of a fetch
  // Response's Headers is what costs; forEach, not for-of: Deno's Headers
  // iterator costs 6 times as much). Names come lowercased.
  let size = res.statusText.length + 15;
  let framing = 0;
  res.headers.forEach((value, name) => {
    size += name.length + value.length + 4;
    if (name === "transfer-encoding") framing |= 1;
    else if (name === "content-length") framing |= 2;
  });
  if (framing === 3) {
    return "Response has both Transfer-Encoding and Content-Length";
  }
  if (size > MAX_HEAD) {
    return `Response head is larger than ${MAX_HEAD} bytes`;
  }
  return undefined;
}

/** The decoded body length the response announces, if it can be known. */
export function bodyLength(res: Reply): number | undefined {
  const encoding = res.headers.get("content-encoding");
  if (encoding !== null && encoding.toLowerCase() !== "identity") {
    return undefined;
  }
  const value = res.headers.get("content-length");
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Lets go of a body not wanted, so its connection is released. */
export function discard(res: Reply): void {
  if (res.drop !== undefined) res.drop();
  else if (res.body !== null && !res.bodyUsed) res.body.cancel().catch(noop);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | null)?.then === "function";
}

// A refused connection, as each runtime reports it: Node (undici) puts
// ECONNREFUSED on the cause (an AggregateError when several addresses were
// tried), Bun puts it on the error itself, Deno says so in the message.
function isRefused(e: unknown, depth = 0): boolean {
  if (typeof e !== "object" || e === null || depth > 4) return false;
  const x = e as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (x.code === "ECONNREFUSED" || x.code === "ConnectionRefused") return true;
  if (typeof x.message === "string" && /connection refused/i.test(x.message)) {
    return true;
  }
  if (
    Array.isArray(x.errors) && x.errors.some((y) => isRefused(y, depth + 1))
  ) return true;
  return isRefused(x.cause, depth + 1);
}
