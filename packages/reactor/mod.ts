/**
 * Twisted's reactor for TypeScript: time, running and stopping, system
 * event triggers, and TCP.
 *
 * The shared {@linkcode reactor} schedules calls with `callLater` (one
 * runtime timer for all of them), runs startup triggers and
 * `callWhenRunning` calls in `run()`, and runs the shutdown triggers in
 * `stop()`, after which the program exits on its own. A script reads as in
 * Twisted: schedule the work, call `reactor.run()` last, and
 * `reactor.stop()` when the work is done. Since JavaScript's event loop is
 * always running, `callLater` and I/O work before `run()` too.
 *
 * The task tools (`Clock` for deterministic time in tests, `LoopingCall`,
 * `deferLater`, `react`, `Cooperator`) are in `@twixt/reactor/task`.
 *
 * @example Usage
 * ```ts
 * import { reactor } from "@twixt/reactor";
 *
 * function poem(line: string): void {
 *   console.log(line);
 * }
 *
 * reactor.callLater(0.01, poem, "A first line");
 * reactor.callLater(0.02, poem, "and the last.");
 * reactor.callLater(0.03, () => reactor.stop());
 * await reactor.run();
 * ```
 *
 * @module
 */

export type { IDelayedCall, IReactorTime } from "@twixt/defer";
export { DelayedCall } from "./delayed_call.ts";
export {
  AlreadyCalled,
  AlreadyCancelled,
  ReactorAlreadyRunning,
  ReactorNotRunning,
} from "./errors.ts";
export {
  type IReactor,
  type IReactorCore,
  Reactor,
  reactor,
  type SystemEventPhase,
  type SystemEventTrigger,
} from "./reactor.ts";
export * from "./net.ts";
export * from "./ssl.ts";
export * from "./tls.ts";
export * from "./tls_errors.ts";

// Types this entry's API uses, exported here too so that the entry
// documents (and JSR scores it) on its own.
export type {
  AddCallbacksOptions,
  CancelledError,
  Deferred,
  ErrorClass,
  ErrorType,
  Failure,
} from "@twixt/defer";
