/**
 * A real HTTP server for the web-client tests: node:http on 127.0.0.1,
 * port 0, with the routes the tests need. node:http runs on Deno, Bun and
 * Node alike.
 *
 * @module
 */

import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { Buffer } from "node:buffer";
import { createServer as createNetServer, type Socket } from "node:net";
import { gzipSync } from "node:zlib";

/** What the server saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** A running test server. */
export interface TestServer {
  /** The base URL, `http://127.0.0.1:<port>`. */
  base: string;
  /** `base` + `path`. */
  url(path: string): string;
  /** Every request received, in order. */
  seen: Seen[];
  /** Resolves when a request for `path` (with its query, as sent) has arrived. */
  arrived(path: string): Promise<void>;
  /**
   * Resolves when the exchange for a request for `path` (with its query) has
   * ended: the response finished, or the client closed the connection.
   */
  closed(path: string): Promise<void>;
  /** Stops the server and drops every connection. */
  close(): Promise<void>;
}

/** A deterministic byte pattern of `size` bytes. */
export function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

/** Every byte value, 0 to 255, twice. */
export const BINARY: Uint8Array = Uint8Array.from(
  { length: 512 },
  (_, i) => i & 0xff,
);
/** Text with characters outside ASCII, sent as UTF-8. */
export const UNICODE_TEXT = "Grüße, 世界 — «naïve» café 🌍";
/** Text in windows-1252 (its € is byte 0x80) and its bytes. */
export const CP1252_TEXT = "Café € 50 — «ça»";
export const CP1252_BYTES: Uint8Array = Uint8Array.from(
  [..."Caf"].map((c) => c.charCodeAt(0)).concat(
    [
      0xe9,
      0x20,
      0x80,
      0x20,
      0x35,
      0x30,
      0x20,
      0x97,
      0x20,
      0xab,
      0xe7,
      0x61,
      0xbb,
    ],
  ),
);
/** Text in ISO-8859-1 and its bytes. */
export const LATIN1_TEXT = "Grüße aus Köln";
export const LATIN1_BYTES: Uint8Array = Uint8Array.from(
  LATIN1_TEXT,
  (c) => c.charCodeAt(0),
);
/** The text /gzip sends gzip-encoded. */
export const GZIP_TEXT = "hello, hello, hello, hello";
/** The size of the /big body. */
export const BIG_SIZE = 5 * 1024 * 1024;

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Uint8Array,
) => void;

const routes: Record<string, Handler> = {
  "/text": (_q, res) => res.end("hello"),
  "/utf8": (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(
      UNICODE_TEXT,
    );
  },
  "/no-charset": (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end(UNICODE_TEXT);
  },
  "/latin1": (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=ISO-8859-1" })
      .end(LATIN1_BYTES);
  },
  "/cp1252": (_q, res) => {
    res.writeHead(200, { "content-type": 'text/html; charset="windows-1252"' })
      .end(CP1252_BYTES);
  },
  "/unknown-charset": (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=x-no-such" }).end(
      UNICODE_TEXT,
    );
  },
  "/binary": (_q, res) => {
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(BINARY.length),
    }).end(BINARY);
  },
  "/big": (_q, res) => {
    res.writeHead(200, { "content-length": String(BIG_SIZE) });
    const data = pattern(BIG_SIZE);
    let at = 0;
    const more = (): void => {
      while (at < data.length) {
        const end = Math.min(at + 65536, data.length);
        const ok = res.write(data.subarray(at, end));
        at = end;
        if (!ok) return void res.once("drain", more);
      }
      res.end();
    };
    more();
  },
  "/chunked-big": (_q, res) => {
    // No Content-Length: the size is only known by reading.
    const data = pattern(200_000);
    res.write(data.subarray(0, 100_000));
    res.end(data.subarray(100_000));
  },
  "/echo": (req, res, body) => {
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: new TextDecoder().decode(body),
        bytes: [...body],
      }),
    );
  },
  "/empty": (_q, res) => res.writeHead(204).end(),
  "/not-modified": (_q, res) => res.writeHead(304).end(),
  "/multiple-choices": (_q, res) => {
    res.writeHead(300, { location: "/text" }).end("choose");
  },
  "/no-location": (_q, res) => res.writeHead(302).end("nowhere"),
  "/bad-location": (_q, res) => {
    res.writeHead(302, { location: "http://[::1" }).end();
  },
  "/loop": (_q, res) => res.writeHead(302, { location: "/loop" }).end("again"),
  "/to-file": (_q, res) => {
    res.writeHead(302, { location: "file:///etc/passwd" }).end();
  },
  "/to-data": (_q, res) => {
    res.writeHead(301, { location: "data:text/plain,owned" }).end();
  },
  "/to-javascript": (_q, res) => {
    res.writeHead(307, { location: "javascript:alert(1)" }).end();
  },
  "/hang": () => {},
  "/slow-body": (_q, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("partial");
  },
  "/truncated": (_q, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("only ten b");
    setTimeout(() => res.destroy(), 20);
  },
  "/truncated-chunked": (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("some of it");
    setTimeout(() => res.destroy(), 20);
  },
  "/reset": (req) => req.socket.destroy(),
  "/gzip": (_q, res) => {
    const gz = gzipSync(new TextEncoder().encode(GZIP_TEXT));
    res.writeHead(200, {
      "content-encoding": "gzip",
      "content-length": String(gz.length),
    })
      .end(gz);
  },
};

function route(
  req: IncomingMessage,
  res: ServerResponse,
  body: Uint8Array,
): void {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  // /status/404?body=... answers with that status.
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) {
    const phrase = url.searchParams.get("phrase");
    const text = url.searchParams.get("body") ?? `status ${status[1]}`;
    if (phrase !== null) res.writeHead(Number(status[1]), phrase);
    else res.writeHead(Number(status[1]));
    res.end(text);
    return;
  }
  // /redirect/307?to=/echo redirects with that status.
  const redirect = /^\/redirect\/(\d{3})$/.exec(path);
  if (redirect) {
    res.writeHead(Number(redirect[1]), {
      location: url.searchParams.get("to") ?? "/echo",
    });
    res.end(`redirecting with ${redirect[1]}`);
    return;
  }
  // /chain/3 redirects three times, then answers.
  const chain = /^\/chain\/(\d+)$/.exec(path);
  if (chain) {
    const n = Number(chain[1]);
    if (n === 0) res.end("end of chain");
    else res.writeHead(302, { location: `/chain/${n - 1}` }).end();
    return;
  }
  const handler = routes[path];
  if (handler) handler(req, res, body);
  else res.writeHead(404).end("no such route");
}

/** Promises of events, by path: resolved when the event happens (or at once if it has). */
class Events {
  #done = new Set<string>();
  #waiting = new Map<string, Array<() => void>>();
  fire(path: string): void {
    this.#done.add(path);
    for (const fn of this.#waiting.get(path) ?? []) fn();
    this.#waiting.delete(path);
  }
  // Fails after 20 s instead of hanging the test run when the event never
  // comes (say, a cancel that does not close the connection).
  wait(path: string, what: string): Promise<void> {
    if (this.#done.has(path)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`${what} never happened for ${path}`)),
        20_000,
      );
      const list = this.#waiting.get(path) ?? [];
      list.push(() => {
        clearTimeout(guard);
        resolve();
      });
      this.#waiting.set(path, list);
    });
  }
}

/**
 * Starts a test server. `keepAliveSeconds` is how long it keeps an idle
 * connection open (node:http's default is 5).
 */
export async function serve(keepAliveSeconds?: number): Promise<TestServer> {
  const seen: Seen[] = [];
  const arrived = new Events();
  const closed = new Events();
  const server = createServer((req, res) => {
    const key = req.url ?? "/";
    res.on("close", () => closed.fire(key));
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: new Uint8Array(body),
      });
      arrived.fire(key);
      route(req, res, new Uint8Array(body));
    });
  });
  if (keepAliveSeconds !== undefined) {
    server.keepAliveTimeout = keepAliveSeconds * 1000;
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    url: (path) => base + path,
    seen,
    arrived: (path) => arrived.wait(path, "The request's arrival"),
    closed: (path) => closed.wait(path, "The end of the exchange"),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A raw TCP server that answers every connection with `reply` and then
 * does `after` with the socket (for responses node:http will not send).
 */
export async function rawServer(
  reply: string,
  after: (socket: Socket) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const s = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", () => {
      socket.write(reply);
      after(socket);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  };
}
