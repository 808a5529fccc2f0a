/**
 * react: run a program's `main` under the reactor and exit with its
 * outcome, as Twisted's `task.react`.
 *
 * @module
 */

import { Failure, logError, maybeDeferred } from "@twixt/defer";
import { ReactorNotRunning, SystemExit } from "./errors.ts";
import { type IReactor, reactor as globalReactor } from "./reactor.ts";
import { _process, _timers } from "./_node.ts";

/**
 * Calls `main(reactor, ...argv)` and runs the reactor until the Deferred
 * or promise `main` returns settles (or the reactor is stopped some other
 * way), then stops the reactor, once, and exits: with code 0 on success,
 * and 1 on failure, after logging the failure with its traceback (through
 * `@twixt/defer`'s failure logger). A failure with a
 * {@linkcode SystemExit} exits with its code instead.
 *
 * The exit code is set as `process.exitCode`, so the program ends on its
 * own with it once nothing holds it open. When `react` drives the shared
 * reactor, it also ends the process with `process.exit` should something
 * else (a stray timer or socket) still hold it open after the reactor has
 * stopped, as Twisted's `react` always ends the process. With a reactor of
 * your own, as in tests, it only sets the exit code. In a browser, which
 * has no process to exit, it only settles with the code.
 *
 * @param main The program; receives the reactor, then `argv`.
 * @param argv Extra arguments for `main`.
 * @param reactor The reactor to run: the shared one by default.
 * @returns A promise of the exit code, settled after the reactor stopped.
 * @example Usage
 * ```ts
 * import { Reactor } from "@twixt/reactor";
 * import { deferLater, react } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 * import process from "node:process";
 *
 * const code = await react(
 *   (r, greeting: string) => deferLater(r, 0.01, () => console.log(greeting)),
 *   ["hello"],
 *   new Reactor(),
 * );
 * assert.equal(code, 0);
 * assert.equal(process.exitCode, 0);
 * ```
 */
export async function react<A extends unknown[], R extends IReactor = IReactor>(
  main: (reactor: R, ...args: A) => unknown,
  argv?: A,
  reactor?: R,
): Promise<number> {
  const r = (reactor ?? globalReactor) as R;
  let code = 0;
  let stopping = false;
  r.addSystemEventTrigger("before", "shutdown", () => {
    stopping = true;
  });

  const stop = (result: unknown, stopReactor: boolean): void => {
    if (stopReactor) {
      try {
        r.stop();
      } catch (e) {
        if (!(e instanceof ReactorNotRunning)) throw e;
      }
    }
    if (result instanceof Failure) {
      if (result.value instanceof SystemExit) {
        code = result.value.code;
      } else {
        logError(result, "main function encountered error");
        code = 1;
      }
    }
  };

  maybeDeferred(() => main(r, ...((argv ?? []) as A))).addBoth(
    (result: unknown) => {
      if (stopping) stop(result, false);
      else r.callWhenRunning(stop, result, true);
    },
  );
  await r.run();
  // A browser has no process to exit: there react only fires its result.
  const process = _process();
  if (process !== undefined) process.exitCode = code;
  if (process?.exit !== undefined && r === (globalReactor as unknown)) {
    // Fires only if something else still holds the process open.
    _timers.setTimeout(() => process.exit?.(code), 0).unref?.();
  }
  return code;
}
