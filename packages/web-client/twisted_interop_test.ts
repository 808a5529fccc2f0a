// Issue 10, interop: the HTTP client against a real twisted.web site
// (testdata/twisted_site.py, Twisted 22.4): redirects of every kind and a
// loop, chunked, gzip (EncodingResourceWrapper + GzipEncoderFactory), slow
// and stalled bodies, a truncated body, a reply that is not HTTP, and 20 MB
// byte-exact. Skipped, with the reason, where Twisted is not installed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Failure, TimeoutError } from "@twixt/defer";
import type { IPushProducer } from "@twixt/reactor";
import {
  Agent,
  BodyTooLarge,
  downloadPage,
  getPage,
  getPageBytes,
  InfiniteRedirection,
  PageRedirect,
  readBody,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
} from "./mod.ts";
import {
  startTwistedSite,
  twistedMissing,
  type TwistedSite,
} from "./testdata/twisted.ts";
import { errorOf } from "./testdata/failure.ts";

const skip = twistedMissing;
const TEXT = "hello from twisted.web, grüße";
const BIG_SIZE = 20 * 1024 * 1024;

let site: TwistedSite;
before(async () => {
  if (skip === false) site = await startTwistedSite();
});
after(async () => {
  await site?.stop();
});

const url = (path: string): string => site.base + path;
const sha256 = (b: Uint8Array): string =>
  createHash("sha256").update(b).digest("hex");

// The same bytes the site sends: 0..255 over and over.
function bigPattern(): Uint8Array {
  const out = new Uint8Array(BIG_SIZE);
  for (let i = 0; i < BIG_SIZE; i++) out[i] = i & 0xff;
  return out;
}

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
const echo = async (d: PromiseLike<string>): Promise<Echo> =>
  JSON.parse(await d) as Echo;

describe("against twisted.web: pages", () => {
  it("reads a page, decoded by its charset", { skip }, async () => {
    assert.equal(await getPage(url("/text")), TEXT);
  });

  it("reads a chunked body whole, with no length known", { skip }, async () => {
    const r = await new Agent().request("GET", url("/chunked"));
    assert.equal(r.length, undefined);
    assert.equal(
      new TextDecoder().decode(await readBody(r)),
      "chunk 0;chunk 1;chunk 2;chunk 3;chunk 4;",
    );
  });

  it(
    "decodes a gzip body from EncodingResourceWrapper and GzipEncoderFactory",
    { skip },
    async () => {
      assert.equal(await getPage(url("/gzip")), "gzip ".repeat(2000));
      const r = await new Agent().request("GET", url("/gzip"));
      assert.equal(r.headers.get("content-encoding"), "gzip");
      assert.equal(r.length, undefined);
      assert.equal((await readBody(r)).byteLength, 10_000);
    },
  );

  it("counts maxBytes in decoded gzip bytes", { skip }, async () => {
    await errorOf(getPage(url("/gzip"), { maxBytes: 1000 }), BodyTooLarge);
  });

  it("waits for a slow body (callLater)", { skip }, async () => {
    assert.equal(await getPage(url("/slow")), "slow body.");
  });

  it("times out a slow body with getPage's timeout", { skip }, async () => {
    await errorOf(getPage(url("/slow"), { timeout: 0.1 }), TimeoutError);
  });

  it("times out a stalled body with an Agent's timeout, through readBody", {
    skip,
  }, async () => {
    const r = await new Agent(undefined, { timeout: 0.3 }).request(
      "GET",
      url("/stall"),
    );
    await errorOf(readBody(r), TimeoutError);
  });

  it("fails with ResponseFailed when the site drops the connection mid-body", {
    skip,
  }, async () => {
    await errorOf(getPage(url("/truncated")), ResponseFailed);
    const r = await new Agent().request("GET", url("/truncated"));
    await errorOf(readBody(r), ResponseFailed);
  });

  it(
    "fails with ResponseNeverReceived on a reply that is not HTTP",
    { skip },
    async () => {
      const raw = `http://127.0.0.1:${site.rawPort}/`;
      await errorOf(getPage(raw), ResponseNeverReceived);
      await errorOf(new Agent().request("GET", raw), ResponseNeverReceived);
    },
  );

  it("sends credentials from the URL as Basic, as twisted.web reads them", {
    skip,
  }, async () => {
    const withCreds = url("/echo").replace("://", "://alice:s3cr3t@");
    const seen = await echo(getPage(withCreds));
    assert.equal(
      seen.headers["authorization"],
      "Basic " + btoa("alice:s3cr3t"),
    );
  });
});

describe("against twisted.web: redirects", () => {
  for (const code of [301, 302, 303, 307, 308]) {
    it(`follows a ${code} for a GET`, { skip }, async () => {
      assert.equal(await getPage(url(`/r${code}?to=/text`)), TEXT);
    });
  }

  for (
    const [code, method] of [[301, "GET"], [302, "GET"], [303, "GET"], [
      307,
      "POST",
    ], [308, "POST"]] as const
  ) {
    it(
      `follows a ${code} after a POST with a ${method}`,
      { skip },
      async () => {
        const seen = await echo(
          getPage(url(`/r${code}?to=/echo`), { method: "POST", body: "poem" }),
        );
        assert.equal(seen.method, method);
        assert.equal(seen.body, method === "POST" ? "poem" : "");
      },
    );
  }

  it("fails a redirect loop with InfiniteRedirection", { skip }, async () => {
    const e = await errorOf(
      getPage(url("/loop"), { redirectLimit: 4 }),
      InfiniteRedirection,
    );
    assert.equal(e.redirectLimit, 4);
  });

  it(
    "fails with PageRedirect when not following, and an Agent just reports the 302",
    { skip },
    async () => {
      const e = await errorOf(
        getPage(url("/r302?to=/text"), { followRedirect: false }),
        PageRedirect,
      );
      assert.equal(e.location, url("/text"));
      const r = await new Agent().request("GET", url("/r302?to=/text"));
      assert.equal(r.code, 302);
      assert.equal(r.headers.get("location"), "/text");
      await readBody(r);
    },
  );

  it("keeps URL credentials on a same-origin redirect", { skip }, async () => {
    const withCreds = url("/r302?to=/echo").replace("://", "://alice:s3cr3t@");
    const seen = await echo(getPage(withCreds));
    assert.equal(
      seen.headers["authorization"],
      "Basic " + btoa("alice:s3cr3t"),
    );
  });
});

describe("against twisted.web: 20 MB", () => {
  it(
    "getPageBytes reads it byte-exact",
    { skip, timeout: 120_000 },
    async () => {
      const expected = sha256(bigPattern());
      const r = await new Agent().request("GET", url("/big"));
      assert.equal(r.headers.get("x-sha256"), expected);
      await readBody(r);
      const body = await getPageBytes(url("/big"));
      assert.equal(body.byteLength, BIG_SIZE);
      assert.equal(sha256(body), expected);
    },
  );

  it("deliverBody streams it byte-exact through pauses", {
    skip,
    timeout: 120_000,
  }, async () => {
    const r = await new Agent().request("GET", url("/big"));
    assert.equal(r.length, BIG_SIZE);
    const hash = createHash("sha256");
    let size = 0;
    let pauses = 0;
    let producer: IPushProducer | undefined;
    const reason = await new Promise<Failure>((resolve) => {
      r.deliverBody({
        makeConnection(p) {
          producer = p;
        },
        dataReceived(data) {
          hash.update(data);
          size += data.byteLength;
          // Pause now and then, and resume on a later turn.
          if (pauses < 20 && size > pauses * 1_000_000) {
            pauses++;
            producer!.pauseProducing();
            setTimeout(() => producer!.resumeProducing(), 1);
          }
        },
        connectionLost(f) {
          resolve(f);
        },
      });
    });
    assert.ok(reason.check(ResponseDone), reason.getTraceback());
    assert.equal(size, BIG_SIZE);
    assert.equal(hash.digest("hex"), sha256(bigPattern()));
  });

  it(
    "downloadPage writes it byte-exact",
    { skip, timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "twixt-interop-"));
      try {
        const file = join(dir, "big.bin");
        await downloadPage(url("/big"), file);
        const written = new Uint8Array(await readFile(file));
        assert.equal(written.byteLength, BIG_SIZE);
        assert.equal(sha256(written), sha256(bigPattern()));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
