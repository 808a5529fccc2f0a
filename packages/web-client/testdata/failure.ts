/**
 * Test helpers for Deferreds that must fail.
 *
 * @module
 */

import type { Deferred, Failure } from "@twixt/defer";

/**
 * The Failure `d` fails with (taking it, so it counts as handled); rejects
 * if `d` succeeds instead.
 */
export function failureOf(d: Deferred<unknown>): Promise<Failure> {
  return new Promise((resolve, reject) => {
    d.addCallbacks(
      (v: unknown) => {
        reject(
          new Error(
            `Expected a failure, got a result: ${String(v).slice(0, 200)}`,
          ),
        );
      },
      (f: Failure) => {
        resolve(f);
      },
    );
  });
}

/** The error `d` fails with, checked to be an instance of `type`. */
export async function errorOf<E>(
  d: Deferred<unknown>,
  // deno-lint-ignore no-explicit-any
  type: abstract new (...args: any[]) => E,
): Promise<E> {
  const f = await failureOf(d);
  if (!(f.value instanceof type)) {
    throw new Error(
      `Expected a ${type.name}, got ${f.getTraceback()}`,
    );
  }
  return f.value;
}
