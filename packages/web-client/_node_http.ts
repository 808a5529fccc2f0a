/**
 * The node:http transport: `node:http` / `node:https` with keep-alive
 * agents (llhttp parses; nothing here reads HTTP by hand), one pair per
 * pool, set from the pool's attributes at each request. On Node it is 2-3
 * times as fast as Node's fetch (undici's fetch layer). The modules are
 * reached at the point of use, never imported, so that the package still
 * loads in a browser, where fetch is the only transport.
 *
 * What fetch does for its callers is done here the same way, so that
 * every behaviour of the suite is the same on both transports: the body
 * decoded (gzip, deflate, br), `Content-Length` and `Content-Type` set
 * for a body as fetch sets them, duplicate headers joined, no body for a
 * HEAD, 204, 205 or 304, and a connection whose body is let go closed.
 *
 * @module
 */

import type * as Http from "node:http";
import type * as Timers from "node:timers";
import type * as Zlib from "node:zlib";
import type { Duplex, Readable } from "node:stream";
import { builtin } from "./_node.ts";
import type { Outgoing, Reply, ReplyHeaders } from "./_transport.ts";

type HttpModule = typeof Http;
type ZlibModule = typeof Zlib;

/** What the transport reads of its pool at each request. */
export interface PoolSettings {
  maxPersistentPerHost: number;
  cachedConnectionTimeout: number;
  retryAutomatically: boolean;
}

// Methods sent again after a kept connection turned out closed (Twisted's list).
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);
// Statuses whose response has no body, whatever its headers say.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const encoder = new TextEncoder();
// Stateless when not streaming: one serves every body (making one costs
// more than decoding a small page).
const utf8 = new TextDecoder();
const USER_AGENT =
  (globalThis as { navigator?: { userAgent?: string } }).navigator
    ?.userAgent ?? "node";

// On a kept connection: when it last became idle, and how long its server
// said it keeps an idle connection (the response's `Keep-Alive: timeout=`,
// less a second, as Node's agent reads it).
const IDLE_SINCE = Symbol("idle since");
const SERVER_LIMIT = Symbol("server's idle limit");
type KeptSocket = Duplex & { [IDLE_SINCE]?: number; [SERVER_LIMIT]?: number };
type TimersModule = typeof Timers;

/** A `node:http` transport for one pool. */
export class NodeHttp {
  #settings: PoolSettings;
  #http: HttpModule;
  #agents: { "http:"?: Http.Agent; "https:"?: Http.Agent } = {};
  // One timer for every idle connection (the earliest to expire), not a
  // socket timeout per connection: an agent's `timeout` re-arms a timer at
  // every request, which cost 5 µs a request on Node.
  #sweepTimer: ReturnType<TimersModule["setTimeout"]> | undefined;
  #sweepAt = Infinity;

  /** Makes a transport; `http` is `node:http`. */
  constructor(settings: PoolSettings, http: HttpModule) {
    this.#settings = settings;
    this.#http = http;
  }

  /** Sends one request and resolves with its response head. */
  send = (url: URL, out: Outgoing): Promise<Reply> =>
    this.#send(url, out, false);

  #send(u: URL, out: Outgoing, retried: boolean): Promise<Reply> {
    const secure = u.protocol === "https:";
    const mod = secure ? builtin<HttpModule>("node:https") : this.#http;
    if (mod === undefined) {
      return Promise.reject(new Error("node:https is not available"));
    }
    const agent = this.#agent(u.protocol as "http:" | "https:", mod);
    const headers: Record<string, string> = {
      accept: "*/*",
      "accept-encoding": "gzip, deflate, br",
      "user-agent": USER_AGENT,
    };
    out.headers?.forEach((value, name) => {
      headers[name] = value;
    });
    let body: Uint8Array | undefined;
    if (out.body !== undefined) {
      if (typeof out.body === "string") {
        body = encoder.encode(out.body);
        headers["content-type"] ??= "text/plain;charset=UTF-8";
      } else body = out.body;
      headers["content-length"] = String(body.byteLength);
    } else if (out.method === "POST" || out.method === "PUT") {
      headers["content-length"] = "0"; // as fetch sends
    }
    if (!out.persistent) headers["connection"] = "close";
    const host = u.hostname;
    const options: Http.RequestOptions = {
      // An IPv6 literal comes bracketed from URL.
      host: host.startsWith("[") ? host.slice(1, -1) : host,
      port: u.port === "" ? (secure ? 443 : 80) : Number(u.port),
      path: u.pathname + u.search,
      method: out.method,
      headers,
      agent,
      joinDuplicateHeaders: true,
    };
    if (secure) (options as { servername?: string }).servername = options.host!;
    return new Promise<Reply>((resolve, reject) => {
      const ex = out.exchange;
      if (ex.reason !== undefined) {
        reject(ex.reason);
        return;
      }
      const req = mod.request(options);
      // Deno's node:http sends a request again by itself when its kept
      // connection closes before the response (its canRetryRequest), even
      // one aborted here (which then hangs on, holding the process) or one
      // with a body: the pool's retryAutomatically decides, as on Node.
      (req as { _retrying?: boolean })._retrying = true;
      let reply: NodeReply | undefined;
      // The exchange calls this on abort: no AbortSignal, whose listeners
      // cost Node more than a whole request of its own.
      const onAbort = (reason: Error): void => {
        reply?.fail(reason);
        req.destroy();
        reject(reason);
      };
      ex.onAbort = onAbort;
      const done = (): void => {
        if (ex.onAbort === onAbort) ex.onAbort = undefined;
      };
      req.on("error", (e: Error) => {
        if (reply !== undefined) {
          reply.fail(e);
          return;
        }
        done();
        if (
          !retried && req.reusedSocket && body === undefined &&
          this.#settings.retryAutomatically && IDEMPOTENT.has(out.method) &&
          ex.reason === undefined
        ) {
          // The kept connection was closed by the server: again, once, on
          // a new one (the host's other kept connections are likely gone
          // too, and are let go so that the retry does not meet them).
          const free = agent.freeSockets[agent.getName(options)] ?? [];
          for (const s of [...free]) s.destroy();
          this.#send(u, out, true).then(resolve, reject);
          return;
        }
        reject(e);
      });
      req.on("response", (res: Http.IncomingMessage) => {
        reply = new NodeReply(req, res, out.method, done);
        resolve(reply);
      });
      req.end(body);
    });
  }

  #agent(scheme: "http:" | "https:", mod: HttpModule): Http.Agent {
    const s = this.#settings;
    let agent = this.#agents[scheme];
    if (agent === undefined) {
      agent = new mod.Agent({ keepAlive: true, scheduling: "lifo" });
      // After the agent's own listener, which keeps the socket or not.
      agent.on("free", (socket: Duplex) => this.#idle(socket as KeptSocket));
      this.#agents[scheme] = agent;
    }
    // The pool's attributes may change between requests, as in Twisted.
    // Node's agent unrefs an idle socket, so a kept connection never holds
    // the process; #sweep closes it once idle for cachedConnectionTimeout.
    agent.maxFreeSockets = s.maxPersistentPerHost;
    return agent;
  }

  // How long `socket` may stay idle: the pool's cachedConnectionTimeout, or
  // less where its server said it closes idle connections sooner.
  #limit(socket: KeptSocket): number {
    const own = this.#settings.cachedConnectionTimeout * 1000;
    const server = socket[SERVER_LIMIT];
    return server !== undefined && server < own ? server : own;
  }

  #idle(socket: KeptSocket): void {
    const now = performance.now();
    socket[IDLE_SINCE] = now;
    const due = now + this.#limit(socket);
    if (due < this.#sweepAt) this.#arm(due, now);
  }

  #arm(due: number, now: number): void {
    const timers = builtin<TimersModule>("node:timers")!;
    if (this.#sweepTimer !== undefined) timers.clearTimeout(this.#sweepTimer);
    this.#sweepAt = due;
    this.#sweepTimer = timers.setTimeout(this.#sweep, due - now);
    this.#sweepTimer.unref?.();
  }

  // Closes the idle connections whose time is up, and waits for the next.
  #sweep = (): void => {
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const socket of this.#idleSockets()) {
      const since = socket[IDLE_SINCE];
      if (since === undefined) continue;
      const due = since + this.#limit(socket);
      // A timer may fire a fraction of a millisecond early.
      if (due <= now + 1) socket.destroy();
      else if (due < next) next = due;
    }
    if (next !== Infinity) this.#arm(next, now);
  };

  // Every idle connection of both agents, copied out of the agents' lists
  // (destroying one takes it out of its list).
  #idleSockets(): KeptSocket[] {
    const idle: KeptSocket[] = [];
    for (const agent of Object.values(this.#agents)) {
      for (const list of Object.values(agent.freeSockets)) {
        if (list !== undefined) idle.push(...(list as KeptSocket[]));
      }
    }
    return idle;
  }

  /** Closes every idle connection; resolves once they are closed. */
  close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const socket of this.#idleSockets()) {
      closing.push(new Promise<void>((r) => socket.once("close", () => r())));
      socket.destroy();
    }
    if (this.#sweepTimer !== undefined) {
      builtin<TimersModule>("node:timers")!.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
      this.#sweepAt = Infinity;
    }
    return Promise.all(closing).then(() => undefined);
  }
}

const decodeUtf8 = (b: Uint8Array): string => utf8.decode(b);
const bufferOf = (b: Uint8Array): ArrayBuffer => b.buffer as ArrayBuffer;

/** The headers of a node:http response, read as `Headers` reads. */
class NodeHeaders implements ReplyHeaders {
  #h: Http.IncomingHttpHeaders;
  constructor(h: Http.IncomingHttpHeaders) {
    this.#h = h;
  }
  get(name: string): string | null {
    const v = this.#h[name.toLowerCase()];
    if (v === undefined) return null;
    return typeof v === "string" ? v : v.join(", ");
  }
  has(name: string): boolean {
    return this.#h[name.toLowerCase()] !== undefined;
  }
  forEach(each: (value: string, name: string) => void): void {
    const h = this.#h;
    for (const name in h) {
      const v = h[name]!;
      each(typeof v === "string" ? v : v.join(", "), name);
    }
  }
}

/** A node:http response as an exchange reads it. */
class NodeReply implements Reply {
  readonly status: number;
  readonly statusText: string;
  readonly headers: NodeHeaders;
  readonly type = "basic";
  #req: Http.ClientRequest;
  #res: Http.IncomingMessage;
  #empty: boolean;
  #used = false;
  #stream: ReadableStream<Uint8Array> | undefined;
  #source: Readable | undefined;
  // Set while the body is read: told of a failure of the connection, the
  // decoder or the exchange.
  #onFail: ((e: unknown) => void) | undefined;
  #failure: unknown;
  #done: () => void;

  constructor(
    req: Http.ClientRequest,
    res: Http.IncomingMessage,
    method: string,
    done: () => void,
  ) {
    this.#req = req;
    this.#res = res;
    this.#done = done;
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.headers = new NodeHeaders(res.headers);
    const hint = res.headers["keep-alive"];
    if (typeof hint === "string") {
      const seconds = /^timeout=(\d+)/.exec(hint)?.[1];
      if (seconds !== undefined) {
        (res.socket as KeptSocket)[SERVER_LIMIT] = Number(seconds) * 1000 -
          1000;
      }
    }
    this.#empty = method === "HEAD" || NULL_BODY.has(this.status);
    const failed = (e: unknown): void => this.fail(e);
    res.on("error", failed);
    res.on("close", () => {
      if (!res.complete) failed(new Error("Response body was cut off"));
    });
    if (this.#empty) {
      res.resume(); // nothing to read: the connection goes back to the pool
      res.once("end", done);
    }
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#empty) return null;
    return this.#stream ??= this.#makeStream();
  }

  /** Fails the reading under way (or the next one) with `e`. */
  fail(e: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = e ?? new Error("Response body was cut off");
    this.#done();
    const on = this.#onFail;
    this.#onFail = undefined;
    on?.(this.#failure);
  }

  drop(): void {
    this.#used = true;
    this.#req.destroy();
    this.#res.destroy();
    this.#done();
  }

  allHeaders(): Headers {
    const out = new Headers();
    const raw = this.#res.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      try {
        out.append(raw[i]!, raw[i + 1]!);
      } catch {
        // A value Headers refuses (llhttp let it through): left out.
      }
    }
    return out;
  }

  text(): Promise<string> {
    return this.#collect(false).then(decodeUtf8);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#collect(true).then(bufferOf);
  }

  // The body as it is to be read: through a decoder for each coding of
  // Content-Encoding, as fetch does (none when one is unknown).
  #body(): Readable {
    if (this.#source !== undefined) return this.#source;
    this.#used = true;
    let source: Readable = this.#res;
    const coding = this.headers.get("content-encoding");
    if (coding !== null && !this.#empty) {
      const zlib = builtin<ZlibModule>("node:zlib")!;
      const decoders: Duplex[] = [];
      const codings = coding.toLowerCase().split(",").map((c) => c.trim());
      for (const c of codings.reverse()) {
        // As undici: lenient about a stream cut at a flush point.
        const sync = {
          flush: zlib.constants.Z_SYNC_FLUSH,
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        };
        if (c === "gzip" || c === "x-gzip") {
          decoders.push(zlib.createGunzip(sync));
        } else if (c === "deflate") decoders.push(zlib.createInflate(sync));
        else if (c === "br") decoders.push(zlib.createBrotliDecompress());
        else if (c !== "identity" && c !== "") {
          decoders.length = 0;
          break;
        }
      }
      for (const d of decoders) {
        d.on("error", (e) => this.fail(e));
        source = source.pipe(d);
      }
    }
    return this.#source = source;
  }

  // The body's bytes, joined once at the end; `own` when the caller keeps
  // them (else one chunk is given as it came, a view of Node's pool).
  #collect(own: boolean): Promise<Uint8Array> {
    if (this.#empty) {
      this.#used = true;
      return Promise.resolve(new Uint8Array(0));
    }
    const source = this.#body();
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      this.#onFail = (e) => {
        source.destroy();
        reject(e);
      };
      source.on("data", (c: Uint8Array) => {
        chunks.push(c);
        size += c.byteLength;
      });
      source.once("end", () => {
        this.#onFail = undefined;
        this.#done();
        if (!own && chunks.length === 1) {
          resolve(chunks[0]!);
          return;
        }
        // A copy: small node Buffers share one pooled ArrayBuffer.
        const out = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) {
          out.set(c, at);
          at += c.byteLength;
        }
        resolve(out);
      });
    });
  }

  // The body as a stream, for the paths that count or stream it. Nothing
  // is read before the first pull, and each chunk waits for the next pull
  // (the reader's pace: deliverBody's pause holds the socket).
  #makeStream(): ReadableStream<Uint8Array> {
    let started = false;
    let closed = false;
    return new ReadableStream<Uint8Array>({
      pull: (c) => {
        if (!started) {
          started = true;
          const source = this.#body();
          if (this.#failure !== undefined) {
            closed = true;
            c.error(this.#failure);
            return;
          }
          this.#onFail = (e) => {
            source.destroy();
            if (closed) return;
            closed = true;
            c.error(e);
          };
          source.on("data", (chunk: Uint8Array) => {
            if (closed) return;
            c.enqueue(
              new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
            );
            source.pause();
          });
          source.once("end", () => {
            this.#onFail = undefined;
            this.#done();
            if (closed) return;
            closed = true;
            c.close();
          });
        }
        this.#source!.resume();
      },
      cancel: () => {
        closed = true;
        this.drop();
      },
    }, { highWaterMark: 0 });
  }
}
