/**
 * Where deferred.ts leaves a reader of a Deferred's private state for
 * describe.ts, which imports deferred.ts (not the other way round), so that
 * a bundle that does not describe Deferreds leaves describe.ts out.
 *
 * @module
 */
import type { Deferred } from "./deferred.ts";

/** A Deferred's state and chain, as deferred.ts reads them. */
export interface Peek {
  called: boolean;
  running: boolean;
  paused: number;
  /** [head, callback, errback, ...]: the entries before `head` have run. */
  entries: unknown[];
  /** The marker of an entry that hands the result to a waiting Deferred. */
  cont: unknown;
}

/** The reader, once deferred.ts has been evaluated. */
export let peek: ((d: Deferred<unknown>) => Peek) | undefined;

/** Called once by deferred.ts. */
export function _setPeek(reader: (d: Deferred<unknown>) => Peek): void {
  peek = reader;
}
