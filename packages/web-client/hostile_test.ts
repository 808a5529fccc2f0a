// Issue 10, the hostile suite (web part): a raw TCP server on 127.0.0.1
// writes crafted bytes, and each case asserts the typed error, that the
// server saw the connection close, and that no timer was left behind.
// Every loop here is bounded; nothing leaves the machine.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { createGzip } from "node:zlib";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  type Deferred,
  type Failure,
  TimeoutError,
} from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import {
  Agent,
  BodyTooLarge,
  getPage,
  getPageBytes,
  InfiniteRedirection,
  readBody,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "./mod.ts";
import { rawHTTP, type RawServer } from "./testdata/raw.ts";
import { errorOf } from "./testdata/failure.ts";

type Reply = string | Uint8Array | ((socket: Socket, head: string) => void);
// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

// Runs `call` against a raw server answering with `reply`; checks the
// error, that every connection closed, and that no timer was left.
async function hostile(
  reply: Reply,
  call: (url: string, server: RawServer) => Deferred<unknown>,
  type: ErrorClass,
): Promise<{ error: Error; server: RawServer }> {
  const timers = reactor.getDelayedCalls().length;
  const server = await rawHTTP((socket, head) => {
    if (typeof reply === "function") reply(socket, head);
    else socket.end(reply);
  });
  try {
    const error = await errorOf(call(server.url, server), type);
    await server.allClosed();
    assert.equal(reactor.getDelayedCalls().length, timers, "a timer was left");
    return { error, server };
  } finally {
    await server.close();
  }
}

const head = (extra: string): string => `HTTP/1.1 200 OK\r\n${extra}\r\n`;

// Replies every runtime's fetch refuses or Twixt refuses after it: no
// usable response, ResponseNeverReceived.
const NEVER: Record<string, Reply> = {
  "a status code that is not a number":
    "HTTP/1.1 abc OK\r\ncontent-length: 2\r\n\r\nok",
  "a four-digit status": "HTTP/1.1 2000 OK\r\ncontent-length: 2\r\n\r\nok",
  "a status below 100 (Bun's fetch takes it)":
    "HTTP/1.1 099 OK\r\ncontent-length: 2\r\n\r\nok",
  "an SSH banner": "SSH-2.0-OpenSSH_8.9\r\n",
  "a word and a close": "hello",
  "a body with no status line": "ok then\r\n\r\n",
  "HTTP/2 in an HTTP/1 head": "HTTP/2 200 OK\r\ncontent-length: 2\r\n\r\nok",
  "a header line without a colon": head("badheader\r\ncontent-length: 2\r\n") +
    "ok",
  "a space before a header's colon": head("content-length : 2\r\n") + "ok",
  "a Content-Length that is not a number": head("content-length: abc\r\n") +
    "ok",
  "two different Content-Lengths":
    head("content-length: 2\r\ncontent-length: 3\r\n") + "ok",
  "a negative Content-Length": head("content-length: -1\r\n") + "ok",
  "a NUL in a header value": head("x-a: a\0b\r\ncontent-length: 2\r\n") + "ok",
  "both Transfer-Encoding and Content-Length (Deno's and Bun's fetch take it)":
    head("transfer-encoding: chunked\r\ncontent-length: 100\r\n") +
    "2\r\nok\r\n0\r\n\r\n",
  "a 200 KB header (Deno's and Bun's fetch take it)":
    head(`x-a: ${"a".repeat(200_000)}\r\ncontent-length: 2\r\n`) + "ok",
  "a close before any byte": (socket) => socket.end(),
  "a reset before any byte": (socket) => reset(socket),
};

// A connection reset (RST), where the runtime can send one; else a close.
function reset(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
  else socket.destroy();
}

describe("hostile replies with no usable response", () => {
  for (const [name, reply] of Object.entries(NEVER)) {
    it(`fails with ResponseNeverReceived on ${name}`, async () => {
      await hostile(reply, (url) => getPage(url), ResponseNeverReceived);
    });
  }

  it("fails an Agent's request the same way", async () => {
    await hostile(
      NEVER["an SSH banner"]!,
      (url) => new Agent().request("GET", url),
      ResponseNeverReceived,
    );
  });

  it("fails with ResponseNeverReceived on an https: URL to a plain HTTP port", async () => {
    await hostile(
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
      (url) => getPage(url.replace("http:", "https:")),
      ResponseNeverReceived,
    );
  });
});

// A body that starts and then goes wrong: ResponseFailed.
const CUT: Record<string, Reply> = {
  "a chunk size that is not hex": head("transfer-encoding: chunked\r\n") +
    "zz\r\nok\r\n0\r\n\r\n",
  "a chunk size past 2^64": head("transfer-encoding: chunked\r\n") +
    "ffffffffffffffffff\r\nok",
  "a gzip body that is not gzip": head(
    "content-encoding: gzip\r\ncontent-length: 5\r\n",
  ) + "hello",
  "a body shorter than its Content-Length": head("content-length: 100\r\n") +
    "only ten b",
  "a chunked body that stops": head("transfer-encoding: chunked\r\n") +
    "5\r\nhello\r\n",
  "a reset mid-body": (socket) => {
    socket.write(head("content-length: 100000\r\n") + "x".repeat(1000));
    setTimeout(() => reset(socket), 20);
  },
};

describe("hostile bodies", () => {
  for (const [name, reply] of Object.entries(CUT)) {
    it(`fails with ResponseFailed on ${name}`, async () => {
      const { error } = await hostile(
        reply,
        (url) => getPageBytes(url),
        ResponseFailed,
      );
      assert.ok(!(error instanceof ResponseNeverReceived));
    });
  }

  it("fails readBody with ResponseFailed on a reset mid-body", async () => {
    await hostile(
      CUT["a reset mid-body"]!,
      (url) => new Agent().request("GET", url).addCallback(readBody),
      ResponseFailed,
    );
  });
});

// A server that sends the head, a little body, and then nothing.
const STALL_BODY: Reply = (socket) => {
  socket.write(head("content-length: 100\r\n") + "partial");
};
// A server that reads the request and says nothing.
const STALL_HEAD: Reply = () => {};
// A server that sends one byte every 20 ms, for at most 10 s.
const DRIP: Reply = (socket) => {
  socket.write(head("content-length: 1000\r\n"));
  let n = 0;
  const timer = setInterval(() => {
    if (n++ >= 500 || socket.destroyed) clearInterval(timer);
    else socket.write("x");
  }, 20);
  socket.on("close", () => clearInterval(timer));
};

describe("stalls", () => {
  it("times out a stall before the head", async () => {
    await hostile(
      STALL_HEAD,
      (url) => getPage(url, { timeout: 0.2 }),
      TimeoutError,
    );
  });

  it("times out a stall in the body", async () => {
    await hostile(
      STALL_BODY,
      (url) => getPage(url, { timeout: 0.2 }),
      TimeoutError,
    );
  });

  it("times out a body that drips a byte at a time: the timeout is for the whole exchange", async () => {
    await hostile(DRIP, (url) => getPage(url, { timeout: 0.3 }), TimeoutError);
  });

  it("times out an Agent's stalled body read with readBody", async () => {
    await hostile(
      STALL_BODY,
      (url) =>
        new Agent(undefined, { timeout: 0.2 }).request("GET", url).addCallback(
          readBody,
        ),
      TimeoutError,
    );
  });

  it("times out an Agent's dripping body read with deliverBody", async () => {
    await hostile(
      DRIP,
      (url) =>
        new Agent(undefined, { timeout: 0.3 }).request("GET", url).addCallback(
          (response) =>
            new Promise<never>((_resolve, reject) => {
              response.deliverBody({
                makeConnection() {},
                dataReceived() {},
                connectionLost(reason: Failure) {
                  reject(reason.value);
                },
              });
            }),
        ),
      TimeoutError,
    );
  });

  it("without a timeout, a stall before the head ends when cancelled", async () => {
    await hostile(
      STALL_HEAD,
      (url, server) => {
        const d = getPage(url);
        const wait = (): void => {
          if (server.heads.length > 0) d.cancel();
          else setTimeout(wait, 5);
        };
        wait();
        return d;
      },
      CancelledError,
    );
  });

  it("without a timeout, a stall in the body ends when readBody is cancelled", async () => {
    await hostile(
      STALL_BODY,
      (url) =>
        new Agent().request("GET", url).addCallback((response) => {
          const d = readBody(response);
          setTimeout(() => d.cancel(), 20);
          return d;
        }),
      CancelledError,
    );
  });
});

// A gzip stream of `megabytes` MB of zeros: about a thousandth of that on
// the wire.
async function gzipBomb(megabytes: number): Promise<Uint8Array> {
  const gz = createGzip({ level: 9 });
  const chunks: Uint8Array[] = [];
  gz.on("data", (c: Uint8Array) => chunks.push(c));
  const done = new Promise<void>((resolve) => gz.on("end", resolve));
  const zeros = new Uint8Array(1024 * 1024);
  for (let i = 0; i < megabytes; i++) {
    if (!gz.write(zeros)) await new Promise((r) => gz.once("drain", r));
  }
  gz.end();
  await done;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

// Sends `bomb` as one chunk of a chunked body that never ends: the
// response is not complete on the wire, so a client that stops reading
// must close the connection (a complete one it may keep for reuse).
function sendBomb(socket: Socket, bomb: Uint8Array): void {
  socket.write(
    head("content-encoding: gzip\r\ntransfer-encoding: chunked\r\n"),
  );
  socket.write(`${bomb.byteLength.toString(16)}\r\n`);
  socket.write(bomb);
  socket.write("\r\n");
}

describe("oversized bodies", () => {
  it("refuses a Content-Length over maxBytes before reading the body", async () => {
    const { error } = await hostile(
      (socket) => socket.write(head("content-length: 10000000\r\n") + "x"),
      (url) => getPage(url, { maxBytes: 1000 }),
      BodyTooLarge,
    );
    assert.match(error.message, /1000/);
  });

  it("stops a body without a length once it passes maxBytes", async () => {
    await hostile(
      (socket) => {
        socket.write(head("transfer-encoding: chunked\r\n"));
        const chunk = "10000\r\n" + "x".repeat(0x10000) + "\r\n";
        for (let i = 0; i < 32; i++) socket.write(chunk); // 2 MB, then stall
      },
      (url) => getPage(url, { maxBytes: 64 * 1024 }),
      BodyTooLarge,
    );
  });

  it("bounds a gzip bomb by its decoded size (64 MB of zeros against 1 MB)", async () => {
    const bomb = await gzipBomb(64);
    assert.ok(bomb.byteLength < 1024 * 1024);
    let delivered = 0;
    const max = 1024 * 1024;
    await hostile(
      (socket) => sendBomb(socket, bomb),
      (url) =>
        new Agent(undefined, { maxBytes: max }).request("GET", url).addCallback(
          (response) =>
            new Promise<never>((_resolve, reject) => {
              response.deliverBody({
                makeConnection() {},
                dataReceived(data) {
                  delivered += data.byteLength;
                },
                connectionLost(reason: Failure) {
                  reject(reason.value);
                },
              });
            }),
        ),
      BodyTooLarge,
    );
    assert.ok(delivered <= max, `${delivered} bytes delivered`);
  });

  it("bounds a gzip bomb in getPage too", async () => {
    const bomb = await gzipBomb(64);
    await hostile(
      (socket) => sendBomb(socket, bomb),
      (url) => getPageBytes(url, { maxBytes: 1024 * 1024 }),
      BodyTooLarge,
    );
  });
});

// Answers /loop with a redirect to itself, /to?u=... with one to u.
function redirector(socket: Socket, requestHead: string): void {
  const path = /^[A-Z]+ (\S+)/.exec(requestHead)?.[1] ?? "/";
  const u = new URL(path, "http://x");
  const to = u.pathname === "/loop" ? "/loop" : u.searchParams.get("u") ?? "/";
  socket.end(
    `HTTP/1.1 302 Found\r\nlocation: ${to}\r\ncontent-length: 0\r\n\r\n`,
  );
}

describe("hostile redirects", () => {
  it("fails a redirect loop with InfiniteRedirection after redirectLimit", async () => {
    const { server } = await hostile(
      redirector,
      (url) => getPage(url + "loop", { redirectLimit: 5 }),
      InfiniteRedirection,
    );
    assert.equal(server.heads.length, 6);
  });

  it("fails an Agent's redirect loop the same way", async () => {
    await hostile(
      redirector,
      (url) =>
        new Agent(undefined, { followRedirect: true, redirectLimit: 3 })
          .request("GET", url + "loop"),
      InfiniteRedirection,
    );
  });

  for (
    const to of [
      "file:///etc/passwd",
      "ftp://127.0.0.1/pub",
      "data:text/plain,owned",
      "javascript:alert(1)",
      "gopher://127.0.0.1/",
    ]
  ) {
    it(`refuses a redirect from http: to ${to.split(":")[0]}: with SchemeNotSupported`, async () => {
      const { server } = await hostile(
        redirector,
        (url) => getPage(`${url}to?u=${encodeURIComponent(to)}`),
        SchemeNotSupported,
      );
      assert.equal(server.heads.length, 1);
    });
  }
});

describe("header injection", () => {
  const cases: Record<string, (url: string) => Deferred<unknown>> = {
    "CR LF in the URL": (url) => getPage(`${url}a\r\nX-Evil: 1`),
    "LF in the URL's host": (url) =>
      getPage(url.replace("127.0.0.1", "127.0.0.1\n")),
    "a tab in the URL": (url) => getPage(`${url}a\tb`),
    "CR LF in a header value": (url) =>
      getPage(url, { headers: { "x-a": "1\r\nX-Evil: 1" } }),
    "a lone LF in a header value": (url) =>
      getPage(url, { headers: { "x-a": "1\nX-Evil: 1" } }),
    "CR LF in a header name": (url) =>
      getPage(url, { headers: { "x-a\r\nX-Evil": "1" } }),
    "CR LF in the user agent": (url) =>
      getPage(url, { agent: "twixt\r\nX-Evil: 1" }),
    "CR LF in the method": (url) =>
      getPage(url, { method: "GET\r\nX-Evil: 1" }),
    "CR LF in an Agent's header": (url) =>
      new Agent().request("GET", url, { "x-a": "1\r\nX-Evil: 1" }),
    "CR LF in an Agent's URL": (url) =>
      new Agent().request("GET", `${url}a\r\nX-Evil: 1`),
  };
  for (const [name, call] of Object.entries(cases)) {
    it(`fails with TypeError before sending anything: ${name}`, async () => {
      const server = await rawHTTP();
      try {
        await errorOf(call(server.url), TypeError);
        // The next request is the first the server sees.
        await getPage(server.url);
        assert.equal(server.connections, 1);
        assert.ok(!server.heads.some((h) => /x-evil/i.test(h)));
      } finally {
        await server.close();
      }
    });
  }
});

describe("a good reply after all that", () => {
  it("is read in full, so the checks above refuse only what they should", async () => {
    const { error } = await hostile(
      head("content-length: 2\r\n") + "ok",
      (url) =>
        new Agent().request("GET", url).addCallback((response) =>
          new Promise<never>((_resolve, reject) => {
            response.deliverBody({
              makeConnection() {},
              dataReceived() {},
              connectionLost(reason: Failure) {
                reject(reason.value);
              },
            });
          })
        ),
      ResponseDone,
    );
    assert.ok(error instanceof ResponseDone);
  });
});

// The child program in testdata, found in the source tree (on Node the
// tests run compiled elsewhere).
function childScript(): string {
  const rel = join("packages", "web-client", "testdata", "exit_child.mjs");
  for (
    const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]
  ) {
    for (let dir = start, i = 0; i < 12; dir = dirname(dir), i++) {
      if (existsSync(join(dir, rel))) return join(dir, rel);
    }
  }
  throw new Error(`${rel} is not found`);
}

describe("a program that met hostile servers", () => {
  it("exits on its own: no socket, timer or stream is left", {
    timeout: 30_000,
  }, async () => {
    const script = childScript();
    const args = "Deno" in globalThis ? ["run", "-A", script] : [script];
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: dirname(script),
    });
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
    // Bounded: a child still running after 20 s is killed and fails the test.
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 20_000);
    const code = await new Promise<number | null>((resolve) =>
      child.on("close", resolve)
    );
    clearTimeout(killer);
    assert.equal(killed, false, `the program did not exit\n${out}\n${err}`);
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), [
      "TimeoutError",
      "TimeoutError",
      "ResponseNeverReceived",
      "TimeoutError",
      "ok",
      "CancelledError",
      "TypeError",
    ]);
  });
});
