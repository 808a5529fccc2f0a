/**
 * The time interfaces of Twisted's reactor, declared here so that
 * `@twixt/defer` (for {@linkcode Deferred.addTimeout}) needs no reactor.
 * `@twixt/reactor` provides the real reactor and the deterministic `Clock`.
 *
 * @module
 */

/**
 * A call scheduled with {@linkcode IReactorTime.callLater}.
 *
 * @example Usage
 * ```ts
 * import type { IDelayedCall } from "@twixt/defer";
 *
 * function postpone(call: IDelayedCall): void {
 *   if (call.active()) call.delay(1);
 * }
 * ```
 */
export interface IDelayedCall {
  /** When the call is due, in the clock's seconds. */
  getTime(): number;
  /** Unschedules the call; throws if it already ran or was cancelled. */
  cancel(): void;
  /** Moves the call `seconds` later (earlier if negative). */
  delay(seconds: number): void;
  /** Reschedules the call for `seconds` from now. */
  reset(seconds: number): void;
  /** Whether the call is still scheduled. */
  active(): boolean;
}

/**
 * Time as the reactor keeps it: the current time in seconds and calls
 * scheduled for later.
 *
 * @example Usage
 * ```ts
 * import type { IReactorTime } from "@twixt/defer";
 *
 * function soon(clock: IReactorTime, fn: () => void): void {
 *   clock.callLater(0.1, fn);
 * }
 * ```
 */
export interface IReactorTime {
  /** The current time, in seconds. */
  seconds(): number;
  /** Calls `fn(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): IDelayedCall;
  /** The calls scheduled and not yet run or cancelled. */
  getDelayedCalls(): IDelayedCall[];
}
