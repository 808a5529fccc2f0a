import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getPage } from "./mod.ts";
import { againstBase } from "./_node.ts";
import { errorOf } from "./testdata/failure.ts";

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

describe("getPage with a relative URL", () => {
  it("fails with TypeError where there is no page to resolve it against", async (t) => {
    if (hasPage) return t.skip("this runtime has a page location");
    const e = await errorOf(getPage("/data.json"), TypeError);
    assert.match(e.message, /^Cannot parse URL /);
  });
});
