// Issue 10 item 3: every option of every entry point is checked before any
// I/O; a bad value fails the returned Deferred (or, for a constructor,
// throws) with a TypeError or RangeError naming the option and the value,
// and nothing is sent.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred, type Failure } from "@twixt/defer";
import { Clock } from "@twixt/reactor/task";
import {
  Agent,
  downloadPage,
  getPage,
  getPageBytes,
  readBody,
  type Response,
} from "./mod.ts";
import { rawHTTP, type RawServer } from "./testdata/raw.ts";
import { show } from "./_options.ts";

let server: RawServer;
before(async () => {
  server = await rawHTTP();
});
after(async () => {
  await server.close();
});

type ErrorClass = typeof TypeError | typeof RangeError;
// [option, bad value, error class]
const BAD: Array<[string, unknown, ErrorClass]> = [
  ["timeout", "5", TypeError],
  ["timeout", [5], TypeError],
  ["timeout", true, TypeError],
  ["timeout", {}, TypeError],
  ["timeout", NaN, RangeError],
  ["timeout", -1, RangeError],
  ["timeout", Infinity, RangeError],
  ["followRedirect", "yes", TypeError],
  ["followRedirect", 1, TypeError],
  ["redirectLimit", "3", TypeError],
  ["redirectLimit", -1, RangeError],
  ["redirectLimit", 1.5, RangeError],
  ["redirectLimit", NaN, RangeError],
  ["maxBytes", "10", TypeError],
  ["maxBytes", -1, RangeError],
  ["maxBytes", Infinity, RangeError],
  ["agent", 5, TypeError],
  ["agent", "twixt\r\nX-Evil: 1", TypeError],
];
// Options only the page functions take.
const PAGE_BAD: Array<[string, unknown, ErrorClass]> = [
  ...BAD,
  ["method", 5, TypeError],
  ["method", "GE T", TypeError],
  ["method", "GET\r\nX-Evil: 1", TypeError],
  ["headers", "x-a: 1", TypeError],
  ["headers", { "x-a": 5 }, TypeError],
  ["headers", { "bad name": "v" }, TypeError],
  ["headers", { "x-a": "a\r\nX-Evil: 1" }, TypeError],
  ["body", 5, TypeError],
  ["body", {}, TypeError],
  ["reactor", {}, TypeError],
  ["reactor", "clock", TypeError],
];

// The error `d` failed with: it must have failed before being returned.
function failedAt(d: Deferred<unknown>, type: ErrorClass): Error {
  assert.ok(d instanceof Deferred);
  assert.ok(d.called, "the Deferred must be failed when returned");
  let failure: Failure | undefined;
  d.addErrback((f: Failure) => {
    failure = f;
  });
  assert.ok(failure, "the Deferred must have failed");
  assert.ok(
    failure.value instanceof type,
    `expected a ${type.name}, got ${failure.getTraceback()}`,
  );
  return failure.value as Error;
}

// The message names the option and shows the value (not for headers: a
// header's value may be a secret).
function names(e: Error, option: string, value: unknown): void {
  if (option === "headers" || option === "method" || option === "body") {
    return;
  }
  assert.ok(e.message.includes(option), e.message);
  assert.ok(e.message.includes(show(value)), e.message);
}

const page = {
  getPage: (o: unknown) => getPage(server.url, o as never),
  getPageBytes: (o: unknown) => getPageBytes(server.url, o as never),
  downloadPage: (o: unknown) =>
    downloadPage(server.url, "/nonexistent-dir/never-written", o as never),
};

describe("bad options", () => {
  for (const [fn, call] of Object.entries(page)) {
    for (const [option, value, type] of PAGE_BAD) {
      it(`${fn} fails with ${type.name} for ${option} ${show(value)}`, () => {
        const e = failedAt(call({ [option]: value }), type);
        names(e, option, value);
      });
    }
    for (const opts of ["x", 5, [1], true]) {
      it(`${fn} fails with TypeError for options ${show(opts)}`, () => {
        failedAt(call(opts), TypeError);
      });
    }
  }

  for (const [option, value, type] of BAD) {
    it(`new Agent throws ${type.name} for ${option} ${show(value)}`, () => {
      assert.throws(() => new Agent(undefined, { [option]: value }), type);
    });
  }

  it("new Agent throws TypeError for a reactor that is not a clock", () => {
    assert.throws(() => new Agent({} as never), TypeError);
    assert.throws(() => new Agent("reactor" as never), TypeError);
    assert.throws(() => new Agent(undefined, 5 as never), TypeError);
    new Agent(new Clock()); // a Clock is a clock
    new Agent(null, {}); // null is Twisted's None
  });

  const REQUEST_BAD: Array<[string, unknown[], ErrorClass]> = [
    ["method", [5, server?.url], TypeError],
    ["method", ["GET\r\nX: 1", undefined], TypeError],
    ["uri", ["GET", 42], TypeError],
    ["uri", ["GET", "http://127.0.0.1/a\r\nX-Evil: 1"], TypeError],
    ["uri", ["GET", "not a url"], TypeError],
    ["headers", ["GET", undefined, { "x-a": "a\nb" }], TypeError],
    ["headers", ["GET", undefined, "x"], TypeError],
    ["body", ["POST", undefined, {}, 5], TypeError],
    ["body", ["GET", undefined, {}, "x"], TypeError],
  ];
  for (const [what, args, type] of REQUEST_BAD) {
    it(`Agent.request fails with ${type.name} for a bad ${what} ${show(args)}`, () => {
      const a = [...args];
      if (a[1] === undefined) a[1] = server.url;
      failedAt(
        (new Agent().request as (...x: unknown[]) => Deferred<unknown>)(...a),
        type,
      );
    });
  }

  it("readBody fails with TypeError for something that is not a Response", () => {
    for (const x of [undefined, null, {}, "body"]) {
      failedAt(readBody(x as unknown as Response), TypeError);
    }
  });

  it("downloadPage fails with TypeError for a file that is not a path", () => {
    for (const file of ["", 5, undefined, {}]) {
      failedAt(downloadPage(server.url, file as string), TypeError);
    }
  });

  it("never shows a header's value in the message", () => {
    const e = failedAt(
      getPage(server.url, {
        headers: { authorization: "Basic s3cr3t\r\nX-Evil: 1" },
      }),
      TypeError,
    );
    assert.ok(!e.message.includes("s3cr3t"), e.message);
    assert.match(e.message, /authorization/);
  });

  it("took none of these to the network: the server saw only a good request", async () => {
    await getPage(server.url);
    assert.equal(server.connections, 1);
    assert.equal(server.heads.length, 1);
    await server.allClosed();
  });
});

describe("bad response protocols", () => {
  it("deliverBody throws TypeError and leaves the body readable", async () => {
    const response = await new Agent().request("GET", server.url);
    assert.throws(() => response.deliverBody({} as never), TypeError);
    assert.throws(() => response.deliverBody(undefined as never), TypeError);
    assert.equal(new TextDecoder().decode(await readBody(response)), "ok");
  });
});
