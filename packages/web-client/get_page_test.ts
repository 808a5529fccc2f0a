import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Deferred } from "@twixt/defer";
import { ConnectionRefusedError } from "@twixt/reactor";
import {
  BodyTooLarge,
  getPage,
  getPageBytes,
  HTTPError,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "./mod.ts";
import { decodeText } from "./_charset.ts";
import {
  BIG_SIZE,
  BINARY,
  CP1252_TEXT,
  deadPort,
  GZIP_TEXT,
  LATIN1_TEXT,
  pattern,
  rawServer,
  serve,
  type TestServer,
  UNICODE_TEXT,
} from "./testdata/server.ts";
import { errorOf } from "./testdata/failure.ts";

let server: TestServer;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

function echo(d: Deferred<string>): Promise<{
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  bytes: number[];
}> {
  return d.addCallback((text) => JSON.parse(text)).asPromise();
}

describe("getPage", () => {
  it("returns a Deferred that fires with the page's text", async () => {
    const d = getPage(server.url("/text"));
    assert.ok(d instanceof Deferred);
    assert.equal(await d, "hello");
  });

  it("decodes UTF-8 text with characters outside ASCII", async () => {
    assert.equal(await getPage(server.url("/utf8")), UNICODE_TEXT);
  });

  it("decodes as UTF-8 when the Content-Type names no charset", async () => {
    assert.equal(await getPage(server.url("/no-charset")), UNICODE_TEXT);
  });

  it("decodes ISO-8859-1 text as the Content-Type's charset says", async () => {
    assert.equal(await getPage(server.url("/latin1")), LATIN1_TEXT);
  });

  it("decodes windows-1252 text named by a quoted charset", async () => {
    assert.equal(await getPage(server.url("/cp1252")), CP1252_TEXT);
  });

  it("falls back to UTF-8 for a charset the runtime does not know", async () => {
    assert.equal(await getPage(server.url("/unknown-charset")), UNICODE_TEXT);
  });

  it("decodes a gzip-encoded body", async () => {
    assert.equal(await getPage(server.url("/gzip")), GZIP_TEXT);
  });

  it("fires with an empty string for a 204 No Content", async () => {
    assert.equal(await getPage(server.url("/empty")), "");
  });

  it("sends GET with no body by default", async () => {
    const seen = await echo(getPage(server.url("/echo")));
    assert.equal(seen.method, "GET");
    assert.equal(seen.body, "");
  });

  it("sends the method, headers and text body given", async () => {
    const seen = await echo(getPage(server.url("/echo"), {
      method: "post",
      headers: { "x-poem": "ozymandias", "content-type": "text/plain" },
      body: "Look on my works",
    }));
    assert.equal(seen.method, "POST");
    assert.equal(seen.headers["x-poem"], "ozymandias");
    assert.equal(seen.headers["content-type"], "text/plain");
    assert.equal(seen.body, "Look on my works");
  });

  it("sends a Uint8Array body byte for byte", async () => {
    const seen = await echo(
      getPage(server.url("/echo"), { method: "PUT", body: BINARY }),
    );
    assert.equal(seen.method, "PUT");
    assert.deepEqual(seen.bytes, [...BINARY]);
  });

  it("labels a string body text/plain;charset=UTF-8 on every transport, as fetch does", async () => {
    // Bun's fetch sent a string body with no Content-Type at all.
    for (const headers of [undefined, { "x-a": "1" }, new Headers()]) {
      const seen = await echo(
        getPage(server.url("/echo"), { method: "PUT", body: "é", headers }),
      );
      assert.equal(seen.headers["content-type"], "text/plain;charset=UTF-8");
      assert.equal(seen.body, "é");
    }
    const given = await echo(getPage(server.url("/echo"), {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    }));
    assert.equal(given.headers["content-type"], "application/json");
  });

  it("sends headers given as a Headers object", async () => {
    const seen = await echo(getPage(server.url("/echo"), {
      headers: new Headers({ "x-from": "headers" }),
    }));
    assert.equal(seen.headers["x-from"], "headers");
  });

  it("sends the agent option as the User-Agent header", async () => {
    const seen = await echo(
      getPage(server.url("/echo"), { agent: "Twisted PageGetter" }),
    );
    assert.equal(seen.headers["user-agent"], "Twisted PageGetter");
  });

  it("answers 20 concurrent requests, each with its own page", async () => {
    const pages = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => getPage(server.url(`/status/200?body=page${i}`)),
      ),
    );
    assert.deepEqual(pages, Array.from({ length: 20 }, (_, i) => `page${i}`));
  });
});

describe("getPageBytes", () => {
  it("fires with a binary body intact", async () => {
    assert.deepEqual(await getPageBytes(server.url("/binary")), BINARY);
  });

  it("fires with a 5 MB body intact", async () => {
    const bytes = await getPageBytes(server.url("/big"));
    assert.equal(bytes.byteLength, BIG_SIZE);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(pattern(BIG_SIZE))));
  });

  it("reads a body sent without Content-Length to its end", async () => {
    assert.deepEqual(
      await getPageBytes(server.url("/chunked-big")),
      pattern(200_000),
    );
  });
});

describe("getPage status errors", () => {
  it("fails with HTTPError for 404, with a message like Twisted's and the page", async () => {
    const e = await errorOf(
      getPage(server.url("/status/404?body=gone")),
      HTTPError,
    );
    assert.equal(e.message, "404 Not Found");
    assert.equal(e.status, 404);
    assert.equal(e.statusText, "Not Found");
    assert.equal(new TextDecoder().decode(e.body), "gone");
    assert.equal(e.url, server.url("/status/404?body=gone"));
  });

  it("fails with HTTPError for 500", async () => {
    const e = await errorOf(getPage(server.url("/status/500")), HTTPError);
    assert.equal(e.message, "500 Internal Server Error");
  });

  it("uses the server's own reason phrase in the message", async () => {
    const e = await errorOf(
      getPage(server.url("/status/418?phrase=I'm%20a%20teapot")),
      HTTPError,
    );
    assert.equal(e.message, "418 I'm a teapot");
  });

  it("cuts the HTTPError body at maxBytes and still fails with HTTPError", async () => {
    const e = await errorOf(
      getPageBytes(server.url("/status/403?body=0123456789"), { maxBytes: 4 }),
      HTTPError,
    );
    assert.equal(e.status, 403);
    assert.equal(new TextDecoder().decode(e.body), "0123");
  });

  it("gives getPageBytes the same HTTPError", async () => {
    const e = await errorOf(getPageBytes(server.url("/status/410")), HTTPError);
    assert.equal(e.message, "410 Gone");
  });
});

describe("getPage bad input", () => {
  for (
    const url of [
      "file:///etc/passwd",
      "data:text/plain,hello",
      "ftp://127.0.0.1/x",
      "javascript:alert(1)",
      "ws://127.0.0.1/",
    ]
  ) {
    it(`refuses ${url.split(":")[0]}: URLs with SchemeNotSupported, without throwing`, async () => {
      const d = getPage(url);
      assert.ok(d.called, "fails at once");
      const e = await errorOf(d, SchemeNotSupported);
      assert.equal(e.scheme, `${url.split(":")[0]}:`);
      assert.match(e.message, /only http: and https:/);
    });
  }

  it("fails with TypeError for a malformed URL, without throwing", async () => {
    for (const url of ["not a url", "http://", "http://[::1", ""]) {
      const e = await errorOf(getPage(url), TypeError);
      assert.match(e.message, /^Cannot parse URL /);
    }
  });

  it("fails with TypeError for a URL that is not a string", async () => {
    await errorOf(getPage(42 as unknown as string), TypeError);
  });

  it("takes null options from JavaScript callers as none", async () => {
    assert.equal(
      await getPage(server.url("/text"), null as unknown as undefined),
      "hello",
    );
  });

  it("fails with TypeError for a body on a GET", async () => {
    const e = await errorOf(
      getPage(server.url("/echo"), { body: "x" }),
      TypeError,
    );
    assert.equal(e.message, "Cannot send a body with a GET request");
  });

  it("fails with TypeError for a method that is not a token", async () => {
    await errorOf(getPage(server.url("/echo"), { method: "GE T" }), TypeError);
  });

  it("fails with TypeError for a header name fetch refuses", async () => {
    await errorOf(
      getPage(server.url("/echo"), { headers: { "bad name": "x" } }),
      TypeError,
    );
  });

  it("fails with RangeError for a negative timeout, redirectLimit or maxBytes", async () => {
    const url = server.url("/text");
    await errorOf(getPage(url, { timeout: -1 }), RangeError);
    await errorOf(getPage(url, { timeout: NaN }), RangeError);
    await errorOf(getPage(url, { redirectLimit: -1 }), RangeError);
    await errorOf(getPage(url, { maxBytes: 1.5 }), RangeError);
  });
});

describe("getPage network errors", () => {
  it("fails with ConnectionRefusedError when nothing listens", async () => {
    const port = await deadPort();
    const e = await errorOf(
      getPage(`http://127.0.0.1:${port}/`),
      ConnectionRefusedError,
    );
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it("fails with ResponseNeverReceived when the server drops the connection", async () => {
    const e = await errorOf(
      getPage(server.url("/reset")),
      ResponseNeverReceived,
    );
    assert.match(
      e.message,
      /^Cannot get a response from http:\/\/127\.0\.0\.1:\d+\/reset: /,
    );
  });

  it("fails with ResponseFailed when the body is shorter than its Content-Length", async () => {
    const e = await errorOf(getPage(server.url("/truncated")), ResponseFailed);
    assert.ok(!(e instanceof ResponseNeverReceived));
    assert.match(e.message, /^Cannot read the whole response from /);
  });

  it("fails with ResponseFailed when a chunked body is cut off", async () => {
    await errorOf(getPage(server.url("/truncated-chunked")), ResponseFailed);
  });

  it("fails with ResponseFailed when a raw server closes mid-body", async () => {
    const raw = await rawServer(
      "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
      (socket) => socket.end(),
    );
    try {
      await errorOf(getPage(raw.url), ResponseFailed);
    } finally {
      await raw.close();
    }
  });
});

describe("getPage maxBytes", () => {
  it("fails with BodyTooLarge naming the limit when Content-Length is over it", async () => {
    const e = await errorOf(
      getPageBytes(server.url("/big"), { maxBytes: 1000 }),
      BodyTooLarge,
    );
    assert.equal(e.maxBytes, 1000);
    assert.match(e.message, /^Cannot read more than 1000 bytes \(maxBytes\)/);
    assert.match(e.message, /Content-Length is 5242880$/);
  });

  it("stops reading a body without Content-Length once it passes the limit", async () => {
    const e = await errorOf(
      getPageBytes(server.url("/chunked-big"), { maxBytes: 1000 }),
      BodyTooLarge,
    );
    assert.equal(
      e.message,
      `Cannot read more than 1000 bytes (maxBytes) of the body of ${
        server.url("/chunked-big")
      }`,
    );
    await server.closed("/chunked-big");
  });

  it("accepts a body of exactly maxBytes", async () => {
    assert.equal(await getPage(server.url("/text"), { maxBytes: 5 }), "hello");
  });
});

describe("decodeText", () => {
  it("reads the charset parameter wherever it sits and in any case", () => {
    const bytes = Uint8Array.from([0xe9]);
    assert.equal(
      decodeText(bytes, "text/plain; format=flowed; CHARSET=latin1"),
      "é",
    );
    assert.equal(decodeText(bytes, 'text/plain;charset="iso-8859-1"'), "é");
  });

  it("decodes bytes 0x80-0x9F of windows-1252 as the Encoding standard says", () => {
    const bytes = Uint8Array.of(0x80, 0x8a, 0x93, 0x94, 0x9f);
    assert.equal(
      decodeText(bytes, "text/plain; charset=windows-1252"),
      "€Š“”Ÿ",
    );
    assert.equal(decodeText(bytes, "text/plain; charset=iso-8859-1"), "€Š“”Ÿ");
  });

  it("drops a UTF-8 byte order mark", () => {
    assert.equal(
      decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]), null),
      "A",
    );
  });
});
