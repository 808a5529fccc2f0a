import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Failure } from "@twixt/defer";
import {
  BodyTooLarge,
  HTTPError,
  InfiniteRedirection,
  PageRedirect,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "./mod.ts";

describe("HTTPError", () => {
  it("reads like Twisted's error: status and reason phrase", () => {
    assert.equal(
      String(new HTTPError(404, "Not Found")),
      "HTTPError: 404 Not Found",
    );
  });

  it("uses the standard phrase when the server sent none", () => {
    const e = new HTTPError(503);
    assert.equal(e.statusText, "Service Unavailable");
    assert.equal(e.message, "503 Service Unavailable");
  });

  it("is just the status for a code with no standard phrase", () => {
    assert.equal(new HTTPError(599).message, "599");
  });

  it("carries the body and URL, empty by default", () => {
    const e = new HTTPError(500);
    assert.deepEqual(e.body, new Uint8Array(0));
    assert.equal(e.url, "");
  });

  it("is trapped by a Failure, as errbacks do", () => {
    const f = new Failure(new PageRedirect(301, "http://x/"));
    assert.equal(f.trap(HTTPError), HTTPError);
  });
});

describe("PageRedirect and InfiniteRedirection", () => {
  it("are kinds of HTTPError, as in Twisted", () => {
    assert.ok(new PageRedirect(302, "http://x/") instanceof HTTPError);
    assert.ok(
      new InfiniteRedirection(302, "http://x/", 20) instanceof HTTPError,
    );
  });

  it("name the location in the message only when there is one", () => {
    assert.equal(
      new PageRedirect(303, "http://x/b").message,
      "303 See Other to http://x/b",
    );
    assert.equal(new PageRedirect(304, "").message, "304 Not Modified");
  });

  it("set their names for tracebacks", () => {
    assert.equal(new PageRedirect(302, "").name, "PageRedirect");
    assert.equal(
      new InfiniteRedirection(302, "", 1).name,
      "InfiniteRedirection",
    );
  });
});

describe("the other errors", () => {
  it("SchemeNotSupported names the scheme in lower case", () => {
    const e = new SchemeNotSupported("FTP://host/");
    assert.equal(e.scheme, "ftp:");
    assert.equal(e.url, "FTP://host/");
  });

  it("ResponseFailed keeps the runtime's error as the cause and in the message", () => {
    const cause = new TypeError("terminated", {
      cause: new Error("other side closed"),
    });
    const e = new ResponseFailed("http://x/", cause);
    assert.equal(e.cause, cause);
    assert.equal(
      e.message,
      "Cannot read the whole response from http://x/: terminated: other side closed",
    );
  });

  it("ResponseNeverReceived is a ResponseFailed", () => {
    const e = new ResponseNeverReceived("http://x/", "reset");
    assert.ok(e instanceof ResponseFailed);
    assert.equal(e.name, "ResponseNeverReceived");
    assert.equal(e.message, "Cannot get a response from http://x/: reset");
  });

  it("BodyTooLarge says the length the server announced", () => {
    assert.equal(
      new BodyTooLarge("http://x/", 10, 99).message,
      "Cannot read more than 10 bytes (maxBytes) of the body of http://x/: Content-Length is 99",
    );
  });
});
