// Checks of the arguments of functions that return a Deferred: bad input
// fails the Deferred (with a TypeError or RangeError naming the option and
// the value) instead of throwing, as the caller is waiting on a Deferred.
import type { Deferred } from "./deferred.ts";
import { Failure } from "./failure.ts";

/** A value as a message shows it: strings quoted, arrays and objects as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") {
    return `function ${value.name || "(anonymous)"}`;
  }
  if (typeof value === "object" && value !== null) {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) {
        return json.length > 60 ? `${json.slice(0, 57)}...` : json;
      }
    } catch {
      // A cycle, or a toJSON that throws: the tag will do.
    }
    return Object.prototype.toString.call(value);
  }
  return String(value);
}

/**
 * The error for `value` given as option `name` of `action` ("Cannot
 * <action>") when it is not a boolean (undefined is allowed), or undefined.
 */
export function checkBoolean(
  action: string,
  name: string,
  value: unknown,
): TypeError | undefined {
  if (value === undefined || typeof value === "boolean") return undefined;
  return new TypeError(
    `Cannot ${action} with ${name} ${
      describeValue(value)
    }: it must be a boolean`,
  );
}

/** The error for `value` when it is not a function, or undefined. */
export function checkFunction(
  action: string,
  value: unknown,
): TypeError | undefined {
  if (typeof value === "function") return undefined;
  return new TypeError(
    `Cannot ${action} ${describeValue(value)}: it must be a function`,
  );
}

/**
 * The error for an options argument that is neither undefined nor an
 * object, or undefined.
 */
export function checkOptions(
  action: string,
  options: unknown,
): TypeError | undefined {
  if (options == null || typeof options === "object") return undefined;
  return new TypeError(
    `Cannot ${action} with options ${
      describeValue(options)
    }: they must be an object`,
  );
}

/**
 * Fails `d` with `error` at this point of its chain: an unfired Deferred is
 * cancelled first (its canceller stops the work, or a later `callback` from
 * the work is ignored), and whatever result the chain holds here is
 * replaced by `error`. For methods that return the Deferred they were
 * called on, such as `addTimeout`, where throwing is not an option.
 */
export function failInPlace(d: Deferred<unknown>, error: Error): void {
  const failure = new Failure(error);
  d.addBoth(() => failure);
  // A fired Deferred ignores this, or cancels the one it waits on.
  d.cancel();
}
