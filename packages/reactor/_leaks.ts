/**
 * Where things a test may leave behind were created: the creation stacks
 * the clean-reactor check names leftovers with. Stacks are captured only
 * while a check is installed ({@linkcode _recordCreations}), so the TCP
 * layer pays one boolean test per port or connection otherwise.
 *
 * @module
 */

let recording = false;
const stacks = new WeakMap<object, string>();

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
  const stack = from === undefined ? _captureStack() : stacks.get(from);
  if (stack !== undefined) stacks.set(item, stack);
}

/** @internal Where `item` was created, if it was noted. */
export function _creationOf(item: object): string | undefined {
  return stacks.get(item);
}

// Frames of Twixt's own plumbing say nothing about the test that leaked.
const INTERNAL =
  /[/\\](reactor|defer)[/\\](npm[/\\])?(_leaks|_memory_reactor|_iosim|_clean_reactor|tcp|endpoints|reactor|delayed_call|deferred|clock)\.[jt]s\b/;

// Frames of the runtime and the test runner (node:test, Deno's ext:).
const RUNTIME = /[( ](node|ext):|\bnative\b/;

/** @internal The caller's stack, without Twixt's own frames. */
export function _captureStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const frames = stack.split("\n").slice(1).filter((l) =>
    !INTERNAL.test(l) && !RUNTIME.test(l)
  );
  return frames.slice(0, 8).join("\n");
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
