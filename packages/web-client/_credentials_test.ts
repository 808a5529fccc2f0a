// Issue 10 item 4: credentials in a URL are sent as Authorization: Basic on
// every runtime, never shown (the password is "***"), and not sent on to
// another origin.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type Failure, logError, setFailureLogger } from "@twixt/defer";
import {
  Agent,
  ConnectionRefusedError,
  getPage,
  HTTPError,
  InfiniteRedirection,
  PageRedirect,
  readBody,
  SchemeNotSupported,
} from "./mod.ts";
import { redact, target } from "./_credentials.ts";
import { rawHTTP, type RawServer } from "./testdata/raw.ts";
import { deadPort } from "./testdata/server.ts";
import { failureOf } from "./testdata/failure.ts";

const SECRET = "s3cr3t";

// Everything a failure could show: message, stack, fields, causes.
function shown(f: Failure): string {
  const parts: string[] = [f.getTraceback(), f.getErrorMessage()];
  let e: unknown = f.value;
  for (let i = 0; i < 5 && typeof e === "object" && e !== null; i++) {
    const x = e as Record<string, unknown>;
    parts.push(String(x.message), String(x.stack));
    for (const k of ["url", "location"]) {
      if (typeof x[k] === "string") parts.push(x[k] as string);
    }
    e = x.cause;
  }
  return parts.join("\n");
}

function basic(head: string): string | undefined {
  const m = /^authorization: basic (.*)$/im.exec(head);
  return m ? Buffer.from(m[1]!.trim(), "base64").toString("utf8") : undefined;
}

// Answers by path: /redirect?to=... and /status/NNN; else 200 ok.
function answer(socket: import("node:net").Socket, head: string): void {
  const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? "/";
  const u = new URL(path, "http://x");
  let status = "200 OK";
  let extra = "";
  let body = "ok";
  if (u.pathname === "/redirect") {
    status = "302 Found";
    extra = `location: ${u.searchParams.get("to")}\r\n`;
    body = "";
  } else if (u.pathname === "/to-bob") {
    const host = /^host: (.*)$/im.exec(head)?.[1]?.trim();
    status = "302 Found";
    extra = `location: http://bob:${SECRET}@${host}/x\r\n`;
    body = "";
  } else if (u.pathname === "/status/404") {
    status = "404 Not Found";
    body = "no";
  }
  socket.end(
    `HTTP/1.1 ${status}\r\n${extra}content-length: ${body.length}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

let a: RawServer;
let b: RawServer;
before(async () => {
  a = await rawHTTP(answer);
  b = await rawHTTP(answer);
});
after(async () => {
  await a.close();
  await b.close();
});

const withCreds = (s: RawServer, path = "", host = "127.0.0.1"): string =>
  `http://alice:${SECRET}@${host}:${s.port}/${path}`;

describe("credentials in URLs", () => {
  it("are sent as Authorization: Basic, percent-decoded, as curl sends them", async () => {
    const before = a.heads.length;
    assert.equal(await getPage(withCreds(a)), "ok");
    assert.equal(basic(a.heads[before]!), `alice:${SECRET}`);
    await getPage(`http://al%20ice:p%40ss%C3%A9@127.0.0.1:${a.port}/`);
    assert.equal(basic(a.heads[before + 1]!), "al ice:p@ssé");
    await getPage(`http://token@127.0.0.1:${a.port}/`);
    assert.equal(basic(a.heads[before + 2]!), "token:");
    // The request line never carries them.
    assert.ok(
      !a.heads.slice(before).some((h) => h.split("\r\n")[0]!.includes("@")),
    );
  });

  it("give way to an Authorization header the caller set", async () => {
    const before = a.heads.length;
    await getPage(withCreds(a), {
      headers: { authorization: "Basic " + btoa("bob:other") },
    });
    assert.equal(basic(a.heads[before]!), "bob:other");
  });

  it("are sent by an Agent too", async () => {
    const before = a.heads.length;
    const r = await new Agent().request("GET", withCreds(a));
    assert.ok(!r.url.includes(SECRET));
    assert.equal(r.url, `http://alice:***@127.0.0.1:${a.port}/`);
    await readBody(r);
    assert.equal(basic(a.heads[before]!), `alice:${SECRET}`);
  });

  it("are kept on a same-origin redirect", async () => {
    const before = a.heads.length;
    await getPage(withCreds(a, "redirect?to=/next"));
    assert.equal(a.heads.length, before + 2);
    assert.equal(basic(a.heads[before + 1]!), `alice:${SECRET}`);
  });

  it("are dropped on a redirect to another origin (127.0.0.1 to localhost)", async () => {
    const beforeA = a.heads.length;
    const beforeB = b.heads.length;
    const to = `http://localhost:${b.port}/elsewhere`;
    await getPage(withCreds(a, `redirect?to=${encodeURIComponent(to)}`));
    assert.equal(basic(a.heads[beforeA]!), `alice:${SECRET}`);
    assert.equal(b.heads.length, beforeB + 1);
    assert.equal(basic(b.heads[beforeB]!), undefined);
    assert.ok(!b.heads[beforeB]!.includes(SECRET));
  });

  it("never appear in an HTTPError", async () => {
    const f = await failureOf(getPage(withCreds(a, "status/404")));
    assert.ok(f.value instanceof HTTPError);
    assert.equal(
      f.value.url,
      `http://alice:***@127.0.0.1:${a.port}/status/404`,
    );
    assert.ok(!shown(f).includes(SECRET), shown(f));
  });

  it("never appear in a PageRedirect's url or location", async () => {
    const f = await failureOf(
      getPage(withCreds(a, "to-bob"), { followRedirect: false }),
    );
    assert.ok(f.value instanceof PageRedirect);
    assert.equal(f.value.location, `http://bob:***@127.0.0.1:${a.port}/x`);
    assert.ok(!shown(f).includes(SECRET), shown(f));
  });

  it("in a Location are sent to that Location's target, and not shown", async () => {
    const before = a.heads.length;
    assert.equal(await getPage(withCreds(a, "to-bob")), "ok");
    assert.equal(basic(a.heads[before + 1]!), `bob:${SECRET}`);
    const r = await new Agent(undefined, { followRedirect: true }).request(
      "GET",
      `http://127.0.0.1:${a.port}/to-bob`,
    );
    assert.equal(r.url, `http://bob:***@127.0.0.1:${a.port}/x`);
    await readBody(r);
  });

  it("never appear in an InfiniteRedirection", async () => {
    const f = await failureOf(
      getPage(withCreds(a, "redirect?to=/redirect%3Fto%3D%2F"), {
        redirectLimit: 0,
      }),
    );
    assert.ok(f.value instanceof InfiniteRedirection);
    assert.ok(!shown(f).includes(SECRET), shown(f));
  });

  it("never appear when the connection is refused", async () => {
    const port = await deadPort();
    const f = await failureOf(
      getPage(`http://alice:${SECRET}@127.0.0.1:${port}/`),
    );
    assert.ok(f.value instanceof ConnectionRefusedError, f.getTraceback());
    assert.ok(!shown(f).includes(SECRET), shown(f));
    const g = await failureOf(
      new Agent().request("GET", `http://alice:${SECRET}@127.0.0.1:${port}/`),
    );
    assert.ok(!shown(g).includes(SECRET), shown(g));
  });

  it("never appear in the error for an unparsable URL or a refused scheme", async () => {
    for (
      const url of [
        `http://alice:${SECRET}@[::1/`,
        `ftp://alice:${SECRET}@127.0.0.1/`,
        `http://alice:${SECRET}@127.0.0.1/\r\n`,
      ]
    ) {
      const f = await failureOf(getPage(url));
      assert.ok(
        f.value instanceof TypeError || f.value instanceof SchemeNotSupported,
      );
      assert.ok(!shown(f).includes(SECRET), shown(f));
    }
  });

  it("never reach a log line", async () => {
    const logged: string[] = [];
    const previous = setFailureLogger((message, f) => {
      logged.push(`${message}\n${shown(f)}`);
    });
    try {
      const port = await deadPort();
      logError(
        await failureOf(getPage(`http://alice:${SECRET}@127.0.0.1:${port}/`)),
      );
      logError(await failureOf(getPage(withCreds(a, "status/404"))));
    } finally {
      setFailureLogger(previous);
    }
    assert.equal(logged.length, 2);
    assert.ok(logged.every((l) => !l.includes(SECRET)), logged.join("\n"));
  });
});

describe("redact", () => {
  it("shows the password of every URL in a text as ***", () => {
    assert.equal(
      redact(`see http://alice:${SECRET}@h/x and https://b:p@ss@k:1/`),
      "see http://alice:***@h/x and https://b:***@k:1/",
    );
    assert.equal(redact("http://h/a@b"), "http://h/a@b");
  });

  it("splits a URL into what is fetched, shown and sent", () => {
    const t = target(new URL(`http://alice:${SECRET}@h:1/p?q`));
    assert.equal(t.href, "http://h:1/p?q");
    assert.equal(t.shown, "http://alice:***@h:1/p?q");
    assert.equal(t.authorization, "Basic " + btoa(`alice:${SECRET}`));
  });
});
