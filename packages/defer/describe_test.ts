import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  CancelledError,
  Deferred,
  describeDeferred,
  fail,
  Failure,
  formatDeferred,
  succeed,
} from "./mod.ts";

const ID = /#(\d+)/g;
const ids = (s: string): string => s.replace(ID, "#N");

describe("describeDeferred", () => {
  it("describes an unfired Deferred and its chain", () => {
    const d = new Deferred<number>()
      .addCallback(function double(n) {
        return n * 2;
      })
      .addErrback(function recover() {
        return 0;
      })
      .addBoth(function log(r) {
        return r;
      })
      .addCallbacks(function ok(r) {
        return r;
      }, function bad(f) {
        return f;
      });
    const about = describeDeferred(d);
    assert.equal(about.state, "pending");
    assert.equal(about.called, false);
    assert.equal("result" in about, false);
    assert.equal(about.next, 0);
    assert.deepEqual(about.entries, [
      { kind: "callback", callback: "double", ran: false },
      { kind: "errback", errback: "recover", ran: false },
      { kind: "both", callback: "log", ran: false },
      { kind: "callbacks", callback: "ok", errback: "bad", ran: false },
    ]);
    d.callback(1);
    assert.equal(describeDeferred(d).state, "done");
    assert.deepEqual(describeDeferred(d).entries, []);
    assert.equal(describeDeferred(d).result, 2);
  });

  it("gives the single-entry forms too", () => {
    const one = new Deferred().addErrback(() => 1);
    assert.deepEqual(describeDeferred(one).entries, [
      { kind: "errback", errback: "(anonymous)", ran: false },
    ]);
    one.callback(5);
  });

  it("marks what ran while the chain runs, and what it waits on", () => {
    const inner = new Deferred<string>();
    const seen: string[] = [];
    const d = new Deferred<number>();
    d.addCallback(function first() {
      const now = describeDeferred(d);
      seen.push(now.state, String(now.next), String(now.entries[0]!.ran));
      return inner;
    }).addCallback(function second(s: string) {
      return s + "!";
    });
    d.callback(1);
    assert.deepEqual(seen, ["running", "1", "true"]);
    const about = describeDeferred(d);
    assert.equal(about.state, "waiting");
    assert.equal(about.waitingOn, inner);
    assert.equal(about.paused, 1);
    const innerAbout = describeDeferred(inner);
    assert.equal(innerAbout.entries[0]!.kind, "chained");
    assert.equal(innerAbout.entries[0]!.waiter, d);
    inner.callback("ok");
    assert.equal(d.result, "ok!");
  });

  it("tells a paused Deferred from a done one", () => {
    const d = new Deferred<number>();
    d.pause();
    d.callback(3);
    assert.equal(describeDeferred(d).state, "paused");
    d.unpause();
    assert.equal(describeDeferred(d).state, "done");
  });

  it("refuses what is not a Deferred with a TypeError", () => {
    assert.throws(
      () => describeDeferred({} as Deferred<unknown>),
      /^TypeError: Cannot describe \{\}: it is not a Deferred$/,
    );
  });
});

describe("printing a Deferred", () => {
  it("reads like Twisted's repr", () => {
    assert.equal(ids(formatDeferred(new Deferred())), "<Deferred #N>");
    assert.equal(
      ids(formatDeferred(succeed(5))),
      "<Deferred #N current result: 5>",
    );
    const f = fail(new Error("Boom"));
    assert.equal(
      ids(formatDeferred(f)),
      "<Deferred #N current result: [Failure instance: Error: Boom]>",
    );
    f.addErrback(() => {});
  });

  it("names the Deferred waited on, and what is left to run", () => {
    const inner = new Deferred();
    const d = succeed(1).addCallback(() => inner).addErrback(
      function onError() {},
    );
    const text = formatDeferred(d);
    const [own, other] = [...text.matchAll(ID)].map((m) => m[1]);
    assert.equal(
      text,
      `<Deferred #${own} waiting on Deferred #${other}; to run: onError (errback)>`,
    );
    assert.equal(
      formatDeferred(inner),
      `<Deferred #${other} to run: result to Deferred #${own}>`,
    );
    inner.callback(2);
    assert.equal(
      ids(formatDeferred(d)),
      "<Deferred #N current result: 2>",
    );
  });

  it("is what util.inspect (and so console.log) prints", () => {
    const d = succeed("x");
    const n = describeDeferred(d).id;
    assert.equal(inspect(d), `<Deferred #${n} current result: 'x'>`);
    assert.equal(
      inspect({ d }),
      `{ d: <Deferred #${n} current result: 'x'> }`,
    );
  });

  it("is what Deno.inspect prints, on Deno", (t) => {
    const deno = (globalThis as {
      Deno?: { inspect(v: unknown): string };
    }).Deno;
    if (deno === undefined) return t.skip("not on Deno");
    const d = succeed(7);
    const n = describeDeferred(d).id;
    assert.equal(deno.inspect(d), `<Deferred #${n} current result: 7>`);
  });

  it("shows a cancelled Deferred's Failure", () => {
    const d = new Deferred();
    d.cancel();
    assert.ok(d.result instanceof Failure);
    assert.match(formatDeferred(d), /CancelledError/);
    (d.result as Failure).trap(CancelledError);
    d.addErrback(() => {});
  });
});
