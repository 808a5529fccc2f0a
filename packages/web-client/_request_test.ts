// The exchange every entry point shares: redirects, timeout, cancellation,
// and that nothing is left behind. Exercised through getPage.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError, type Deferred, TimeoutError } from "@twixt/defer";
import { Clock } from "@twixt/reactor/task";
import {
  Agent,
  downloadPage,
  getPage,
  getPageBytes,
  HTTPError,
  InfiniteRedirection,
  PageRedirect,
  readBody,
  ResponseFailed,
  SchemeNotSupported,
} from "./mod.ts";
import { deadPort, serve, type TestServer } from "./testdata/server.ts";
import { errorOf } from "./testdata/failure.ts";
import { withLocation } from "./testdata/runtime.ts";

let server: TestServer;
let other: TestServer;
before(async () => {
  server = await serve();
  other = await serve();
});
after(async () => {
  await server.close();
  await other.close();
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function echoAfter(
  status: number,
  opts: Parameters<typeof getPage>[1] = {},
): Promise<Echo> {
  return getPage(server.url(`/redirect/${status}?to=/echo`), opts)
    .addCallback((text) => JSON.parse(text) as Echo).asPromise();
}

const POST = {
  method: "POST",
  body: "form=1",
  headers: { "content-type": "application/x-www-form-urlencoded" },
};

describe("redirects", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`follows a ${status} from a GET with a GET`, async () => {
      const seen = await echoAfter(status);
      assert.equal(seen.method, "GET");
      assert.equal(seen.url, "/echo");
    });
  }

  for (const status of [301, 302, 303]) {
    it(`turns a POST into a GET without body or Content-Type after a ${status}`, async () => {
      const seen = await echoAfter(status, POST);
      assert.equal(seen.method, "GET");
      assert.equal(seen.body, "");
      assert.equal(seen.headers["content-type"], undefined);
    });
  }

  for (const status of [307, 308]) {
    it(`keeps a POST's method, body and Content-Type after a ${status}`, async () => {
      const seen = await echoAfter(status, POST);
      assert.equal(seen.method, "POST");
      assert.equal(seen.body, "form=1");
      assert.equal(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded",
      );
    });
  }

  it("turns a PUT into a GET after a 303 but keeps it after a 301 or 302", async () => {
    const put = { method: "PUT", body: "data" };
    assert.equal((await echoAfter(303, put)).method, "GET");
    const after301 = await echoAfter(301, put);
    assert.equal(after301.method, "PUT");
    assert.equal(after301.body, "data");
    assert.equal((await echoAfter(302, put)).method, "PUT");
  });

  it("keeps a HEAD a HEAD after a 303", async () => {
    assert.equal(
      await getPage(server.url("/redirect/303?to=/echo"), { method: "HEAD" }),
      "",
    );
    assert.equal(server.seen.at(-1)?.method, "HEAD");
  });

  it("resolves a relative Location against the request URL", async () => {
    for (
      const to of [
        "../text",
        "/text",
        "text?x=1",
        `//127.0.0.1:${new URL(server.base).port}/text`,
      ]
    ) {
      const url = server.url(`/redirect/302?to=${encodeURIComponent(to)}`);
      const expected = new URL(to, url).pathname === "/text"
        ? "hello"
        : "no such route";
      assert.equal(
        await getPage(url).addErrback(() => "no such route"),
        expected,
      );
    }
  });

  it("keeps headers but drops credentials when redirected to another origin", async () => {
    const to = encodeURIComponent(other.url("/echo"));
    const seen = await getPage(server.url(`/redirect/302?to=${to}`), {
      headers: {
        authorization: "Basic c2VjcmV0",
        cookie: "id=1",
        "x-keep": "yes",
      },
    }).addCallback((t) => JSON.parse(t) as Echo);
    assert.equal(seen.headers["x-keep"], "yes");
    assert.equal(seen.headers["authorization"], undefined);
    assert.equal(seen.headers["cookie"], undefined);
  });

  it("keeps credentials on a redirect within the same origin", async () => {
    const seen = await getPage(server.url("/redirect/302?to=/echo"), {
      headers: { authorization: "Basic c2VjcmV0" },
    }).addCallback((t) => JSON.parse(t) as Echo);
    assert.equal(seen.headers["authorization"], "Basic c2VjcmV0");
  });

  it("follows 20 redirects by default", async () => {
    assert.equal(await getPage(server.url("/chain/20")), "end of chain");
  });

  it("fails with InfiniteRedirection on the 21st redirect", async () => {
    const e = await errorOf(
      getPage(server.url("/chain/21")),
      InfiniteRedirection,
    );
    assert.equal(e.redirectLimit, 20);
    assert.equal(e.status, 302);
    assert.equal(e.location, server.url("/chain/0"));
    assert.equal(
      e.message,
      `Cannot follow more than 20 redirects: 302 Found to ${
        server.url("/chain/0")
      }`,
    );
    assert.ok(e instanceof HTTPError);
  });

  it("follows at most redirectLimit redirects", async () => {
    assert.equal(
      await getPage(server.url("/chain/2"), { redirectLimit: 2 }),
      "end of chain",
    );
    await errorOf(
      getPage(server.url("/chain/3"), { redirectLimit: 2 }),
      InfiniteRedirection,
    );
    await errorOf(
      getPage(server.url("/chain/1"), { redirectLimit: 0 }),
      InfiniteRedirection,
    );
  });

  it("fails with InfiniteRedirection on a page that redirects to itself", async () => {
    const e = await errorOf(getPage(server.url("/loop")), InfiniteRedirection);
    assert.equal(e.location, server.url("/loop"));
    assert.equal(new TextDecoder().decode(e.body), "again");
  });

  it("fails with PageRedirect, status and absolute location when followRedirect is false", async () => {
    const e = await errorOf(
      getPage(server.url("/redirect/302?to=/text"), { followRedirect: false }),
      PageRedirect,
    );
    assert.equal(e.status, 302);
    assert.equal(e.location, server.url("/text"));
    assert.equal(e.message, `302 Found to ${server.url("/text")}`);
    assert.equal(new TextDecoder().decode(e.body), "redirecting with 302");
    assert.equal(server.seen.at(-1)?.url, "/redirect/302?to=/text");
  });

  it("fails with PageRedirect for a 3xx that does not redirect (300, 304)", async () => {
    const choices = await errorOf(
      getPage(server.url("/multiple-choices")),
      PageRedirect,
    );
    assert.equal(choices.status, 300);
    assert.equal(choices.location, server.url("/text"));
    const notModified = await errorOf(
      getPage(server.url("/not-modified")),
      PageRedirect,
    );
    assert.equal(notModified.message, "304 Not Modified");
    assert.equal(notModified.location, "");
  });

  it("fails with PageRedirect for a redirect without Location", async () => {
    const e = await errorOf(getPage(server.url("/no-location")), PageRedirect);
    assert.equal(e.message, "302 Found");
  });

  for (
    const [path, scheme] of [["/to-file", "file:"], ["/to-data", "data:"], [
      "/to-javascript",
      "javascript:",
    ]]
  ) {
    it(`refuses a redirect to a ${scheme} URL with SchemeNotSupported`, async () => {
      const e = await errorOf(getPage(server.url(path!)), SchemeNotSupported);
      assert.equal(e.scheme, scheme);
      assert.match(e.message, /^Cannot follow a redirect to /);
    });
  }

  it("fails with ResponseFailed for a Location that is not a URL", async () => {
    const e = await errorOf(
      getPage(server.url("/bad-location")),
      ResponseFailed,
    );
    assert.match(e.message, /^Cannot follow the redirect \(302\) from /);
  });

  it("reports the final URL in an HTTPError after redirects", async () => {
    const e = await errorOf(
      getPage(server.url("/redirect/301?to=/status/404")),
      HTTPError,
    );
    assert.equal(e.url, server.url("/status/404"));
  });
});

describe("timeout", () => {
  it("fails with TimeoutError after timeout seconds and aborts the request", async () => {
    const clock = new Clock();
    const d = getPage(server.url("/hang?t=1"), { timeout: 5, reactor: clock });
    await server.arrived("/hang?t=1");
    clock.advance(4.9);
    assert.equal(d.called, false);
    clock.advance(0.1);
    const e = await errorOf(d, TimeoutError);
    assert.equal(e.timeout, 5);
    assert.equal(
      e.message,
      `Request to ${server.url("/hang?t=1")} timed out after 5 seconds`,
    );
    await server.closed("/hang?t=1");
  });

  it("covers the body too: a body that stops coming times out", async () => {
    // On a Clock, so the timeout cannot strike before the request has
    // reached the server (a real 0.2 s timer could, on a loaded machine).
    const clock = new Clock();
    const d = getPage(server.url("/slow-body?t=2"), {
      timeout: 5,
      reactor: clock,
    });
    await server.arrived("/slow-body?t=2");
    // The server has sent the head and part of the body; give the client a
    // moment to read them, so the timeout strikes inside the body.
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(4.9);
    assert.equal(d.called, false);
    clock.advance(0.1);
    await errorOf(d, TimeoutError);
    await server.closed("/slow-body?t=2");
  });

  it("clears its timer when the page arrives or fails", async () => {
    const clock = new Clock();
    await getPage(server.url("/text"), { timeout: 5, reactor: clock });
    assert.equal(clock.getDelayedCalls().length, 0);
    await errorOf(
      getPage(server.url("/status/404"), { timeout: 5, reactor: clock }),
      HTTPError,
    );
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("sets no timer for timeout 0, as Twisted", async () => {
    const clock = new Clock();
    const d = getPage(server.url("/text"), { timeout: 0, reactor: clock });
    assert.equal(clock.getDelayedCalls().length, 0);
    assert.equal(await d, "hello");
  });
});

describe("cancel", () => {
  it("fails with CancelledError and closes the connection the server sees", async () => {
    const clock = new Clock();
    const d = getPage(server.url("/hang?c=1"), { timeout: 30, reactor: clock });
    await server.arrived("/hang?c=1");
    d.cancel();
    await errorOf(d, CancelledError);
    await server.closed("/hang?c=1");
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("closes the connection when cancelled while the body arrives", async () => {
    const d = getPage(server.url("/slow-body?c=2"));
    await server.arrived("/slow-body?c=2");
    d.cancel();
    await errorOf(d, CancelledError);
    await server.closed("/slow-body?c=2");
  });

  it("does nothing once the page has arrived", async () => {
    const d = getPage(server.url("/text"));
    assert.equal(await d, "hello");
    d.cancel();
    assert.equal(d.result, undefined);
  });
});

// A runtime with a location of its own (Deno run with --location) keeps it.
const ownPage = (globalThis as { location?: unknown }).location !== undefined;

describe("a relative URL, where the runtime has a page location", () => {
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);

  // Resolved at the call, as fetch does: the location is put back at once.
  function onPage<T>(call: () => Deferred<T>): Deferred<T> {
    let d: Deferred<T> | undefined;
    const ran = withLocation(server.url("/app/page.html?v=1"), () => {
      d = call();
    });
    assert.ok(ran, "the location could be replaced");
    return d!;
  }

  it("is fetched by getPage and getPageBytes from the page's server", {
    skip: ownPage,
  }, async () => {
    assert.equal(await onPage(() => getPage("/text")), "hello");
    assert.equal(await onPage(() => getPage("../text")), "hello");
    const bytes = await onPage(() => getPageBytes("/binary"));
    assert.equal(bytes.byteLength, 512);
  });

  it(
    "is fetched by Agent.request from the page's server",
    { skip: ownPage },
    async () => {
      const response = await onPage(() => new Agent().request("GET", "/text"));
      assert.equal(response.url, server.url("/text"));
      assert.equal(text(await readBody(response)), "hello");
    },
  );

  it(
    "is written by downloadPage from the page's server",
    { skip: ownPage },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "twixt-rel-"));
      try {
        const file = join(dir, "page.txt");
        await onPage(() => downloadPage("/text", file));
        assert.equal(await readFile(file, "utf8"), "hello");
      } finally {
        await rm(dir, { recursive: true });
      }
    },
  );
});

// The child gets, fails, times out and cancels requests against a server
// that keeps idle connections for two minutes; if a socket or timer of the
// client held the process, it would not exit before the guard below.
const CHILD = `
const { getPage, getPageBytes, Agent, readBody } = await import(process.env.TWIXT_MOD);
const base = process.env.TWIXT_BASE;
const name = (f) => f.value.name;
const out = [];
out.push(await getPage(base + "/text"));
out.push(await getPageBytes(base + "/binary").addCallback((b) => b.length));
out.push(await getPage(base + "/status/404").addErrback(name));
out.push(await getPage(base + "/hang", { timeout: 0.2 }).addErrback(name));
out.push(await getPage(base + "/slow-body", { timeout: 0.2 }).addErrback(name));
out.push(await getPage(base + "/chunked-big", { maxBytes: 10 }).addErrback(name));
out.push(await getPage(base + "/redirect/302?to=/text", { timeout: 5 }));
out.push(await getPage("http://127.0.0.1:" + process.env.TWIXT_DEAD + "/").addErrback(name));
const d = getPage(base + "/hang");
setTimeout(() => d.cancel(), 50);
out.push(await d.addErrback(name));
const response = await new Agent().request("GET", base + "/slow-body");
const body = readBody(response);
body.cancel();
out.push(await body.addErrback(name));
console.log(JSON.stringify(out));
`;

function runtimeCommand(): string[] {
  const g = globalThis as { Deno?: unknown };
  if (g.Deno) return [process.execPath, "eval", CHILD];
  if (process.versions["bun"]) return [process.execPath, "-e", CHILD];
  return [process.execPath, "--input-type=module", "-e", CHILD];
}

describe("leaving nothing behind", () => {
  it("lets a program that used getPage exit on its own", async () => {
    const lingering = await serve(120);
    try {
      const [cmd, ...args] = runtimeCommand();
      const child = spawn(cmd!, args, {
        env: {
          ...process.env,
          TWIXT_MOD: import.meta.resolve("@twixt/web-client"),
          TWIXT_BASE: lingering.base,
          TWIXT_DEAD: String(await deadPort()),
          NO_COLOR: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      // Guard against a hang only; the child needs well under a second.
      const guard = setTimeout(() => child.kill(), 60_000);
      const code = await new Promise<number | null>((resolve) =>
        child.on("close", resolve)
      );
      clearTimeout(guard);
      assert.equal(
        code,
        0,
        `child did not exit cleanly on its own:\n${stderr}`,
      );
      assert.deepEqual(JSON.parse(stdout), [
        "hello",
        512,
        "HTTPError",
        "TimeoutError",
        "TimeoutError",
        "BodyTooLarge",
        "hello",
        "ConnectionRefusedError",
        "CancelledError",
        "CancelledError",
      ]);
    } finally {
      await lingering.close();
    }
  });
});
