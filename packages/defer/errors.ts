/**
 * The error classes of `@twixt/defer`, as in `twisted.internet.defer`.
 *
 * Each sets `name` so that stacks and `Failure.getTraceback()` show the
 * class a caller would `trap`.
 *
 * @module
 */

import type { Failure } from "./failure.ts";

/**
 * Thrown by {@linkcode Deferred.callback} or {@linkcode Deferred.errback}
 * when the Deferred has already been fired.
 *
 * With {@linkcode setDebugging} on, the message carries the stacks where the
 * Deferred was created and first fired.
 *
 * @example Usage
 * ```ts
 * import { AlreadyCalledError, Deferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const d = new Deferred<number>();
 * d.callback(1);
 * assert.throws(() => d.callback(2), AlreadyCalledError);
 * ```
 */
export class AlreadyCalledError extends Error {
  /** Creates the error; `message` may carry debugging stacks. */
  constructor(
    message = "Cannot fire a Deferred twice",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "AlreadyCalledError";
  }
}

/**
 * The reason a Deferred fails when it is cancelled and its canceller did
 * not fire it.
 *
 * @example Usage
 * ```ts
 * import { CancelledError, Deferred } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const d = new Deferred<string>();
 * let reason: unknown;
 * d.addErrback((f) => { reason = f.value; });
 * d.cancel();
 * assert.ok(reason instanceof CancelledError);
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error. */
  constructor(message = "Deferred was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * The reason a Deferred fails when {@linkcode Deferred.addTimeout} (or a
 * timeout option elsewhere in Twixt) ran out.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const e = new TimeoutError("Deferred timed out after 5 seconds", 5);
 * assert.equal(e.timeout, 5);
 * ```
 */
export class TimeoutError extends Error {
  /** The timeout that ran out, in seconds, when known. */
  readonly timeout: number | undefined;
  /** Creates the error. */
  constructor(
    message = "Deferred timed out",
    timeout?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TimeoutError";
    this.timeout = timeout;
  }
}

/**
 * The reason {@linkcode gatherResults} (or a `DeferredList` with
 * `fireOnOneErrback`) fails: the first input that failed, and its index.
 *
 * @example Usage
 * ```ts
 * import { FirstError, Failure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const e = new FirstError(new Failure(new RangeError("bad")), 2);
 * assert.equal(e.index, 2);
 * assert.match(e.message, /bad/);
 * ```
 */
export class FirstError extends Error {
  /** The failure of the input that failed first. */
  readonly subFailure: Failure;
  /** The position of that input in the list. */
  readonly index: number;
  /** Creates the error from the failure of input number `index`. */
  constructor(subFailure: Failure, index: number) {
    super(
      `Deferred at index ${index} failed: ${subFailure.getErrorMessage()}`,
      { cause: subFailure.value },
    );
    this.name = "FirstError";
    this.subFailure = subFailure;
    this.index = index;
  }
}

/**
 * Thrown by {@linkcode DeferredQueue.put} when the queue is full.
 *
 * @example Usage
 * ```ts
 * import { DeferredQueue, QueueOverflow } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const q = new DeferredQueue<number>(1);
 * q.put(1);
 * assert.throws(() => q.put(2), QueueOverflow);
 * ```
 */
export class QueueOverflow extends Error {
  /** Creates the error. */
  constructor(message = "Cannot put to a full DeferredQueue") {
    super(message);
    this.name = "QueueOverflow";
  }
}

/**
 * The failure of {@linkcode DeferredQueue.get} when too many getters wait.
 *
 * @example Usage
 * ```ts
 * import { DeferredQueue, QueueUnderflow } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const q = new DeferredQueue<number>(Infinity, 0);
 * await assert.rejects(async () => await q.get(), QueueUnderflow);
 * ```
 */
export class QueueUnderflow extends Error {
  /** Creates the error. */
  constructor(message = "Cannot wait on a DeferredQueue with a full backlog") {
    super(message);
    this.name = "QueueUnderflow";
  }
}

/**
 * The reason {@linkcode race} fails when every input failed: all their
 * failures, in input order.
 *
 * @example Usage
 * ```ts
 * import { Failure, FailureGroup } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const g = new FailureGroup([new Failure(new Error("a")), new Failure(new Error("b"))]);
 * assert.equal(g.failures.length, 2);
 * ```
 */
export class FailureGroup extends Error {
  /** The failures, one per input. */
  readonly failures: Failure[];
  /** Creates the error from the inputs' failures. */
  constructor(failures: Failure[]) {
    super(
      `All ${failures.length} Deferreds failed: ` +
        failures.map((f) => f.getErrorMessage()).join("; "),
    );
    this.name = "FailureGroup";
    this.failures = failures;
  }
}

// `instanceof` for these classes also knows the same error made by another
// copy of this module (a nested duplicate in node_modules), so that
// `f.trap(CancelledError)` matches whichever copy cancelled. Subclasses
// keep the plain check.
const ERROR_BRAND = Symbol.for("twixt.error");
const plainHasInstance = Function.prototype[Symbol.hasInstance];
// Names spelled out: a minifier may rename the classes.
for (
  const [type, name] of [
    [AlreadyCalledError, "AlreadyCalledError"],
    [CancelledError, "CancelledError"],
    [TimeoutError, "TimeoutError"],
    [FirstError, "FirstError"],
    [QueueOverflow, "QueueOverflow"],
    [QueueUnderflow, "QueueUnderflow"],
    [FailureGroup, "FailureGroup"],
  ] as const
) {
  Object.defineProperty(type.prototype, ERROR_BRAND, { value: name });
  Object.defineProperty(type, Symbol.hasInstance, {
    value(this: unknown, x: unknown): boolean {
      if (plainHasInstance.call(this, x)) return true;
      return this === type && typeof x === "object" && x !== null &&
        (x as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === name;
    },
  });
}
