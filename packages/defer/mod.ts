/**
 * Twisted's Deferred for TypeScript: a result that is not there yet, with a
 * chain of callbacks and errbacks that run synchronously the moment it is.
 *
 * A function that cannot answer at once returns a {@linkcode Deferred}; the
 * caller adds callbacks (for the result) and errbacks (for a
 * {@linkcode Failure}) and goes on with its work. When the work is done, its
 * author fires the Deferred with `callback(value)` or `errback(error)` and
 * the chain runs: each callback's return value is the next one's input, a
 * throw moves to the errback path, an errback that returns moves back, and a
 * returned Deferred or promise pauses the chain until it has a result.
 * Chains of any depth run in constant stack; Deferreds cancel, time out, and
 * work with `await`.
 *
 * Also here: {@linkcode DeferredList}, {@linkcode gatherResults} and
 * {@linkcode race} over many Deferreds; {@linkcode inlineCallbacks} for
 * generator-style code; {@linkcode DeferredLock},
 * {@linkcode DeferredSemaphore} and {@linkcode DeferredQueue}; and, in
 * `@twixt/defer/testing`, helpers to inspect Deferreds in tests.
 *
 * @example Usage
 * ```ts
 * import { Deferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * function lookUp(word: string): Deferred<string> {
 *   const d = new Deferred<string>();
 *   setTimeout(() => d.callback(`${word}: a fungus`), 10);
 *   return d;
 * }
 *
 * const answer = await lookUp("mushroom").addCallback((s) => s.toUpperCase());
 * assert.equal(answer, "MUSHROOM: A FUNGUS");
 * ```
 *
 * @module
 */

export * from "./abort.ts";
export {
  bindContext,
  captureContext,
  type ContextSnapshot,
  getCallbackContext,
  setCallbackContext,
} from "./context.ts";
export * from "./deferred.ts";
export * from "./errors.ts";
export { execute, fail, maybeDeferred, succeed } from "./factories.ts";
export {
  type ErrorClass,
  type ErrorType,
  Failure,
  isFailure,
} from "./failure.ts";
export * from "./inline.ts";
export * from "./lists.ts";
export * from "./primitives.ts";
export type * from "./time.ts";
export {
  type FailureLogger,
  getDebugging,
  logError,
  setDebugging,
  setFailureLogger,
} from "./unhandled.ts";
export {
  type ChainEntry,
  type DeferredDescription,
  describeDeferred,
  formatDeferred,
} from "./describe.ts";
