import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Deferred } from "@twixt/defer";
import {
  Agent,
  downloadPage,
  FileSystemNotAvailable,
  getPage,
  getPageBytes,
  SchemeNotSupported,
} from "./mod.ts";
import { againstBase } from "./_node.ts";
import { errorOf } from "./testdata/failure.ts";
import { withLocation, withoutBuiltins } from "./testdata/runtime.ts";

const hasPage =
  (globalThis as { location?: { href?: string } }).location?.href !==
    undefined;

describe("againstBase", () => {
  it("resolves a relative URL against the page's address", () => {
    const base = "http://app.test/a/b.html";
    assert.equal(againstBase("/data.json", base), "http://app.test/data.json");
    assert.equal(
      againstBase("c.json?x=1", base),
      "http://app.test/a/c.json?x=1",
    );
  });

  it("leaves an absolute URL as given", () => {
    const url = "https://other.test/x?y#z";
    assert.equal(againstBase(url, "http://app.test/"), url);
  });

  it("leaves a URL with a control character or space to the URL check", () => {
    for (const url of ["/a\r\nX-Evil: 1", "/a\tb", "not a url"]) {
      assert.equal(againstBase(url, "http://app.test/"), url);
    }
  });

  it("leaves a relative URL as given where there is no page", () => {
    assert.equal(againstBase("/data.json", undefined), "/data.json");
  });
});

// Every way a URL enters the client, for `url`.
const entries: [string, (url: string) => Deferred<unknown>][] = [
  ["getPage", (url) => getPage(url)],
  ["getPageBytes", (url) => getPageBytes(url)],
  ["downloadPage", (url) => downloadPage(url, "out.txt")],
  ["Agent.request", (url) => new Agent().request("GET", url)],
];

describe("a relative URL", () => {
  for (const [name, call] of entries) {
    it(`fails ${name} with SchemeNotSupported where there is no page to resolve it against, as Twisted's Agent does`, async (t) => {
      if (hasPage) return t.skip("this runtime has a page location");
      for (const url of ["/data.json", "example.test/data.json"]) {
        const d = call(url);
        assert.equal(d.called, true, "failed before any request");
        const e = await errorOf(d, SchemeNotSupported);
        assert.equal(e.scheme, "");
        assert.equal(
          e.message,
          `Cannot request ${
            JSON.stringify(url)
          }: it has no scheme (a relative URL, and no page location to resolve it against), only http: and https: URLs are supported`,
        );
      }
    });

    it(`is resolved for ${name} against the page's location, before the URL check`, async (t) => {
      // An ftp: page: the resolved URL is refused by the scheme check, so
      // the test needs no server and nothing is sent.
      let d: Deferred<unknown> | undefined;
      const ran = withLocation("ftp://files.test/a/page.html?q=1", () => {
        d = call("../data.json?x=1");
      });
      if (!ran) return t.skip("this runtime's location cannot be replaced");
      const e = await errorOf(d!, SchemeNotSupported);
      assert.equal(e.url, "ftp://files.test/data.json?x=1");
    });
  }

  it("is still checked for control characters against a page", async (t) => {
    let d: Deferred<unknown> | undefined;
    const ran = withLocation("http://app.test/", () => {
      d = getPage("/a\r\nX-Evil: 1");
    });
    if (!ran) return t.skip("this runtime's location cannot be replaced");
    const e = await errorOf(d!, TypeError);
    assert.match(e.message, /control character/);
  });

  it("shows no password of a scheme-relative URL it cannot resolve", async (t) => {
    if (hasPage) return t.skip("this runtime has a page location");
    const e = await errorOf(
      getPage("//alice:s3cr3t@app.test/x"),
      SchemeNotSupported,
    );
    assert.ok(!e.message.includes("s3cr3t"), e.message);
    assert.ok(!e.url.includes("s3cr3t"), e.url);
    assert.match(e.message, /\/\/alice:\*\*\*@app\.test\/x/);
  });
});

describe("downloadPage where the runtime has no file system", () => {
  it("fails with FileSystemNotAvailable before any request", async () => {
    const asked: unknown[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input) => {
      asked.push(input);
      return realFetch(input);
    };
    let d: Deferred<void>;
    try {
      // A browser has no node:fs at all: here it is hidden.
      d = withoutBuiltins(
        ["node:fs/promises"],
        () => downloadPage("http://127.0.0.1:9/never", "page.html"),
      );
    } finally {
      globalThis.fetch = realFetch;
    }
    // Already failed when returned: no request could have been started.
    assert.equal(d.called, true);
    const e = await errorOf(d, FileSystemNotAvailable);
    assert.equal(e.file, "page.html");
    assert.equal(
      e.message,
      "Cannot download to page.html: files are not available in this runtime",
    );
    assert.deepEqual(asked, []);
  });

  it("checks the file argument first, as where there are files", async () => {
    const d = withoutBuiltins(
      ["node:fs/promises"],
      () => downloadPage("http://127.0.0.1:9/never", ""),
    );
    await errorOf(d, TypeError);
  });
});
