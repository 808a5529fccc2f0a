// HTTPConnectionPool: Twisted's attributes and defaults, persistent and
// not, closing the kept connections, the retry on a kept connection the
// server closed, and bad attributes refused before any I/O.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { Clock } from "@twixt/reactor/task";
import {
  Agent,
  getPage,
  HTTPConnectionPool,
  readBody,
  ResponseNeverReceived,
} from "./mod.ts";
import { errorOf } from "./testdata/failure.ts";
import { activeTransport } from "./_transport.ts";

interface Seen {
  port: number;
  connection: string | undefined;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
const closed: number[] = [];
before(async () => {
  server = createServer((req, res) => {
    seen.push({
      port: req.socket.remotePort!,
      connection: req.headers.connection,
    });
    res.end("pooled");
  });
  server.on("connection", (s: Socket) => {
    const port = s.remotePort!;
    s.on("close", () => closed.push(port));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
after(async () => {
  await new Promise((r) => {
    server.close(r);
    server.closeAllConnections();
  });
});

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function get(agent: Agent): Promise<string> {
  return text(await readBody(await agent.request("GET", base)));
}

describe("HTTPConnectionPool", () => {
  it("has Twisted's defaults", () => {
    const pool = new HTTPConnectionPool();
    assert.equal(pool.persistent, true);
    assert.equal(pool.maxPersistentPerHost, 2);
    assert.equal(pool.cachedConnectionTimeout, 240);
    assert.equal(pool.retryAutomatically, true);
    assert.equal(new HTTPConnectionPool(null, false).persistent, false);
    const clock = new Clock();
    assert.equal(new HTTPConnectionPool(clock).reactor, clock);
  });

  it("with persistent false, closes each connection after its response", async () => {
    seen.length = 0;
    const agent = new Agent(null, {
      pool: new HTTPConnectionPool(null, false),
    });
    for (let i = 0; i < 3; i++) assert.equal(await get(agent), "pooled");
    assert.equal(seen.length, 3);
    assert.deepEqual(seen.map((s) => s.connection), [
      "close",
      "close",
      "close",
    ]);
    assert.equal(new Set(seen.map((s) => s.port)).size, 3);
  });

  it("gives an Agent without a pool one that keeps nothing, as Twisted", async () => {
    seen.length = 0;
    const agent = new Agent();
    assert.equal(await get(agent), "pooled");
    assert.equal(seen[0]!.connection, "close");
  });

  it("keeps connections for the next request when persistent", async () => {
    seen.length = 0;
    const pool = new HTTPConnectionPool();
    const agent = new Agent(null, { pool });
    for (let i = 0; i < 4; i++) assert.equal(await get(agent), "pooled");
    assert.notEqual(seen[0]!.connection, "close");
    // fetch keeps its own pool, and Node's (undici) may open a second
    // connection; node:http reuses the one.
    if (activeTransport() === "node") {
      assert.equal(new Set(seen.map((s) => s.port)).size, 1);
    }
    await pool.closeCachedConnections();
  });

  it("closes a connection idle for cachedConnectionTimeout, and only then", {
    // fetch keeps its own pool, with its own idle timeout.
    skip: activeTransport() !== "node",
  }, async () => {
    seen.length = 0;
    closed.length = 0;
    const pool = new HTTPConnectionPool();
    pool.cachedConnectionTimeout = 0.3;
    const agent = new Agent(null, { pool });
    assert.equal(await get(agent), "pooled");
    // Used again within the timeout: the same connection, still open.
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await get(agent), "pooled");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await get(agent), "pooled");
    const port = seen[0]!.port;
    assert.deepEqual(seen.map((x) => x.port), [port, port, port]);
    assert.ok(!closed.includes(port), "not closed while in use");
    const idle = performance.now();
    // Then left idle: closed about 0.3 s after its last use (bounded wait).
    for (let i = 0; i < 300 && !closed.includes(port); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(closed.includes(port), "closed once idle");
    assert.ok(
      performance.now() - idle >= 200,
      "not closed long before cachedConnectionTimeout",
    );
    await pool.closeCachedConnections();
  });

  it(
    "closes an idle connection sooner when its server says it keeps it less long",
    {
      skip: activeTransport() !== "node",
    },
    async () => {
      // Keep-Alive: timeout=2: the server closes it after 2 s, so the client
      // lets it go after 1 s (as Node's agent reads the hint).
      const ports: number[] = [];
      const gone: number[] = [];
      const hinting = createServer((req, res) => {
        ports.push(req.socket.remotePort!);
        res.setHeader("keep-alive", "timeout=2");
        res.end("hinted");
      });
      hinting.keepAliveTimeout = 10_000;
      hinting.on("connection", (s: Socket) => {
        const port = s.remotePort!;
        s.on("close", () => gone.push(port));
      });
      await new Promise<void>((r) => hinting.listen(0, "127.0.0.1", r));
      try {
        const pool = new HTTPConnectionPool();
        const url = `http://127.0.0.1:${
          (hinting.address() as { port: number }).port
        }/`;
        assert.equal(await getPage(url, { pool }), "hinted");
        const idle = performance.now();
        for (let i = 0; i < 400 && !gone.includes(ports[0]!); i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(gone.includes(ports[0]!), "closed within 4 s, not 240 s");
        assert.ok(performance.now() - idle >= 800, "not long before 1 s");
        await pool.closeCachedConnections();
      } finally {
        await new Promise((r) => {
          hinting.close(r);
          hinting.closeAllConnections();
        });
      }
    },
  );

  it(
    "does not close a connection whose request outlasts cachedConnectionTimeout",
    {
      skip: activeTransport() !== "node",
    },
    async () => {
      const slow = createServer((_req, res) => {
        setTimeout(() => res.end("slow"), 500);
      });
      await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
      try {
        const pool = new HTTPConnectionPool();
        pool.cachedConnectionTimeout = 0.1;
        const url = `http://127.0.0.1:${
          (slow.address() as { port: number }).port
        }/`;
        assert.equal(await getPage(url, { pool }), "slow");
        // And again on the kept connection, after it was idle a while.
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(await getPage(url, { pool }), "slow");
        await pool.closeCachedConnections();
      } finally {
        await new Promise((r) => {
          slow.close(r);
          slow.closeAllConnections();
        });
      }
    },
  );

  it("closes its idle connections with closeCachedConnections", async () => {
    seen.length = 0;
    closed.length = 0;
    const pool = new HTTPConnectionPool();
    const agent = new Agent(null, { pool });
    assert.equal(await get(agent), "pooled");
    const result = await pool.closeCachedConnections();
    assert.equal(result, undefined);
    if (activeTransport() === "node") {
      // Fired once closed: the server sees the close soon after.
      for (let i = 0; i < 100 && !closed.includes(seen[0]!.port); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(closed.includes(seen[0]!.port));
    }
    // The pool goes on serving after that.
    assert.equal(await get(agent), "pooled");
    await pool.closeCachedConnections();
  });

  it("serves getPage through the pool given", async () => {
    seen.length = 0;
    const pool = new HTTPConnectionPool(null, false);
    assert.equal(await getPage(base, { pool }), "pooled");
    assert.equal(seen[0]!.connection, "close");
  });

  it("refuses bad attributes before any I/O", async () => {
    assert.throws(
      () => new HTTPConnectionPool(null, "yes" as never),
      /Cannot use option persistent "yes"/,
    );
    assert.throws(
      () => new HTTPConnectionPool({} as never),
      TypeError,
    );
    assert.throws(
      () => new Agent(null, { pool: {} as never }),
      /Cannot use option pool \{\}: it must be an HTTPConnectionPool/,
    );
    seen.length = 0;
    const pool = new HTTPConnectionPool();
    const agent = new Agent(null, { pool });
    pool.maxPersistentPerHost = -1;
    await errorOf(agent.request("GET", base), RangeError);
    pool.maxPersistentPerHost = 2;
    pool.cachedConnectionTimeout = Infinity;
    await errorOf(getPage(base, { pool }), RangeError);
    pool.cachedConnectionTimeout = 240;
    pool.retryAutomatically = 1 as never;
    await errorOf(getPage(base, { pool }), TypeError);
    await errorOf(getPage(base, { pool: "mine" as never }), TypeError);
    assert.equal(seen.length, 0);
  });
});

// A server that answers the first request on each connection and closes
// the connection, without a word, when a second request arrives on it:
// a kept connection the server has dropped, found out only by using it.
async function forgetfulServer(): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    let served = false;
    s.on("data", () => {
      if (served) {
        s.destroy();
        return;
      }
      served = true;
      s.write(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfresh",
      );
    });
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  const { port } = tcp.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close() {
      tcp.close();
      for (const s of sockets) s.destroy();
    },
  };
}

const retries = activeTransport() === "node" || "Deno" in globalThis ||
  "Bun" in globalThis;

describe("HTTPConnectionPool retryAutomatically", () => {
  it(
    "sends an idempotent request again on a new connection when a kept one was closed",
    {
      // Node's fetch (undici) does not retry, and fetch decides.
      skip: !retries,
    },
    async () => {
      const forgetful = await forgetfulServer();
      try {
        const pool = new HTTPConnectionPool();
        const agent = new Agent(null, { pool });
        for (let i = 0; i < 3; i++) {
          const response = await agent.request("GET", forgetful.url);
          assert.equal(text(await readBody(response)), "fresh");
        }
        await pool.closeCachedConnections();
      } finally {
        forgetful.close();
      }
    },
  );

  it("fails with ResponseNeverReceived when told not to retry (node:http)", {
    // fetch decides its own retries.
    skip: activeTransport() !== "node",
  }, async () => {
    const forgetful = await forgetfulServer();
    try {
      const pool = new HTTPConnectionPool();
      pool.retryAutomatically = false;
      const agent = new Agent(null, { pool });
      assert.equal(
        text(await readBody(await agent.request("GET", forgetful.url))),
        "fresh",
      );
      await errorOf(agent.request("GET", forgetful.url), ResponseNeverReceived);
      // Not retried either: a request with a body.
      pool.retryAutomatically = true;
      assert.equal(
        text(await readBody(await agent.request("GET", forgetful.url))),
        "fresh",
      );
      await errorOf(
        agent.request("POST", forgetful.url, {}, "x=1"),
        ResponseNeverReceived,
      );
      await pool.closeCachedConnections();
    } finally {
      forgetful.close();
    }
  });
});
