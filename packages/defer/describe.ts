/**
 * Describing a Deferred for debugging: its state, its current result, what
 * it waits on and the entries of its chain ({@linkcode describeDeferred}),
 * and the one-line form that `console.log`, `util.inspect` and
 * `Deno.inspect` print ({@linkcode formatDeferred}), as Twisted's `repr`.
 *
 * Nothing here runs unless asked: the Deferred leaves a reader of its
 * private state once, when its class is defined (_peek.ts).
 *
 * @module
 */
import { Deferred, passthru } from "./deferred.ts";
import { Failure } from "./failure.ts";
import { describeValue } from "./_validate.ts";
import { peek } from "./_peek.ts";

// Printing a Deferred on Node, Bun and Deno: one method under the runtimes'
// shared symbols, so no runtime is imported. Node and Bun call it with
// (depth, options, inspect), Deno with (inspect, options). Browser consoles
// read neither: a bundle that does not describe Deferreds leaves this
// module out (package.json sideEffects).
function inspectDeferred(
  this: Deferred<unknown>,
  a: unknown,
  options: unknown,
  c: unknown,
): string {
  const inspect = (typeof a === "function" ? a : c) as
    | ((v: unknown, o: unknown) => string)
    | undefined;
  return formatDeferred(this, (v) => inspect ? inspect(v, options) : "");
}
for (const key of ["nodejs.util.inspect.custom", "Deno.customInspect"]) {
  Object.defineProperty(Deferred.prototype, Symbol.for(key), {
    value: inspectDeferred,
    configurable: true,
    writable: true,
  });
}

/**
 * One entry of a Deferred's chain, as {@linkcode describeDeferred} gives it.
 *
 * @example Usage
 * ```ts
 * import { Deferred, describeDeferred, type ChainEntry } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const d = new Deferred<number>().addCallback(function double(n) { return n * 2; });
 * const entry: ChainEntry = describeDeferred(d).entries[0]!;
 * assert.equal(entry.kind, "callback");
 * assert.equal(entry.callback, "double");
 * ```
 */
export interface ChainEntry {
  /**
   * `"callback"` (addCallback: failures pass by), `"errback"` (addErrback:
   * results pass by), `"both"` (addBoth: one function for both),
   * `"callbacks"` (addCallbacks: a pair), or `"chained"` (hands the
   * result to the Deferred in `waiter`, which is waiting on this one).
   */
  kind: "callback" | "errback" | "both" | "callbacks" | "chained";
  /** The name of the function run on a result, if any ("(anonymous)"). */
  callback?: string;
  /** The name of the function run on a Failure, if any. */
  errback?: string;
  /** For `"chained"`: the Deferred that waits for this one's result. */
  waiter?: Deferred<unknown>;
  /** Whether the entry has run (or been passed by). */
  ran: boolean;
}

/**
 * What {@linkcode describeDeferred} tells about a Deferred.
 *
 * @example Usage
 * ```ts
 * import { describeDeferred, succeed, type DeferredDescription } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const about: DeferredDescription = describeDeferred(succeed(5));
 * assert.equal(about.state, "done");
 * assert.equal(about.result, 5);
 * ```
 */
export interface DeferredDescription {
  /** A number that names this Deferred in printed descriptions. */
  id: number;
  /**
   * `"pending"`: not fired yet. `"running"`: inside one of its own
   * callbacks. `"waiting"`: paused on the Deferred in `waitingOn`, which a
   * callback returned. `"paused"`: paused by `pause()`. `"done"`: fired,
   * and every entry has run.
   */
  state: "pending" | "running" | "waiting" | "paused" | "done";
  /** Whether `callback` or `errback` has been called. */
  called: boolean;
  /** As {@linkcode Deferred.paused}. */
  paused: number;
  /** The current result (a Failure on the errback path), once fired. */
  result?: unknown;
  /** The Deferred this one waits on, in state `"waiting"`. */
  waitingOn?: Deferred<unknown>;
  /**
   * The entries the chain still holds, in order: those that have run are
   * listed (`ran: true`) until the chain reaches its end and lets them go,
   * as Twisted's does; those to run follow.
   */
  entries: ChainEntry[];
  /** The index in `entries` of the next entry to run, or -1 if none. */
  next: number;
}

// A number per Deferred, given the first time one is described.
const ids = new WeakMap<object, number>();
let lastId = 0;

function idOf(d: object): number {
  let id = ids.get(d);
  if (id === undefined) ids.set(d, id = ++lastId);
  return id;
}

function nameOf(fn: unknown): string {
  return typeof fn === "function" && fn.name ? fn.name : "(anonymous)";
}

function entryOf(
  callback: unknown,
  errback: unknown,
  ran: boolean,
  cont: unknown,
): ChainEntry {
  let entry: ChainEntry;
  if (callback === cont) {
    entry = { kind: "chained", waiter: errback as Deferred<unknown>, ran };
  } else if (errback === passthru) {
    entry = { kind: "callback", callback: nameOf(callback), ran };
  } else if (callback === passthru) {
    entry = { kind: "errback", errback: nameOf(errback), ran };
  } else if (callback === errback) {
    entry = { kind: "both", callback: nameOf(callback), ran };
  } else {
    entry = {
      kind: "callbacks",
      callback: nameOf(callback),
      errback: nameOf(errback),
      ran,
    };
  }
  return entry;
}

/**
 * Describes a Deferred's state and chain: whether it has fired, its
 * current result, what it waits on, which entries have run and which is
 * next. For debugging and teaching; it changes nothing.
 *
 * @param d A Deferred of this copy of `@twixt/defer`.
 * @returns A fresh description (a snapshot: it does not follow changes).
 * @throws {TypeError} if `d` is not a Deferred of this copy.
 * @example Usage
 * ```ts
 * import { Deferred, describeDeferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const inner = new Deferred<string>();
 * const d = new Deferred<number>();
 * d.addCallback(function fetchName() { return inner; })
 *   .addCallback(function shout(s: string) { return s.toUpperCase(); });
 * d.callback(1);
 *
 * const about = describeDeferred(d);
 * assert.equal(about.state, "waiting");
 * assert.equal(about.waitingOn, inner);
 * assert.deepEqual(about.entries.map((e) => [e.callback, e.ran]), [
 *   ["fetchName", true],
 *   ["shout", false],
 * ]);
 * assert.equal(about.next, 1);
 *
 * inner.callback("ok");
 * assert.equal(describeDeferred(d).state, "done");
 * assert.equal(d.result, "OK");
 * ```
 */
export function describeDeferred(d: Deferred<unknown>): DeferredDescription {
  let p: ReturnType<NonNullable<typeof peek>> | undefined;
  try {
    p = peek?.(d);
  } catch {
    // Not a Deferred of this copy: the reader cannot see its fields.
  }
  if (p === undefined) {
    throw new TypeError(
      `Cannot describe ${describeValue(d)}: it is not a Deferred`,
    );
  }
  const head = p.entries[0] as number;
  const entries: ChainEntry[] = [];
  for (let i = 1; i + 1 < p.entries.length; i += 2) {
    entries.push(entryOf(p.entries[i], p.entries[i + 1], i < head, p.cont));
  }
  const next = entries.findIndex((e) => !e.ran);
  const result = d.result;
  const waiting = p.called && isDeferredLike(result);
  const state = !p.called
    ? "pending"
    : p.running
    ? "running"
    : waiting
    ? "waiting"
    : p.paused > 0
    ? "paused"
    : "done";
  const about: DeferredDescription = {
    id: idOf(d),
    state,
    called: p.called,
    paused: p.paused,
    entries,
    next,
  };
  if (p.called && !waiting) about.result = result;
  if (waiting) about.waitingOn = result as Deferred<unknown>;
  return about;
}

function isDeferredLike(x: unknown): boolean {
  return typeof x === "object" && x !== null &&
    (x as Record<symbol, unknown>)[Symbol.for("twixt.deferred")] === true;
}

/**
 * The one-line form of a Deferred that printing it shows, as Twisted's
 * `repr`: `<Deferred #1>` unfired, `<Deferred #1 current result: 5>`,
 * `<Deferred #1 waiting on Deferred #2>`, followed by the entries still to
 * run, if any (`<Deferred #1 waiting on Deferred #2; to run: shout,
 * onError (errback)>`).
 *
 * @param d The Deferred.
 * @param show How to show the current result (default: short JSON, a
 * Failure as its `toString`); `util.inspect` passes its own.
 * @returns The description.
 * @example Usage
 * ```ts
 * import { Deferred, formatDeferred, succeed } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const d = succeed(5);
 * assert.match(formatDeferred(d), /^<Deferred #\d+ current result: 5>$/);
 *
 * const pending = new Deferred<number>().addCallback(function double(n) { return n * 2; });
 * assert.match(formatDeferred(pending), /^<Deferred #\d+ to run: double>$/);
 * // console.log(d) prints the same, on Deno, Bun and Node.
 * ```
 */
export function formatDeferred(
  d: Deferred<unknown>,
  show?: (value: unknown) => string,
): string {
  const about = describeDeferred(d);
  let text = `<Deferred #${about.id}`;
  if (about.waitingOn !== undefined) {
    text += ` waiting on Deferred #${idOf(about.waitingOn)};`;
  } else if (about.called) {
    const r = about.result;
    const shown = r instanceof Failure
      ? r.toString()
      : (show?.(r) || describeValue(r));
    text += ` current result: ${shown};`;
  }
  const toRun = about.entries.filter((e) => !e.ran).map(entryText);
  if (toRun.length > 0) text += ` to run: ${toRun.join(", ")}`;
  return `${text.replace(/;$/, "")}>`;
}

function entryText(e: ChainEntry): string {
  switch (e.kind) {
    case "callback":
      return e.callback!;
    case "errback":
      return `${e.errback} (errback)`;
    case "both":
      return `${e.callback} (both)`;
    case "callbacks":
      return `${e.callback} / ${e.errback}`;
    case "chained":
      return `result to Deferred #${idOf(e.waiter!)}`;
  }
}
