/**
 * Where things a test may leave behind were created: the creation stacks
 * the clean-reactor check names leftovers with. Stacks are captured only
 * while a check is installed ({@linkcode _recordCreations}), so the TCP
 * layer pays one boolean test per port or connection otherwise.
 *
 * @module
 */

let recording = false;
// The Error captured at creation; its stack is formatted only when a
// leftover is reported (formatting costs far more than capturing).
const stacks = new WeakMap<object, Error>();

/** @internal Turns capturing of creation stacks on. */
export function _recordCreations(on: boolean): void {
  recording = on;
}

/**
 * @internal Notes that `item` was created here, or, with `from`, where
 * `from` was (a connection accepted by a port was made where the port was).
 */
export function _noteCreation(item: object, from?: object): void {
  if (!recording) return;
  const where = from === undefined ? capture() : stacks.get(from);
  if (where !== undefined) stacks.set(item, where);
}

/** @internal Where `item` was created (a stack), if it was noted. */
export function _creationOf(item: object): string | undefined {
  const where = stacks.get(item);
  return where === undefined ? undefined : frames(where);
}

function capture(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const where = new Error();
  Error.stackTraceLimit = limit;
  return where;
}

// Frames of Twixt's own plumbing say nothing about the test that leaked.
const INTERNAL =
  /[/\\](reactor|defer)[/\\](npm[/\\])?(_leaks|_memory_reactor|_iosim|_clean_reactor|tcp|endpoints|reactor|delayed_call|deferred|clock)\.[jt]s\b/;

// Frames of the runtime and the test runner (node:test, Deno's ext:).
const RUNTIME = /[( ](node|ext):|\bnative\b/;

// The stack of `where`, without Twixt's own frames and the runtime's.
function frames(where: Error): string {
  return (where.stack ?? "").split("\n").slice(1)
    .filter((l) => !INTERNAL.test(l) && !RUNTIME.test(l))
    .slice(0, 8).join("\n");
}

/** @internal Something a test left behind, and how to get rid of it. */
export interface _Leftover {
  /** What it is: "delayed call", "listening port", "connection", ... */
  kind: string;
  /** Which one. */
  description: string;
  /** Where it was created, when known. */
  created: string | undefined;
  /** Gets rid of it; settles when done. */
  close(): Promise<void>;
}
