/**
 * Twisted's `twisted.internet.task` for TypeScript: tools for scheduling
 * work in time.
 *
 * - {@linkcode Clock}: deterministic time for tests, to pass where the
 *   reactor would go;
 * - {@linkcode deferLater}: a Deferred that fires after a delay;
 * - {@linkcode LoopingCall}: call a function every so many seconds;
 * - {@linkcode react}: run a program's `main` under the reactor and exit
 *   with its outcome;
 * - {@linkcode Cooperator}, {@linkcode cooperate} and
 *   {@linkcode coiterate}: run long jobs, written as iterators, in small
 *   steps that share the event loop.
 *
 * @example Usage
 * ```ts
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * let beats = 0;
 * clock.callLater(1, () => beats++);
 * clock.pump([1, 1, 1]);
 * assert.equal(beats, 1);
 * ```
 *
 * @module
 */

export { Clock } from "./clock.ts";
