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
 * import { Clock, LoopingCall } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * let beats = 0;
 * const heartbeat = new LoopingCall(() => { beats++; });
 * heartbeat.clock = clock;
 * heartbeat.start(1);
 * clock.pump([1, 1, 1]);
 * heartbeat.stop();
 * assert.equal(beats, 4);
 * ```
 *
 * @module
 */

export { Clock } from "./clock.ts";
export {
  coiterate,
  cooperate,
  CooperativeTask,
  Cooperator,
  type CooperatorOptions,
} from "./cooperator.ts";
export { deferLater } from "./defer_later.ts";
export {
  NotPaused,
  SchedulerError,
  SchedulerStopped,
  SystemExit,
  TaskDone,
  TaskFailed,
  TaskFinished,
  TaskStopped,
} from "./errors.ts";
export { LoopingCall } from "./looping_call.ts";
export { react } from "./react.ts";

// Types this entry's API uses, exported here too so that the entry
// documents (and JSR scores it) on its own.
export type {
  AddCallbacksOptions,
  Deferred,
  ErrorClass,
  ErrorType,
  Failure,
  IDelayedCall,
  IReactorTime,
} from "@twixt/defer";
export type { DelayedCall } from "./delayed_call.ts";
export type {
  IReactor,
  IReactorCore,
  SystemEventPhase,
  SystemEventTrigger,
} from "./reactor.ts";
