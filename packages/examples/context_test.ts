// Two simulated requests at once, each with its id in an AsyncLocalStorage,
// through getPage, reactor.callLater and inlineCallbacks: neither ever sees
// the other's id. It spans three packages, hence here.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Deferred, gatherResults, inlineCallbacks } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";

const requestId = new AsyncLocalStorage<string>();

describe("two concurrent requests through getPage, callLater and inlineCallbacks", () => {
  let server: Server;
  let base: string;
  // The server answers /slow only after /fast has been answered, so the
  // two requests' responses, and the work after them, interleave.
  let fastAnswered: Deferred<void>;

  before(async () => {
    fastAnswered = new Deferred<void>();
    server = createServer((req, res) => {
      const send = (): void => {
        res.end(req.url);
      };
      if (req.url === "/slow") fastAnswered.addCallback(send);
      else {
        send();
        res.on("finish", () => fastAnswered.callback());
      }
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve)
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("each request sees only its own id, at every step", async () => {
    const seen: string[] = [];
    const note = (step: string): void => {
      seen.push(`${requestId.getStore()} ${step}`);
    };
    const handle = inlineCallbacks(function* (path: string) {
      note(`start ${path}`);
      const body: string = yield getPage(`${base}${path}`);
      note(`page ${body}`);
      yield new Promise<void>((resolve) =>
        reactor.callLater(path === "/slow" ? 0 : 0.01, () => {
          note(`callLater ${path}`);
          resolve();
        })
      );
      note(`end ${path}`);
    });
    await gatherResults([
      requestId.run("id-slow", () => handle("/slow")),
      requestId.run("id-fast", () => handle("/fast")),
    ]);
    const byId = (id: string): string[] =>
      seen.filter((s) => s.startsWith(`${id} `)).map((s) =>
        s.slice(id.length + 1)
      );
    assert.deepEqual(byId("id-slow"), [
      "start /slow",
      "page /slow",
      "callLater /slow",
      "end /slow",
    ]);
    assert.deepEqual(byId("id-fast"), [
      "start /fast",
      "page /fast",
      "callLater /fast",
      "end /fast",
    ]);
    assert.equal(seen.length, 8, seen.join("\n"));
  });
});
