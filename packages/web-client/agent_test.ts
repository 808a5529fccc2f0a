import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  type Failure,
  TimeoutError,
} from "@twixt/defer";
import type { IPushProducer } from "@twixt/reactor";
import { Clock } from "@twixt/reactor/task";
import {
  Agent,
  BodyTooLarge,
  InfiniteRedirection,
  readBody,
  Response,
  ResponseDone,
  ResponseFailed,
  SchemeNotSupported,
} from "./mod.ts";
import {
  BIG_SIZE,
  BINARY,
  pattern,
  serve,
  type TestServer,
} from "./testdata/server.ts";
import { errorOf } from "./testdata/failure.ts";
import { rawHTTP } from "./testdata/raw.ts";

let server: TestServer;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("Agent.request", () => {
  it("fires with the response head: code, phrase, headers, length, url", async () => {
    const d = new Agent().request("GET", server.url("/binary"));
    assert.ok(d instanceof Deferred);
    const response = await d;
    assert.ok(response instanceof Response);
    assert.equal(response.code, 200);
    assert.equal(response.phrase, "OK");
    assert.equal(
      response.headers.get("content-type"),
      "application/octet-stream",
    );
    assert.equal(response.length, 512);
    assert.equal(response.url, server.url("/binary"));
    assert.deepEqual(await readBody(response), BINARY);
  });

  it("reports an unknown length as undefined", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/chunked-big"),
    );
    assert.equal(response.length, undefined);
    await readBody(response);
  });

  it("gives length 0 when there is no body, whatever Content-Length says, as Twisted", async () => {
    // A HEAD, a 204 and a 304 have no body: Twisted's Response.length is 0.
    const raw = await rawHTTP((socket, head) => {
      const status = head.includes("/204")
        ? "204 No Content"
        : head.includes("/304")
        ? "304 Not Modified"
        : "200 OK";
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-length: 5\r\nconnection: close\r\n\r\n` +
          (head.startsWith("HEAD") ? "" : "hello"),
      );
    });
    try {
      for (
        const [method, path] of [["HEAD", "head"], ["GET", "204"], [
          "GET",
          "304",
        ]]
      ) {
        const response = await new Agent().request(method!, raw.url + path);
        assert.equal(response.length, 0, `${method} /${path}`);
        assert.equal((await readBody(response)).byteLength, 0);
      }
    } finally {
      await raw.close();
    }
  });

  it("links the redirects followed through previousResponse, as Twisted", async () => {
    const first = server.url("/redirect/302?to=/redirect/307%3Fto%3D/echo");
    const response = await new Agent(null, { followRedirect: true }).request(
      "GET",
      first,
    );
    assert.equal(response.code, 200);
    const hop2 = response.previousResponse;
    assert.equal(hop2?.code, 307);
    assert.equal(hop2?.url, server.url("/redirect/307?to=/echo"));
    assert.equal(hop2?.headers.get("location"), "/echo");
    const hop1 = hop2?.previousResponse;
    assert.equal(hop1?.code, 302);
    assert.equal(hop1?.url, first);
    assert.equal(hop1?.previousResponse, undefined);
    await assert.rejects(
      readBody(hop1!).asPromise(),
      /^Error: Cannot read the body of the response from .*: it was let go to follow its redirect$/,
    );
    await readBody(response);
    const plain = await new Agent().request("GET", first);
    assert.equal(plain.code, 302);
    assert.equal(plain.previousResponse, undefined);
    await readBody(plain);
  });

  it("does not fail on an error status: the caller reads the code", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/status/404?body=gone"),
    );
    assert.equal(response.code, 404);
    assert.equal(response.phrase, "Not Found");
    assert.equal(text(await readBody(response)), "gone");
  });

  it("sends the method, headers and body given", async () => {
    const response = await new Agent().request(
      "PATCH",
      server.url("/echo"),
      { "x-verse": "1" },
      new TextEncoder().encode("patch body"),
    );
    const seen = JSON.parse(text(await readBody(response)));
    assert.equal(seen.method, "PATCH");
    assert.equal(seen.headers["x-verse"], "1");
    assert.equal(seen.body, "patch body");
  });

  it("takes null headers and body, Twisted's None, as none", async () => {
    const none = null as unknown as undefined;
    const response = await new Agent().request(
      "GET",
      server.url("/echo"),
      none,
      none,
    );
    assert.equal(JSON.parse(text(await readBody(response))).method, "GET");
  });

  it("sends the agent option as the User-Agent header", async () => {
    const agent = new Agent(undefined, { agent: "poetry-client/1.0" });
    const response = await agent.request("GET", server.url("/echo"));
    assert.equal(
      JSON.parse(text(await readBody(response))).headers["user-agent"],
      "poetry-client/1.0",
    );
  });

  it("does not follow redirects by default, as Twisted's Agent", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/redirect/302?to=/text"),
    );
    assert.equal(response.code, 302);
    assert.equal(response.headers.get("location"), "/text");
    await readBody(response);
  });

  it("follows redirects with followRedirect, up to redirectLimit", async () => {
    const agent = new Agent(undefined, {
      followRedirect: true,
      redirectLimit: 3,
    });
    const response = await agent.request("GET", server.url("/chain/3"));
    assert.equal(response.code, 200);
    assert.equal(response.url, server.url("/chain/0"));
    assert.equal(text(await readBody(response)), "end of chain");
    await errorOf(
      agent.request("GET", server.url("/chain/4")),
      InfiniteRedirection,
    );
  });

  it("fails with SchemeNotSupported for a file: URL, without throwing", async () => {
    await errorOf(
      new Agent().request("GET", "file:///etc/passwd"),
      SchemeNotSupported,
    );
  });

  it("times out waiting for the response head with the reactor given", async () => {
    const clock = new Clock();
    const d = new Agent(clock, { timeout: 2 }).request(
      "GET",
      server.url("/hang?a=1"),
    );
    await server.arrived("/hang?a=1");
    clock.advance(2);
    await errorOf(d, TimeoutError);
    await server.closed("/hang?a=1");
  });

  it("keeps its timer past the head, and stops it once the body is read", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 2 }).request(
      "GET",
      server.url("/text"),
    );
    assert.equal(clock.getDelayedCalls().length, 1);
    await readBody(response);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("stops its timer with the head when there is no body", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 2 }).request(
      "HEAD",
      server.url("/text"),
    );
    assert.equal(clock.getDelayedCalls().length, 0);
    await readBody(response);
  });

  it("aborts the request when cancelled", async () => {
    const d = new Agent().request("GET", server.url("/hang?a=2"));
    await server.arrived("/hang?a=2");
    d.cancel();
    await errorOf(d, CancelledError);
    await server.closed("/hang?a=2");
  });
});

describe("readBody", () => {
  it("can be added as a callback to the request", async () => {
    const body = await new Agent().request("GET", server.url("/text"))
      .addCallback(readBody);
    assert.equal(text(body), "hello");
  });

  it("fails when the body is read twice", async () => {
    const response = await new Agent().request("GET", server.url("/text"));
    await readBody(response);
    const e = await errorOf(readBody(response), Error);
    assert.match(
      e.message,
      /^Cannot read the body of the response from .* twice$/,
    );
  });

  it("fails with TypeError for something that is not a Response", async () => {
    await errorOf(readBody({} as Response), TypeError);
  });

  it("fails with ResponseFailed when the body is cut off", async () => {
    const response = await new Agent().request("GET", server.url("/truncated"));
    await errorOf(readBody(response), ResponseFailed);
  });

  it("fails with BodyTooLarge past the agent's maxBytes", async () => {
    const response = await new Agent(undefined, { maxBytes: 100 }).request(
      "GET",
      server.url("/chunked-big?r=1"),
    );
    const e = await errorOf(readBody(response), BodyTooLarge);
    assert.equal(e.maxBytes, 100);
    await server.closed("/chunked-big?r=1");
  });

  it("closes the connection at once when cancelled", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/slow-body?r=2"),
    );
    const d = readBody(response);
    d.cancel();
    await errorOf(d, CancelledError);
    await server.closed("/slow-body?r=2");
  });
});

// A body protocol that records what it is given; `ended` settles with the
// reason passed to connectionLost.
class Recorder {
  chunks: Uint8Array[] = [];
  producer: IPushProducer | undefined;
  reasons: Failure[] = [];
  ended: Promise<Failure>;
  #end: (f: Failure) => void = () => {};
  constructor(readonly onData: (r: Recorder) => void = () => {}) {
    this.ended = new Promise((resolve) => (this.#end = resolve));
  }
  makeConnection(producer: IPushProducer): void {
    this.producer = producer;
  }
  dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    this.onData(this);
  }
  connectionLost(reason: Failure): void {
    this.reasons.push(reason);
    this.#end(reason);
  }
  get bytes(): Uint8Array {
    const out = new Uint8Array(
      this.chunks.reduce((n, c) => n + c.byteLength, 0),
    );
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

describe("Response.deliverBody", () => {
  it("delivers the body chunk by chunk, then ResponseDone", async () => {
    const response = await new Agent().request("GET", server.url("/big?d=1"));
    const r = new Recorder();
    response.deliverBody(r);
    const reason = await r.ended;
    assert.ok(reason.check(ResponseDone));
    assert.equal(r.reasons.length, 1);
    assert.ok(r.producer !== undefined);
    assert.ok(r.chunks.length > 1);
    assert.deepEqual(r.bytes, pattern(BIG_SIZE));
  });

  it("holds the reading while paused and goes on when resumed", async () => {
    const response = await new Agent().request("GET", server.url("/big?d=2"));
    let pausedAt = -1;
    const r = new Recorder((rec) => {
      if (pausedAt < 0) {
        pausedAt = rec.chunks.length;
        rec.producer!.pauseProducing();
      }
    });
    response.deliverBody(r);
    while (pausedAt < 0) await new Promise((res) => setTimeout(res, 5));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.chunks.length, pausedAt);
    assert.equal(r.reasons.length, 0);
    r.producer!.resumeProducing();
    const reason = await r.ended;
    assert.ok(reason.check(ResponseDone));
    assert.deepEqual(r.bytes, pattern(BIG_SIZE));
  });

  it("closes the connection and delivers no more on stopProducing", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/slow-body?d=3"),
    );
    const r = new Recorder((rec) => rec.producer!.stopProducing());
    response.deliverBody(r);
    const reason = await r.ended;
    assert.ok(reason.check(CancelledError));
    assert.equal(r.chunks.length, 1);
    await server.closed("/slow-body?d=3");
  });

  it("ends with the error dataReceived threw, and closes the connection", async () => {
    const response = await new Agent().request(
      "GET",
      server.url("/slow-body?d=4"),
    );
    const r = new Recorder(() => {
      throw new RangeError("Cannot take this chunk");
    });
    response.deliverBody(r);
    const reason = await r.ended;
    assert.ok(reason.check(RangeError));
    await server.closed("/slow-body?d=4");
  });

  it("ends with ResponseFailed when the body is cut off", async () => {
    const response = await new Agent().request("GET", server.url("/truncated"));
    const r = new Recorder();
    response.deliverBody(r);
    assert.ok((await r.ended).check(ResponseFailed));
  });

  it("refuses a body that was already read", async () => {
    const response = await new Agent().request("GET", server.url("/text"));
    assert.equal(text(await readBody(response)), "hello");
    const r = new Recorder();
    response.deliverBody(r);
    const reason = await r.ended;
    assert.match(reason.getErrorMessage(), /twice/);
    assert.equal(r.chunks.length, 0);
  });
});

// Issue 10 item 9: an Agent's timeout bounds the whole exchange, body
// included, whichever way the body is read; no stall escapes it.
describe("Agent timeout", () => {
  it("fails readBody with TimeoutError when the body stalls", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 1 }).request(
      "GET",
      server.url("/slow-body?t=1"),
    );
    const d = readBody(response);
    clock.advance(1);
    const e = await errorOf(d, TimeoutError);
    assert.equal(e.timeout, 1);
    await server.closed("/slow-body?t=1");
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("counts from the request, not from readBody", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 2 }).request(
      "GET",
      server.url("/slow-body?t=2"),
    );
    clock.advance(1.5);
    const d = readBody(response);
    clock.advance(0.5);
    await errorOf(d, TimeoutError);
    await server.closed("/slow-body?t=2");
  });

  it("fails readBody at once when the time ran out before it was called", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 1 }).request(
      "GET",
      server.url("/slow-body?t=3"),
    );
    clock.advance(1);
    await server.closed("/slow-body?t=3"); // an unread body is let go
    await errorOf(readBody(response), TimeoutError);
  });

  it("ends deliverBody with TimeoutError, even while paused", async () => {
    const clock = new Clock();
    const response = await new Agent(clock, { timeout: 1 }).request(
      "GET",
      server.url("/slow-body?t=4"),
    );
    const r = new Recorder((rec) => rec.producer!.pauseProducing());
    response.deliverBody(r);
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (r.chunks.length > 0) resolve();
        else setTimeout(wait, 5);
      };
      wait();
    });
    clock.advance(1);
    const reason = await r.ended;
    assert.ok(reason.check(TimeoutError), reason.getTraceback());
    await server.closed("/slow-body?t=4");
  });

  it("bounds a real stalled body with a short real timeout", async () => {
    const response = await new Agent(undefined, { timeout: 0.2 }).request(
      "GET",
      server.url("/slow-body?t=5"),
    );
    await errorOf(readBody(response), TimeoutError);
    await server.closed("/slow-body?t=5");
  });

  it("rejects a bad timeout at construction, as Twisted's Agent does", () => {
    for (const timeout of ["5", [5], true, {}]) {
      assert.throws(
        () => new Agent(undefined, { timeout } as never),
        TypeError,
      );
    }
    for (const timeout of [NaN, -1, Infinity]) {
      assert.throws(() => new Agent(undefined, { timeout }), RangeError);
    }
    assert.throws(() => new Agent({ timeout: 1 } as never), TypeError);
  });
});
