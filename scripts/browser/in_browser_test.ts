/**
 * Tests that only the browser run of scripts/test_browser.ts runs: getPage
 * against the runner's own node:http server (same origin, relative URLs,
 * and cross-origin through CORS by its `localhost` name), and what a
 * browser lacks failing cleanly (TCP, files, process exit). The snippets of
 * the packages' "In the browser" README sections are here as written.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, Deferred, TimeoutError } from "@twixt/defer";
import { successResultOf } from "@twixt/defer/testing";
import {
  CannotListenError,
  ClientFactory,
  ConnectError,
  Factory,
  listenTCP,
  Protocol,
  Reactor,
  reactor,
  TCP4ClientEndpoint,
} from "@twixt/reactor";
import { Clock, deferLater, LoopingCall, react } from "@twixt/reactor/task";
import {
  Agent,
  downloadPage,
  FileSystemNotAvailable,
  getPage,
  getPageBytes,
  HTTPError,
  readBody,
} from "@twixt/web-client";

// The page is served by the runner; its `localhost` name is another origin.
const crossOrigin = (path: string): string =>
  `http://localhost:${location.port}${path}`;

describe("getPage in the browser", () => {
  it("fetches a relative URL, resolved against the page's location", async () => {
    assert.equal(await getPage("/wc/text"), "hello");
  });

  it("Agent.request resolves a relative URL against the page's location", async () => {
    const response = await new Agent().request("GET", "/wc/text");
    assert.equal(response.url, `${location.origin}/wc/text`);
    assert.equal(new TextDecoder().decode(await readBody(response)), "hello");
  });

  it("fetches an absolute URL of the page's origin", async () => {
    assert.equal(await getPage(`${location.origin}/wc/text`), "hello");
  });

  it("fetches from another origin that allows it with CORS headers", async () => {
    assert.equal(await getPage(crossOrigin("/wc/text")), "hello");
  });

  it("sends a method, headers and a body across origins (preflighted)", async () => {
    const echo = JSON.parse(
      await getPage(crossOrigin("/wc/echo"), {
        method: "POST",
        headers: { "x-twixt": "yes", "content-type": "application/json" },
        body: '{"a":1}',
      }),
    );
    assert.equal(echo.method, "POST");
    assert.equal(echo.headers["x-twixt"], "yes");
    assert.equal(echo.body, '{"a":1}');
  });

  it("fetches bytes with getPageBytes", async () => {
    const bytes = await getPageBytes("/wc/bytes");
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual([...bytes], [0, 1, 2, 253, 254, 255]);
  });

  it("fails with HTTPError for a 404", async () => {
    await assert.rejects(
      getPage("/wc/missing").asPromise(),
      (e: unknown) => e instanceof HTTPError && e.status === 404,
    );
  });

  it("fails with TimeoutError after its timeout on a Clock", async () => {
    const clock = new Clock();
    const d = getPage("/wc/hang", { timeout: 5, reactor: clock });
    const failed = d.asPromise();
    clock.advance(5);
    await assert.rejects(failed, TimeoutError);
  });

  it("fails with CancelledError when cancelled", async () => {
    const d = getPage("/wc/hang");
    d.cancel();
    await assert.rejects(d.asPromise(), CancelledError);
  });

  it("still refuses a URL that is not http(s)", async () => {
    await assert.rejects(getPage("ftp://example.test/").asPromise(), /ftp/);
  });
});

describe("what a browser lacks fails cleanly", () => {
  it("downloadPage fails its Deferred: there are no files to write", async () => {
    await assert.rejects(
      downloadPage("/wc/text", "out.txt").asPromise(),
      (e: unknown) =>
        e instanceof FileSystemNotAvailable &&
        /files are not available in this runtime/.test(e.message),
    );
  });

  it("listenTCP fails with CannotListenError: TCP is not available", async () => {
    await assert.rejects(
      listenTCP(reactor, 0, Factory.forProtocol(Protocol)).asPromise(),
      (e: unknown) =>
        e instanceof CannotListenError &&
        /TCP is not available in this runtime/.test(e.message),
    );
  });

  it("connectTCP fails with ConnectError and tells the factory", async () => {
    const reasons: unknown[] = [];
    class Client extends ClientFactory<Protocol> {
      override protocol = Protocol;
      override clientConnectionFailed(_c: unknown, reason: unknown): void {
        reasons.push(reason);
      }
    }
    await assert.rejects(
      reactor.connectTCP("127.0.0.1", 80, new Client()).asPromise(),
      (e: unknown) =>
        e instanceof ConnectError &&
        /TCP is not available in this runtime/.test(e.message),
    );
    assert.equal(reasons.length, 1);
  });

  it("a TCP endpoint's connect fails the same way", async () => {
    const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 80);
    await assert.rejects(
      endpoint.connect(Factory.forProtocol(Protocol)).asPromise(),
      /TCP is not available in this runtime/,
    );
  });

  it("react settles with the exit code and does not try to exit", async () => {
    const code = await react(
      (r: Reactor) => deferLater(r, 0.001, () => "done"),
      [],
      new Reactor(),
    );
    assert.equal(code, 0);
  });
});

describe("the README snippets", () => {
  it("@twixt/defer: a Deferred in the page", () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.addCallback((x) => x * 2).addCallback((x) => {
      seen.push(x);
    });
    d.callback(21);
    assert.deepEqual(seen, [42]);
    assert.equal(successResultOf(d), undefined);
  });

  it("@twixt/reactor: callLater and LoopingCall on the shared reactor", async () => {
    const ticks: number[] = [];
    const loop = new LoopingCall(() => ticks.push(ticks.length));
    loop.start(0.1); // ticks now, then every 0.1 s
    reactor.callLater(0.35, () => loop.stop());
    await deferLater(reactor, 0.4, () => {});
    assert.equal(loop.running, false);
    assert.ok(ticks.length >= 2);
    const fired = new Deferred<string>();
    reactor.callLater(0.01, () => fired.callback("later"));
    assert.equal(await fired, "later");
  });

  it("@twixt/web-client: getPage with a relative URL", async () => {
    const seen: unknown[] = [];
    await getPage("/data.json")
      .addCallback((text) => seen.push(JSON.parse(text)))
      .addErrback((failure) => seen.push(failure.getErrorMessage()));
    assert.deepEqual(seen, [{ hello: "browser" }]);
  });
});
