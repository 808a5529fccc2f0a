/**
 * The clean-reactor check for test runners, as trial's
 * `DirtyReactorAggregateError`: after a test, fail it when delayed calls
 * are still pending, ports still listen, connections are still open, or
 * failures were logged and not flushed; name each leftover with where it
 * was created; and clean them up so the next test starts clean.
 *
 * @module
 */

import type { Failure } from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import type { IDelayedCall } from "@twixt/defer";
import { reactor as globalReactor } from "./reactor.ts";
import { Connector, Port } from "./tcp.ts";
import type { TCPReactor } from "./tcp_interfaces.ts";
import { TCPTransport } from "./transport.ts";
import { _tracked } from "./_tcp_shutdown.ts";
import { MemoryReactor } from "./_memory_reactor.ts";
import {
  _creationOf,
  type _Leftover,
  _noteCreation,
  _recordCreations,
} from "./_leaks.ts";

/**
 * One thing a test left behind, as {@linkcode DirtyReactorError} lists it.
 *
 * @example Usage
 * ```ts
 * import { checkCleanReactor, DirtyReactorError, type Leftover } from "@twixt/reactor/testing";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * clock.callLater(5, function tick() {});
 * try {
 *   checkCleanReactor(clock);
 * } catch (e) {
 *   const [leftover]: readonly Leftover[] = (e as DirtyReactorError).leftovers;
 *   assert.equal(leftover!.kind, "delayed call");
 * }
 * ```
 */
export interface Leftover {
  /**
   * What it is: `"delayed call"`, `"listening port"`, `"connection"`,
   * `"connection attempt"` or `"logged failure"`.
   */
  readonly kind: string;
  /** Which one: the call, port or connection, or the failure's message. */
  readonly description: string;
  /**
   * Where it was created (a stack), when the check was installed before
   * it was; for a logged failure, its traceback.
   */
  readonly created: string | undefined;
}

/**
 * The reactor was left unclean by a test: `leftovers` names each delayed
 * call still pending, port still listening, connection still open and
 * failure logged but not flushed, as trial's `DirtyReactorAggregateError`.
 * They have been cleaned up by the time it is thrown.
 *
 * @example Usage
 * ```ts
 * import { checkCleanReactor, DirtyReactorError } from "@twixt/reactor/testing";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * clock.callLater(60, function forgotten() {});
 * assert.throws(() => checkCleanReactor(clock), DirtyReactorError);
 * assert.equal(clock.getDelayedCalls().length, 0); // cancelled by the check
 * ```
 */
export class DirtyReactorError extends Error {
  /** What was left behind. */
  readonly leftovers: readonly Leftover[];

  /** Lists `leftovers` in the message, each with where it was created. */
  constructor(leftovers: readonly Leftover[]) {
    const lines = leftovers.map((l) => {
      const where = l.created === undefined
        ? ""
        : `\n${l.created.replace(/^/gm, "    ")}`;
      return `- ${l.kind}: ${l.description}${where}`;
    });
    super(
      `Cannot end the test with an unclean reactor: ${
        count(leftovers)
      } left behind (now cleaned up)\n${lines.join("\n")}`,
    );
    this.name = "DirtyReactorError";
    this.leftovers = leftovers;
  }
}

function count(leftovers: readonly Leftover[]): string {
  const n = new Map<string, number>();
  for (const l of leftovers) n.set(l.kind, (n.get(l.kind) ?? 0) + 1);
  return [...n].map(([k, v]) => `${v} ${k}${v === 1 ? "" : "s"}`).join(", ");
}

/**
 * What the check can look at: a reactor's pending calls (the reactor, a
 * `Clock`, a `MemoryReactor`), and for TCP, the real reactor's open ports
 * and connections or a `MemoryReactor`'s.
 *
 * @example Usage
 * ```ts
 * import { reactor } from "@twixt/reactor";
 * import type { CheckableReactor } from "@twixt/reactor/testing";
 *
 * const r: CheckableReactor = reactor;
 * ```
 */
export type CheckableReactor = TCPReactor | MemoryReactor;

// What is open on `reactor` now, each with what the check makes of it.
function openItems(
  reactor: CheckableReactor,
): Array<[item: object, leftover: () => _Leftover]> {
  const items: Array<[object, () => _Leftover]> = [];
  for (const call of reactor.getDelayedCalls()) {
    items.push([call, () => callLeftover(call)]);
  }
  if (reactor instanceof MemoryReactor) {
    for (const item of reactor._open) {
      items.push([item, () => item._leftover()]);
    }
  } else {
    for (const item of _tracked(reactor)) {
      items.push([item, () => tcpLeftover(item)]);
    }
  }
  return items;
}

// Finds the leftovers of `reactor` (but those in `ignored`), starts
// cleaning them up, and returns them with a promise that settles once they
// are closed.
function sweep(
  reactor: CheckableReactor,
  ignored?: WeakSet<object>,
): { leftovers: Leftover[]; closed: Promise<void> } {
  const found = openItems(reactor)
    .filter(([item]) => !ignored?.has(item))
    .map(([, leftover]) => leftover());
  // Described before closing: closing changes what they are.
  const leftovers: Leftover[] = found.map((l) => ({
    kind: l.kind,
    description: l.description,
    created: l.created,
  }));
  const closing = found.map((l) => l.close().catch(() => {}));
  for (const f of flushLoggedErrors()) leftovers.push(failureLeftover(f));
  return { leftovers, closed: Promise.all(closing).then(() => {}) };
}

function callLeftover(call: IDelayedCall): _Leftover {
  return {
    kind: "delayed call",
    description: String(call),
    created: _creationOf(call),
    close: () => {
      if (call.active()) call.cancel();
      return Promise.resolve();
    },
  };
}

function tcpLeftover(item: { _shutdown(): Promise<void> }): _Leftover {
  let kind = "connection";
  let description = String(item);
  if (item instanceof Port) kind = "listening port";
  else if (item instanceof Connector && item.state === "connecting") {
    kind = "connection attempt";
  } else if (item instanceof TCPTransport) {
    const host = item.getHost();
    const peer = item.getPeer();
    description =
      `<${item.protocol.constructor.name} on ${host.host}:${host.port} from ${peer.host}:${peer.port}>`;
  }
  return {
    kind,
    description,
    created: _creationOf(item),
    close: () => item._shutdown(),
  };
}

function failureLeftover(f: Failure): Leftover {
  return {
    kind: "logged failure",
    description: `${f.type?.name ?? "Error"}: ${f.getErrorMessage()}`,
    created: f.getTraceback(),
  };
}

/**
 * Checks that nothing was left behind on `reactor` (the shared reactor by
 * default): no delayed call pending, no port listening, no connection or
 * connection attempt open, and no failure logged (through `logError`, or
 * reported unhandled) that the test did not take with
 * `flushLoggedErrors`. Whatever it finds it cleans up, then throws
 * {@linkcode DirtyReactorError} naming each, with where it was created if
 * {@linkcode installCleanReactorCheck} was installed by then.
 *
 * Calls are cancelled and failures flushed at once; ports and connections
 * are closed (aborted) at once, but their `connectionLost` comes on a later
 * turn of the loop: the hook of `installCleanReactorCheck` waits for it.
 *
 * Ports and connections are found for the shared reactor, any `Reactor`
 * and a `MemoryReactor`; a `Clock` has only its calls checked.
 *
 * @param reactor The reactor, `Clock` or `MemoryReactor` to check.
 * @throws {DirtyReactorError} When anything was left behind.
 * @example Usage
 * ```ts
 * import { Factory, Protocol } from "@twixt/reactor";
 * import { checkCleanReactor, DirtyReactorError, MemoryReactor } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * const reactor = new MemoryReactor();
 * await reactor.listenTCP(8025, Factory.forProtocol(Protocol));
 * assert.throws(() => checkCleanReactor(reactor), (e: DirtyReactorError) =>
 *   e.leftovers[0]!.kind === "listening port" && /8025/.test(e.message));
 * checkCleanReactor(reactor); // clean now
 * ```
 */
export function checkCleanReactor(
  reactor: CheckableReactor = globalReactor,
): void {
  const { leftovers } = sweep(reactor);
  if (leftovers.length > 0) throw new DirtyReactorError(leftovers);
}

/**
 * A test runner's `afterEach`: registers a hook to run after each test,
 * awaiting the promise it returns (`node:test`'s `afterEach` is one).
 *
 * @example Usage
 * ```ts
 * import { type AfterEachRegistrar, installCleanReactorCheck } from "@twixt/reactor/testing";
 * import { Clock } from "@twixt/reactor/task";
 *
 * const hooks: Array<() => Promise<void>> = [];
 * const register: AfterEachRegistrar = (fn) => hooks.push(fn);
 * installCleanReactorCheck(register, new Clock());
 * await hooks[0]!();
 * ```
 */
export type AfterEachRegistrar = (fn: () => Promise<void>) => unknown;

const patched = new WeakSet<object>();

/**
 * Installs the clean-reactor check after each test, in one line, with the
 * test runner's own `afterEach` (`node:test`'s, on Deno, Bun and Node
 * alike; the test file imports it, so this module needs no `node:`
 * import):
 *
 * ```ts ignore
 * import { afterEach } from "node:test";
 * installCleanReactorCheck(afterEach);
 * ```
 *
 * After each test the hook runs {@linkcode checkCleanReactor} on each of
 * `reactors` (the shared reactor by default), waits until the ports and
 * connections it closed are closed, and fails the test with
 * {@linkcode DirtyReactorError} if anything was left behind. From the
 * moment it is installed, ports, connections and delayed calls remember
 * where they were created (a stack captured at creation, which the error
 * shows); before that nothing is captured, so there is no cost. What is
 * already open when it is installed is left alone, and failures logged
 * before are taken without complaint: the check judges the tests that
 * follow it (Bun runs all test files in one process, so other files'
 * leftovers may be there).
 *
 * On Deno, whose `node:test` ignores a failing `afterEach`, the error is
 * also left as an unhandled rejection, which fails the test run naming the
 * leftovers (Deno reports it against the test file rather than the test).
 *
 * @param afterEach The runner's `afterEach` (or any function that
 * registers a hook to run after each test and awaits its promise).
 * @param reactors The reactors to check; the shared reactor by default.
 * @example Usage
 * ```ts
 * import { installCleanReactorCheck } from "@twixt/reactor/testing";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for node:test's afterEach, to show what the hook does.
 * const hooks: Array<() => Promise<void>> = [];
 * const clock = new Clock();
 * installCleanReactorCheck((fn) => hooks.push(fn), clock);
 * clock.callLater(1, function leaked() {});
 * await assert.rejects(hooks[0]!(), /delayed call: .*leaked\(\)/);
 * await hooks[0]!(); // clean again
 * ```
 */
export function installCleanReactorCheck(
  afterEach: AfterEachRegistrar,
  ...reactors: CheckableReactor[]
): void {
  if (typeof afterEach !== "function") {
    throw new TypeError(
      "Cannot install the clean-reactor check: afterEach must be the test runner's afterEach function",
    );
  }
  const checked = reactors.length > 0 ? reactors : [globalReactor];
  const denoNodeTest = afterEach.name === "afterEach" && onDeno();
  _recordCreations(true);
  // What was there before is not this file's doing (Bun runs every test
  // file in one process): it is left alone, and failures logged before are
  // taken, so the check judges only what the tests after it leave.
  const before = new WeakSet<object>();
  for (const r of checked) {
    noteCalls(r);
    for (const [item] of openItems(r)) before.add(item);
  }
  flushLoggedErrors();
  afterEach(async () => {
    const leftovers: Leftover[] = [];
    const closing: Promise<void>[] = [];
    for (const r of checked) {
      const { leftovers: found, closed } = sweep(r, before);
      leftovers.push(...found);
      closing.push(closed);
    }
    await Promise.all(closing);
    if (leftovers.length === 0) return;
    const error = new DirtyReactorError(leftovers);
    // Deno's node:test (2.9) runs afterEach hooks but ignores their
    // failures; an unhandled rejection is what fails a Deno test run.
    if (denoNodeTest) void Promise.reject(error);
    throw error;
  });
}

function onDeno(): boolean {
  const agent = (globalThis as { navigator?: { userAgent?: string } })
    .navigator?.userAgent;
  return typeof agent === "string" && agent.startsWith("Deno/");
}

// Delayed calls remember where they were scheduled: the reactor's
// callLater is wrapped on this instance only, once the check is
// installed, so code that never installs it runs the plain method.
function noteCalls(reactor: CheckableReactor): void {
  if (patched.has(reactor)) return;
  patched.add(reactor);
  const callLater = reactor.callLater;
  Object.defineProperty(reactor, "callLater", {
    configurable: true,
    writable: true,
    value: function (this: CheckableReactor, ...args: unknown[]) {
      const call = (callLater as (...a: unknown[]) => IDelayedCall).apply(
        this,
        args,
      );
      _noteCreation(call);
      return call;
    },
  });
}
