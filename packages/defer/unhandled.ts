/**
 * Reporting of failures nobody handled, and the debugging switch.
 *
 * As in Twisted, a Deferred whose chain ends on a Failure is not an error
 * yet: an errback may still be added. It becomes one when the Deferred is
 * garbage-collected still holding the Failure (a FinalizationRegistry
 * notices that), or when the program exits with the Deferred still holding
 * it; either way it is reported once, through a replaceable logger. The report
 * holds a detached copy of the Failure (same class, message and traceback),
 * since an Error keeps the stack frames that ran the chain, and with them
 * the Deferred, alive.
 *
 * @module
 */

import { _setCaptureStacks, Failure } from "./failure.ts";

/**
 * Receives each reported failure: unhandled ones (with `message`
 * "Unhandled error in Deferred:") and those passed to
 * {@linkcode logError}.
 *
 * @example Usage
 * ```ts
 * import { type FailureLogger, Failure, logError, setFailureLogger } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const toLines: FailureLogger = (message, f) => {
 *   lines.push(`${message} ${f.getErrorMessage()}`);
 * };
 * const previous = setFailureLogger(toLines);
 * logError(new Failure(new Error("Disk full")));
 * setFailureLogger(previous);
 * assert.equal(lines.length, 1);
 * assert.match(lines[0]!, /Disk full$/);
 * ```
 */
export type FailureLogger = (message: string, failure: Failure) => void;

const defaultLogger: FailureLogger = (message, failure) => {
  console.error(`${message}\n${failure.getTraceback()}`);
};

let logger: FailureLogger = defaultLogger;
const observers = new Set<FailureLogger>();

/**
 * Replaces the logger of reported failures and returns the previous one;
 * with no argument, restores the default, which prints to `console.error`.
 *
 * @example Usage
 * ```ts
 * import { Failure, logError, setFailureLogger } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const previous = setFailureLogger((_message, f) => seen.push(f.getErrorMessage()));
 * logError(new Failure(new Error("Disk full")));
 * setFailureLogger(previous);
 * assert.deepEqual(seen, ["Disk full"]);
 * ```
 */
export function setFailureLogger(fn?: FailureLogger): FailureLogger {
  const previous = logger;
  logger = fn ?? defaultLogger;
  return previous;
}

/** @internal Observers see every report whatever the logger; used by testing.ts. */
export function _observeFailures(fn: FailureLogger): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

/** @internal Sends one report to the logger and the observers. */
export function _report(message: string, failure: Failure): void {
  for (const o of observers) o(message, failure);
  try {
    logger(message, failure);
  } catch (e) {
    // A broken logger must not lose the report.
    console.error(message, failure.getTraceback(), e);
  }
}

/**
 * Reports `failure` as an error (through the failure logger) and returns it
 * unchanged, so it can be added as an errback that logs and passes on.
 * `why` says what failed, as the second argument of Twisted's `log.err`
 * does: `d.addErrback(logError, "Cannot save the page")`.
 *
 * @param failure The failure to report.
 * @param why The message the report starts with.
 * @example Usage
 * ```ts
 * import { Deferred, logError, setFailureLogger } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const previous = setFailureLogger(() => {});
 * const d = new Deferred<number>();
 * d.addErrback(logError).addErrback(() => 0);
 * d.errback(new Error("Lost"));
 * setFailureLogger(previous);
 * assert.equal(d.result, 0);
 * ```
 */
export function logError(
  failure: Failure,
  why: string = "Unhandled Error",
): Failure {
  _report(why, failure);
  return failure;
}

let debugging = false;

/**
 * Turns Deferred debugging on or off. When on, each Deferred records the
 * stack where it was created and where it was first fired; both appear in
 * {@linkcode AlreadyCalledError} messages and unhandled-error reports, and
 * failures of non-Error values keep the stack where they were made. Costly:
 * for finding bugs, not for production.
 *
 * @example Usage
 * ```ts
 * import { AlreadyCalledError, Deferred, setDebugging } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * setDebugging(true);
 * const d = new Deferred<number>();
 * d.callback(1);
 * assert.throws(() => d.callback(2), (e: AlreadyCalledError) => e.message.includes("First invoker was"));
 * setDebugging(false);
 * ```
 */
export function setDebugging(on: boolean): void {
  debugging = on;
  _setCaptureStacks(on);
}

/**
 * Whether Deferred debugging is on; see {@linkcode setDebugging}.
 *
 * @example Usage
 * ```ts
 * import { getDebugging } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getDebugging(), false);
 * ```
 */
export function getDebugging(): boolean {
  return debugging;
}

/**
 * @internal What a Deferred keeps for reporting: the Failure its chain ended
 * on (if it did) and, when debugging, its creation and first-fire stacks.
 * It holds no reference to the Deferred, so it can outlive it and report.
 */
export class DebugInfo {
  failResult: Failure | undefined = undefined;
  creator: string | undefined = undefined;
  invoker: string | undefined = undefined;

  describe(): string {
    let info = "";
    if (this.creator !== undefined) {
      info += `Deferred was created:\n${this.creator}\n`;
    }
    if (this.invoker !== undefined) {
      info += `First invoker was:\n${this.invoker}\n`;
    }
    return info;
  }
}

/** @internal What {@linkcode _takeResult} returns for a Deferred not ready. */
export const _NOT_READY: unique symbol = Symbol("not ready");

// deno-lint-ignore no-explicit-any
let takeResult: (d: any) => unknown = () => _NOT_READY;

/**
 * @internal The result of a Deferred whose chain has run to its end, taken
 * as a callback returning `undefined` would take it: the Deferred is left
 * with `undefined`, and a Failure counts as handled. {@linkcode _NOT_READY}
 * if it has no result yet, is paused or waiting, or is running its chain.
 * For inlineCallbacks, which would otherwise add a callback to take it;
 * here rather than in deferred.ts, whose exports are all public.
 */
export function _takeResult(d: object): unknown {
  return takeResult(d);
}

/** @internal Set once by deferred.ts, which can read a Deferred's state. */
// deno-lint-ignore no-explicit-any
export function _setTakeResult(fn: (d: any) => unknown): void {
  takeResult = fn;
}

/** @internal The stack of the caller's caller, for debugging. */
export function _callerStack(): string {
  return (new Error().stack ?? "").split("\n").slice(3).join("\n");
}

// Reports the Failure `info` holds, if any, once: the report clears it.
function reportInfo(info: DebugInfo): void {
  const failure = info.failResult;
  if (failure === undefined) return;
  info.failResult = undefined;
  const debug = info.describe();
  _report(
    "Unhandled error in Deferred:",
    debug ? new DebuggedFailure(failure, debug) : failure,
  );
}

// The DebugInfo of every watched Deferred not yet collected, to report at
// exit the failures still held then (Twisted reports them by exit, as its
// Deferreds are collected). Holding a DebugInfo does not hold its Deferred.
// Only Deferreds whose chain stopped on a failure (or every Deferred, while
// debugging) are watched, so success costs nothing here.
const watched = new Set<DebugInfo>();

const registry = new FinalizationRegistry<DebugInfo>((info) => {
  watched.delete(info);
  reportInfo(info);
});

/** @internal Makes the DebugInfo for a Deferred and watches the Deferred. */
export function _watch(deferred: object): DebugInfo {
  const info = new DebugInfo();
  registry.register(deferred, info);
  watched.add(info);
  if (!exitHooked) hookExit();
  return info;
}

// Reports every failure still unhandled; runs at exit.
function reportUnhandledNow(): void {
  for (const info of watched) reportInfo(info);
}

let exitHooked = false;

// Runs reportUnhandledNow as the program ends, with what the runtime has:
// process "exit" on Node, Bun and Deno (it fires on a normal end and on
// process.exit(n)); the global "unload" event, which Deno also fires on
// Deno.exit(n); "pagehide" in a browser, told apart by its `onpagehide`
// (not by a missing `process`: bundlers define one in pages, and Chromium
// no longer fires "unload" there). Looked up on first use, so that the
// module loads anywhere.
function hookExit(): void {
  exitHooked = true;
  const g = globalThis as {
    process?: { on?: (event: string, fn: () => void) => unknown };
    addEventListener?: (event: string, fn: () => void) => void;
  };
  const proc = g.process;
  try {
    if (typeof proc?.on === "function") proc.on("exit", reportUnhandledNow);
    if (typeof g.addEventListener === "function") {
      g.addEventListener(
        "onpagehide" in g ? "pagehide" : "unload",
        reportUnhandledNow,
      );
    }
  } catch {
    // No exit hook here: failures are still reported when collected.
  }
}

// The reported Failure, with the debugging stacks after its own traceback.
class DebuggedFailure extends Failure {
  #debug: string;
  constructor(failure: Failure, debug: string) {
    super(failure);
    this.#debug = debug;
  }
  override getTraceback(): string {
    return `${super.getTraceback()}\n(debug: ${this.#debug})`;
  }
}
